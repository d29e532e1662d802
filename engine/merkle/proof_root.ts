/**
 * Checking a BEP 52 `hashes` message: where its base hashes and uncle hashes lead.
 *
 * @module
 */

import { MERKLE_HASH_SIZE } from "./constants.ts";
import { type HashesRange, uncleCount } from "./hashes_range.ts";
import { merkleRoot } from "./merkle_root.ts";
import { hashPairInto, log2 } from "./_sha256.ts";

/** A tree node computed from a proof. */
export interface ProvenNode {
  /** Its layer, counted from the leaves. */
  layer: number;
  /** Its index in that layer. */
  index: number;
  /** Its hash, 32 bytes. */
  hash: Uint8Array;
}

/**
 * Computes the node that a `hashes` payload proves (BEP 52): the root of the `length` base hashes' subtree, then
 * one step up per uncle hash. The payload is valid when that node equals the known node at the same place: the
 * file's pieces root when `layer` is the tree's height, else a node verified earlier.
 *
 * @param range The range the payload answers.
 * @param payload `length` base hashes, then the uncle hashes, 32 bytes each.
 * @returns The proven node.
 * @throws {RangeError} When the range is malformed or the payload is not exactly
 *   `32 * (length + uncleCount(range))` bytes.
 *
 * @example
 * ```ts
 * import { proofRoot } from "./proof_root.ts";
 * import { merkleRoot } from "./merkle_root.ts";
 * import assert from "node:assert/strict";
 *
 * const leaves = new Uint8Array(4 * 32).map((_, i) => i);
 * const uncle = merkleRoot(leaves.subarray(64));
 * const payload = new Uint8Array([...leaves.subarray(0, 64), ...uncle]);
 * const proven = proofRoot({ baseLayer: 0, index: 0, length: 2, proofLayers: 1 }, payload);
 * assert.deepEqual(proven, { layer: 2, index: 0, hash: merkleRoot(leaves) });
 * ```
 */
export function proofRoot(range: HashesRange, payload: Uint8Array): ProvenNode {
  const uncles = uncleCount(range);
  const { baseLayer, index, length } = range;
  if (!Number.isSafeInteger(baseLayer) || baseLayer < 0 || !Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`Cannot check hashes: base layer ${baseLayer}, index ${index}`);
  }
  if (index % length !== 0) {
    throw new RangeError(`Cannot check hashes: index ${index} is not a multiple of length ${length}`);
  }
  const expected = (length + uncles) * MERKLE_HASH_SIZE;
  if (payload.length !== expected) {
    throw new RangeError(`Cannot check hashes: ${payload.length} bytes where ${expected} were expected`);
  }
  let hash = merkleRoot(payload.subarray(0, length * MERKLE_HASH_SIZE), { width: length });
  let layer = baseLayer + log2(length);
  let position = index / length;
  for (let u = 0; u < uncles; u++) {
    const uncle = payload.subarray((length + u) * MERKLE_HASH_SIZE, (length + u + 1) * MERKLE_HASH_SIZE);
    const parent = new Uint8Array(MERKLE_HASH_SIZE);
    if (position % 2 === 0) hashPairInto(hash, uncle, parent, 0);
    else hashPairInto(uncle, hash, parent, 0);
    hash = parent;
    layer++;
    position = Math.floor(position / 2);
  }
  return { layer, index: position, hash };
}
