/**
 * Checking a file's piece layer against its pieces root (BEP 52).
 *
 * @module
 */

import { MERKLE_BLOCK_SIZE, MERKLE_HASH_SIZE } from "./constants.ts";
import { merkleRoot } from "./merkle_root.ts";
import { isPowerOfTwo, log2 } from "./_sha256.ts";

/**
 * The `pieces root` that a file's piece layer leads to (BEP 52): the layer is padded to the next power of two with
 * the hashes of all-zero subtrees of a piece's height. Only meaningful for files larger than one piece, which are
 * the files `piece layers` holds a layer for.
 *
 * @param pieceLayer The file's piece hashes, 32 bytes each, concatenated (`ceil(file length / piece length)`).
 * @param pieceLength Bytes per piece: a power of two, at least 16 KiB.
 * @returns The 32-byte root, to compare with the file's `pieces root`.
 * @throws {RangeError} When `pieceLength` is not a power of two of at least 16 KiB, or the layer is not a
 *   multiple of 32 bytes.
 *
 * @example
 * ```ts
 * import { pieceLayerRoot } from "./piece_layer_root.ts";
 * import { fileMerkle } from "./file_merkle.ts";
 * import assert from "node:assert/strict";
 *
 * const { piecesRoot, pieceLayer } = fileMerkle(new Uint8Array(100_000).fill(7), 32_768);
 * assert.deepEqual(pieceLayerRoot(pieceLayer, 32_768), piecesRoot);
 * ```
 */
export function pieceLayerRoot(pieceLayer: Uint8Array, pieceLength: number): Uint8Array {
  if (!isPowerOfTwo(pieceLength) || pieceLength < MERKLE_BLOCK_SIZE) {
    throw new RangeError(
      `Cannot check a piece layer: piece length ${pieceLength} is not a power of two >= 16 KiB`,
    );
  }
  if (pieceLayer.length % MERKLE_HASH_SIZE !== 0) {
    throw new RangeError(`Cannot check a piece layer: ${pieceLayer.length} bytes is not a multiple of 32`);
  }
  return merkleRoot(pieceLayer, { height: log2(pieceLength / MERKLE_BLOCK_SIZE) });
}
