/**
 * The root of a Merkle tree from one of its layers (BEP 52).
 *
 * @module
 */

import { MERKLE_HASH_SIZE } from "./constants.ts";
import { padHash } from "./pad_hash.ts";
import { parentLayer } from "./_layers.ts";
import { isPowerOfTwo, log2, nextPowerOfTwo } from "./_sha256.ts";

/** Options for {@linkcode merkleRoot}. */
export interface MerkleRootOptions {
  /**
   * Number of node slots in the given layer: a power of two at least the number of hashes given; slots past the
   * hashes hold pad hashes. Default: the next power of two of the number of hashes.
   */
  width?: number;
  /**
   * Height of the given layer above the leaves, which picks the pad hash for missing nodes: 0 for leaf hashes of
   * 16 KiB blocks (missing leaves are zero), `log2(piece length / 16 KiB)` for a piece layer. Default 0.
   */
  height?: number;
}

/**
 * Computes the root of a binary SHA-256 Merkle tree (BEP 52) from one layer of it, padding the layer to `width`
 * slots with the pad hash of its height. With leaf hashes (`height` 0) and the default width this is the
 * `pieces root` of a file; with a file's piece layer, `width = nextPowerOfTwo(leaf count) / blocks per piece` and
 * `height = log2(blocks per piece)`, it is the same root, computed from the piece layer.
 *
 * @param hashes The layer's nodes, 32 bytes each, concatenated (may be empty: the root is then a pad hash).
 * @param options `width` and `height` of the layer.
 * @returns The 32-byte root.
 * @throws {RangeError} When `hashes` is not a multiple of 32 bytes, or `width` is not a power of two that holds
 *   them all.
 *
 * @example The root of four leaves
 * ```ts
 * import { merkleRoot } from "./merkle_root.ts";
 * import { createHash } from "node:crypto";
 * import assert from "node:assert/strict";
 *
 * const h = (...parts: Uint8Array[]) => {
 *   const hash = createHash("sha256");
 *   for (const part of parts) hash.update(part);
 *   return new Uint8Array(hash.digest());
 * };
 * const leaves = [1, 2, 3].map((n) => h(new Uint8Array([n])));
 * const root = merkleRoot(new Uint8Array(leaves.flatMap((l) => [...l])));
 * assert.deepEqual(root, h(h(leaves[0], leaves[1]), h(leaves[2], new Uint8Array(32))));
 * ```
 */
export function merkleRoot(hashes: Uint8Array, options: MerkleRootOptions = {}): Uint8Array {
  if (hashes.length % MERKLE_HASH_SIZE !== 0) {
    throw new RangeError(`Cannot compute a Merkle root: ${hashes.length} bytes is not a multiple of 32`);
  }
  let count = hashes.length / MERKLE_HASH_SIZE;
  const width = options.width ?? nextPowerOfTwo(count);
  let height = options.height ?? 0;
  if (!isPowerOfTwo(width) || width < count) {
    throw new RangeError(
      `Cannot compute a Merkle root: width ${width} is not a power of two holding ${count} hashes`,
    );
  }
  if (count === 0) return padHash(height + log2(width)).slice();
  let layer = hashes;
  for (let slots = width; slots > 1; slots /= 2) {
    layer = parentLayer(layer, count, height);
    count = Math.ceil(count / 2);
    height++;
  }
  return layer === hashes ? hashes.slice() : layer;
}
