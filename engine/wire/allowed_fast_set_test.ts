import assert from "node:assert/strict";
import { allowedFastSet } from "./allowed_fast_set.ts";

const infoHash = new Uint8Array(20).fill(0xaa);
const ip = Uint8Array.of(80, 4, 4, 200);

Deno.test("allowedFastSet() matches the BEP 6 examples", () => {
  assert.deepEqual(allowedFastSet(ip, infoHash, { pieceCount: 1313, count: 7 }), [
    1059,
    431,
    808,
    1217,
    287,
    376,
    1188,
  ]);
  assert.deepEqual(
    allowedFastSet(ip, infoHash, { pieceCount: 1313, count: 9 }),
    [1059, 431, 808, 1217, 287, 376, 1188, 353, 508],
  );
});

Deno.test("allowedFastSet() depends only on the /24 of the address", () => {
  const a = allowedFastSet(Uint8Array.of(80, 4, 4, 1), infoHash, { pieceCount: 1313, count: 7 });
  assert.deepEqual(a, [1059, 431, 808, 1217, 287, 376, 1188]);
  const b = allowedFastSet(Uint8Array.of(80, 4, 5, 200), infoHash, { pieceCount: 1313, count: 7 });
  assert.notDeepEqual(b, a);
});

Deno.test("allowedFastSet() caps the set at the piece count and returns distinct indices", () => {
  const all = allowedFastSet(ip, infoHash, { pieceCount: 3, count: 10 });
  assert.deepEqual([...all].sort(), [0, 1, 2]);
  assert.deepEqual(allowedFastSet(ip, infoHash, { pieceCount: 0, count: 10 }), []);
  assert.deepEqual(allowedFastSet(ip, infoHash, { pieceCount: 100, count: 0 }), []);
  const many = allowedFastSet(ip, infoHash, { pieceCount: 50, count: 50 });
  assert.equal(new Set(many).size, 50);
});

Deno.test("allowedFastSet() refuses malformed input", () => {
  assert.throws(() => allowedFastSet(new Uint8Array(16), infoHash, { pieceCount: 10, count: 1 }), RangeError);
  assert.throws(() => allowedFastSet(ip, new Uint8Array(32), { pieceCount: 10, count: 1 }), RangeError);
  assert.throws(() => allowedFastSet(ip, infoHash, { pieceCount: -1, count: 1 }), RangeError);
  assert.throws(() => allowedFastSet(ip, infoHash, { pieceCount: 10, count: 1.5 }), RangeError);
});
