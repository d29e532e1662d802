import assert from "node:assert/strict";
import { BencodeError } from "../errors.ts";
import { decodePrefix } from "./decode_prefix.ts";
import { ascii } from "./_test_util.ts";

Deno.test("decodePrefix() returns the value and where it ends", () => {
  const message = ascii("d8:msg_typei1e5:piecei0e10:total_sizei3eeabc");
  const { value, end } = decodePrefix(message);
  assert.deepEqual(value, new Map([["msg_type", 1], ["piece", 0], ["total_size", 3]]));
  assert.equal(end, message.length - 3);
  assert.deepEqual(message.subarray(end), ascii("abc"));
  assert.deepEqual(decodePrefix(ascii("i5e")), { value: 5, end: 3 });
});

Deno.test("decodePrefix() still rejects a cut or bad prefix", () => {
  assert.throws(() => decodePrefix(ascii("d8:msg_typei1e")), BencodeError);
  assert.throws(() => decodePrefix(ascii("")), BencodeError);
  assert.throws(() => decodePrefix(ascii("l".repeat(200))), /nesting deeper than 100/);
  assert.throws(() => decodePrefix(ascii("lli1eee"), { maxDepth: 1 }), /nesting deeper than 1/);
});
