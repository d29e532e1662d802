import assert from "node:assert/strict";
import fc from "fast-check";
import { keyBytes, textKey } from "./dict_key.ts";
import { decode } from "./decode.ts";
import { encode } from "./encode.ts";

Deno.test("keyBytes() and textKey() convert keys losslessly", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
    const key = String.fromCharCode(...bytes);
    assert.deepEqual(keyBytes(key), bytes);
  }));
  fc.assert(fc.property(fc.string({ unit: "grapheme" }), (text) => {
    assert.deepEqual(keyBytes(textKey(text)), new TextEncoder().encode(text));
  }));
  assert.throws(() => keyBytes("€"), TypeError);
});

Deno.test("textKey() finds UTF-8 keys in decoded dictionaries", () => {
  const dict = decode(encode(new Map([[textKey("größe"), 1]]))) as Map<string, number>;
  assert.equal(dict.get(textKey("größe")), 1);
  assert.equal(dict.get("größe"), undefined);
});
