import assert from "node:assert/strict";
import fc from "fast-check";
import { fileMerkle } from "../merkle/file_merkle.ts";
import { createHasher } from "./hasher.ts";
import { pieceRoot } from "./_piece_root.ts";

const BLOCK = 16_384;

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

for (const backend of ["native", "wasm"] as const) {
  Deno.test(`pieceRoot() (${backend}) equals the piece layer entries and pieces roots of fileMerkle`, async () => {
    const hasher = await createHasher(backend);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 5 * BLOCK }),
        fc.integer({ min: 0, max: 255 }),
        (log2Blocks, length, seed) => {
          const pieceLength = BLOCK << log2Blocks;
          const data = new Uint8Array(length).map((_, i) => (i * 131 + seed) & 0xff);
          const { piecesRoot, pieceLayer } = fileMerkle(data, pieceLength);
          if (length <= pieceLength) {
            const width = nextPowerOfTwo(Math.ceil(length / BLOCK));
            assert.deepEqual(pieceRoot(data, width, hasher), piecesRoot);
            return Promise.resolve();
          }
          for (let p = 0; p * pieceLength < length; p++) {
            const piece = data.subarray(p * pieceLength, (p + 1) * pieceLength);
            assert.deepEqual(
              pieceRoot(piece, pieceLength / BLOCK, hasher),
              pieceLayer.subarray(p * 32, p * 32 + 32),
              `piece ${p}`,
            );
          }
          return Promise.resolve();
        },
      ),
      { numRuns: 60 },
    );
  });
}

Deno.test("pieceRoot() of one block is its SHA-256 and of 64 blocks a 6-level tree", async () => {
  const hasher = await createHasher("native");
  const block = new Uint8Array(BLOCK).fill(9);
  assert.deepEqual(pieceRoot(block, 1, hasher), hasher.sha256(block));
  const piece = new Uint8Array(64 * BLOCK).map((_, i) => i >> 10);
  assert.deepEqual(pieceRoot(piece, 64, hasher), fileMerkle(piece, 64 * BLOCK).piecesRoot);
});
