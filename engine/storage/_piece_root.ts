/**
 * The Merkle root of one v2 piece (BEP 52), hashed with a worker's `Hasher` so both backends verify v2 pieces.
 *
 * @module
 */

import { MERKLE_BLOCK_SIZE, MERKLE_HASH_SIZE } from "../merkle/constants.ts";
import { padHash } from "../merkle/pad_hash.ts";
import type { Hasher } from "./hasher.ts";

/**
 * The root of the Merkle subtree over `data`: SHA-256 leaves of 16 KiB blocks (the last block hashed as it is),
 * padded with zero leaves to `width` slots. For a piece of a file larger than one piece `width` is the piece's
 * blocks (`pieceLength / 16 KiB`); for a file of at most one piece it is the next power of two of the file's
 * blocks, and the root is the file's pieces root.
 *
 * @param data The file's bytes in the piece (at least one byte, at most `width` blocks).
 * @param width Leaf slots: a power of two.
 * @param hasher The SHA-256 to use.
 * @returns 32 bytes.
 */
export function pieceRoot(data: Uint8Array, width: number, hasher: Hasher): Uint8Array {
  let count = Math.ceil(data.length / MERKLE_BLOCK_SIZE);
  const layer = new Uint8Array(count * MERKLE_HASH_SIZE);
  for (let i = 0; i < count; i++) {
    layer.set(
      hasher.sha256(data.subarray(i * MERKLE_BLOCK_SIZE, (i + 1) * MERKLE_BLOCK_SIZE)),
      i * MERKLE_HASH_SIZE,
    );
  }
  const pair = new Uint8Array(2 * MERKLE_HASH_SIZE);
  let height = 0;
  for (let slots = width; slots > 1; slots /= 2) {
    const parents = Math.ceil(count / 2);
    for (let i = 0; i < parents; i++) {
      const left = 2 * i * MERKLE_HASH_SIZE;
      pair.set(layer.subarray(left, left + MERKLE_HASH_SIZE), 0);
      if (2 * i + 1 < count) {
        pair.set(layer.subarray(left + MERKLE_HASH_SIZE, left + 2 * MERKLE_HASH_SIZE), MERKLE_HASH_SIZE);
      } else {
        pair.set(padHash(height), MERKLE_HASH_SIZE);
      }
      // Parent i lands at or before its children, which were read into `pair` first: in place is safe.
      layer.set(hasher.sha256(pair), i * MERKLE_HASH_SIZE);
    }
    count = parents;
    height++;
  }
  return layer.slice(0, MERKLE_HASH_SIZE);
}
