/**
 * Leaf hashes of v2 Merkle trees (BEP 52).
 *
 * @module
 */

import { MERKLE_BLOCK_SIZE, MERKLE_HASH_SIZE } from "./constants.ts";
import { sha256Into } from "./_sha256.ts";

/**
 * SHA-256 of each 16 KiB block of `data`, concatenated: the leaf hashes of the data's Merkle tree (BEP 52). The last
 * block may be shorter and is hashed as it is, without padding.
 *
 * @param data File data starting on a block boundary (a whole file, or a piece of one).
 * @returns `32 * ceil(data.length / 16384)` bytes (empty for empty data).
 *
 * @example
 * ```ts
 * import { blockHashes } from "./block_hashes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(blockHashes(new Uint8Array(16385)).length, 64);
 * ```
 */
export function blockHashes(data: Uint8Array): Uint8Array {
  const count = Math.ceil(data.length / MERKLE_BLOCK_SIZE);
  const out = new Uint8Array(count * MERKLE_HASH_SIZE);
  for (let i = 0; i < count; i++) {
    const block = data.subarray(i * MERKLE_BLOCK_SIZE, (i + 1) * MERKLE_BLOCK_SIZE);
    sha256Into(block, out, i * MERKLE_HASH_SIZE);
  }
  return out;
}
