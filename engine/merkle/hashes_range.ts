/**
 * The range of tree nodes a BEP 52 `hash request`, `hashes` or `hash reject` message names, and the size of the
 * answer.
 *
 * @module
 */

import { isPowerOfTwo, log2 } from "./_sha256.ts";

/** Which nodes of a file's Merkle tree are asked for (the fields of a BEP 52 `hash request` after the root). */
export interface HashesRange {
  /** Layer of the requested nodes, counted from the leaves: 0 for 16 KiB block hashes. */
  readonly baseLayer: number;
  /** Index of the first requested node in that layer: a multiple of `length`. */
  readonly index: number;
  /** Number of requested nodes: a power of two, at least 2. */
  readonly length: number;
  /**
   * Ancestor layers to cover with uncle hashes. The first `log2(length) - 1` are implied by the requested nodes
   * and sent as nothing (BEP 52); each further layer adds one uncle hash.
   */
  readonly proofLayers: number;
}

/**
 * The number of uncle hashes a `hashes` message carries after its `length` base hashes (BEP 52): the first
 * `log2(length) - 1` proof layers are omitted because the base hashes cover them.
 *
 * @param range The request (only `length` and `proofLayers` are read).
 * @returns `max(0, proofLayers - (log2(length) - 1))`.
 * @throws {RangeError} When `length` is not a power of two of at least 2 or `proofLayers` is negative.
 *
 * @example
 * ```ts
 * import { uncleCount } from "./hashes_range.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(uncleCount({ length: 2, proofLayers: 3 }), 3);
 * assert.equal(uncleCount({ length: 512, proofLayers: 10 }), 2);
 * assert.equal(uncleCount({ length: 8, proofLayers: 1 }), 0);
 * ```
 */
export function uncleCount(range: Pick<HashesRange, "length" | "proofLayers">): number {
  const { length, proofLayers } = range;
  if (!isPowerOfTwo(length) || length < 2) {
    throw new RangeError(`Cannot size a hashes range: length ${length} is not a power of two >= 2`);
  }
  if (!Number.isSafeInteger(proofLayers) || proofLayers < 0) {
    throw new RangeError(`Cannot size a hashes range: proof layers ${proofLayers} is not a whole number`);
  }
  return Math.max(0, proofLayers - (log2(length) - 1));
}
