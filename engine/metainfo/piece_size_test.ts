import assert from "node:assert/strict";
import { pieceSize } from "./piece_size.ts";

Deno.test("pieceSize() gives full pieces and a shorter last one", () => {
  const info = { pieceLength: 16_384, pieceCount: 3, totalLength: 40_000 };
  assert.equal(pieceSize(info, 0), 16_384);
  assert.equal(pieceSize(info, 1), 16_384);
  assert.equal(pieceSize(info, 2), 40_000 - 32_768);
  const exact = { pieceLength: 16_384, pieceCount: 2, totalLength: 32_768 };
  assert.equal(pieceSize(exact, 1), 16_384);
});

Deno.test("pieceSize() rejects indices out of range", () => {
  const info = { pieceLength: 16_384, pieceCount: 2, totalLength: 20_000 };
  assert.throws(() => pieceSize(info, 2), RangeError);
  assert.throws(() => pieceSize(info, -1), RangeError);
  assert.throws(() => pieceSize(info, 0.5), RangeError);
});
