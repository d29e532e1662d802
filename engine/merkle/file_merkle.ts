/**
 * A whole file's v2 Merkle hashes in one call (BEP 52).
 *
 * @module
 */

import { type FileMerkle, FileMerkleHasher } from "./file_merkle_hasher.ts";

/**
 * Computes the pieces root and piece layer of a file held in memory (BEP 52). For large files, feed a
 * {@linkcode FileMerkleHasher} in chunks instead.
 *
 * @param data The whole file.
 * @param pieceLength Bytes per piece: a power of two, at least 16 KiB.
 * @returns The pieces root (`undefined` for an empty file) and the piece layer (empty for a file of at most one
 *   piece).
 * @throws {RangeError} When `pieceLength` is not a power of two of at least 16 KiB.
 *
 * @example
 * ```ts
 * import { fileMerkle } from "./file_merkle.ts";
 * import { createHash } from "node:crypto";
 * import assert from "node:assert/strict";
 *
 * // A file of one block: the root is the block's hash.
 * const data = new TextEncoder().encode("hello");
 * assert.deepEqual(fileMerkle(data, 16_384).piecesRoot, new Uint8Array(createHash("sha256").update(data).digest()));
 * ```
 */
export function fileMerkle(data: Uint8Array, pieceLength: number): FileMerkle {
  const hasher = new FileMerkleHasher(pieceLength);
  hasher.update(data);
  return hasher.digest();
}
