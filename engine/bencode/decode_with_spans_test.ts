import assert from "node:assert/strict";
import { BencodeError } from "../errors.ts";
import { decodeWithSpans } from "./decode_with_spans.ts";
import { encode } from "./encode.ts";
import { ascii } from "./_test_util.ts";

Deno.test("decodeWithSpans() gives the raw span of each top-level value", () => {
  const bytes = ascii("d1:ai1e4:infod1:bde4:name1:x1:zlee1:zl1:yee");
  const { value, spans } = decodeWithSpans(bytes);
  assert.ok(value instanceof Map);
  const text = (key: string) => {
    const span = spans.get(key)!;
    return new TextDecoder().decode(bytes.subarray(span.start, span.end));
  };
  assert.deepEqual([...spans.keys()], ["a", "info", "z"]);
  assert.equal(text("a"), "i1e");
  assert.equal(text("info"), "d1:bde4:name1:x1:zlee");
  assert.equal(text("z"), "l1:ye");
});

Deno.test("decodeWithSpans() spans the bytes as found, including non-UTF-8 bytes", () => {
  const info = new Uint8Array([
    ...ascii("d6:lengthi1e4:name3:"),
    0xff,
    0xfe,
    0xfd,
    ...ascii("12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae"),
  ]);
  const bytes = new Uint8Array([...ascii("d4:info"), ...info, ...ascii("e")]);
  const { value, spans } = decodeWithSpans(bytes);
  const span = spans.get("info")!;
  assert.deepEqual(bytes.subarray(span.start, span.end), info);
  assert.deepEqual(encode(value as Map<string, never>), bytes);
});

Deno.test("decodeWithSpans() has no spans for a non-dictionary and rejects trailing bytes", () => {
  assert.equal(decodeWithSpans(ascii("li1ee")).spans.size, 0);
  assert.throws(() => decodeWithSpans(ascii("de ")), BencodeError);
  assert.throws(() => decodeWithSpans(ascii("d4:infod")), BencodeError);
});
