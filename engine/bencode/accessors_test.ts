import assert from "node:assert/strict";
import { MetainfoError } from "../errors.ts";
import { getBytes, getDict, getInt, getList, getString, isDict } from "./accessors.ts";
import { decode } from "./decode.ts";
import { encode } from "./encode.ts";

const dict = decode(encode({ n: 5, s: "héllo", bad: new Uint8Array([0xff]), l: [1], d: { x: 1 } })) as Map<
  string,
  never
>;

Deno.test("getInt() and friends read typed values or undefined", () => {
  assert.equal(getInt(dict, "n"), 5);
  assert.deepEqual(getBytes(dict, "s"), new TextEncoder().encode("héllo"));
  assert.equal(getString(dict, "s"), "héllo");
  assert.equal(getString(dict, "bad"), "\ufffd");
  assert.deepEqual(getList(dict, "l"), [1]);
  assert.deepEqual(getDict(dict, "d"), new Map([["x", 1]]));
  assert.equal(getInt(dict, "missing"), undefined);
  assert.equal(getDict(dict, "missing"), undefined);
  assert.ok(isDict(dict));
  assert.ok(!isDict([]));
  assert.ok(!isDict(undefined));
});

Deno.test("getInt() and friends throw the caller's error on wrong types", () => {
  assert.throws(() => getInt(dict, "s"), {
    name: "TypeError",
    message: 'Cannot read "s": expected an integer, got a byte string',
  });
  assert.throws(() => getBytes(dict, "l"), /expected a byte string, got a list/);
  assert.throws(() => getList(dict, "d"), /expected a list, got a dictionary/);
  assert.throws(() => getDict(dict, "n"), /expected a dictionary, got an integer/);
  const error = (message: string) => new MetainfoError(message);
  assert.throws(() => getString(dict, "n", { error }), MetainfoError);
  assert.throws(() => getInt(dict, "missing", { required: true, error }), {
    name: "MetainfoError",
    message: 'Cannot read "missing": key is missing',
  });
  const n: number = getInt(dict, "n", { required: true });
  assert.equal(n, 5);
});
