/**
 * One step up a Merkle tree: the parents of a packed layer of 32-byte nodes.
 *
 * @module
 */

import { MERKLE_HASH_SIZE } from "./constants.ts";
import { padHash } from "./pad_hash.ts";
import { hashPairInto, nodeAt } from "./_sha256.ts";

/**
 * The parents of the `count` nodes in `layer` (packed, 32 bytes each) at height `height`: `ceil(count / 2)` nodes.
 * A last node without a right sibling is paired with the pad hash of its height (the sibling covers no data).
 */
export function parentLayer(layer: Uint8Array, count: number, height: number): Uint8Array {
  const parents = Math.ceil(count / 2);
  const out = new Uint8Array(parents * MERKLE_HASH_SIZE);
  for (let i = 0; i < parents; i++) {
    const left = nodeAt(layer, 2 * i);
    const right = 2 * i + 1 < count ? nodeAt(layer, 2 * i + 1) : padHash(height);
    hashPairInto(left, right, out, i * MERKLE_HASH_SIZE);
  }
  return out;
}
