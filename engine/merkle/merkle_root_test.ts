import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { merkleRoot } from "./merkle_root.ts";
import { padHash } from "./pad_hash.ts";

function h(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

Deno.test("merkleRoot() pads with the pad hash of the layer's height", () => {
  const a = h(new Uint8Array([1]));
  const b = h(new Uint8Array([2]));
  assert.deepEqual(merkleRoot(a), a);
  assert.deepEqual(merkleRoot(a, { width: 2 }), h(a, new Uint8Array(32)));
  assert.deepEqual(merkleRoot(a, { width: 2, height: 3 }), h(a, padHash(3)));
  assert.deepEqual(
    merkleRoot(new Uint8Array([...a, ...b]), { width: 8, height: 1 }),
    h(h(h(a, b), h(padHash(1), padHash(1))), padHash(3)),
  );
  assert.deepEqual(merkleRoot(new Uint8Array(0), { width: 4, height: 2 }), padHash(4));
  assert.deepEqual(padHash(2), h(h(new Uint8Array(64)), h(new Uint8Array(64))));
});

Deno.test("merkleRoot() refuses a bad layer or width", () => {
  assert.throws(() => merkleRoot(new Uint8Array(31)), RangeError);
  assert.throws(() => merkleRoot(new Uint8Array(96), { width: 2 }), RangeError);
  assert.throws(() => merkleRoot(new Uint8Array(32), { width: 3 }), RangeError);
  assert.throws(() => padHash(65), RangeError);
  assert.throws(() => padHash(-1), RangeError);
});
