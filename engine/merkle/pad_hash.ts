/**
 * The hashes of Merkle subtrees that lie wholly beyond the end of a file (BEP 52).
 *
 * @module
 */

import { MERKLE_HASH_SIZE } from "./constants.ts";
import { hashPairInto } from "./_sha256.ts";

/** Most tree heights that can occur: 16 KiB leaves, files up to 2^64 bytes. */
const MAX_HEIGHT = 64;
const cache: Uint8Array[] = [new Uint8Array(MERKLE_HASH_SIZE)];

/**
 * The hash of a subtree of height `height` that covers no file data. BEP 52 sets the leaf hashes beyond the end
 * of a file to zero, so a pad node of height 0 is 32 zero bytes, and one of height `h` is
 * `SHA-256(pad(h - 1) || pad(h - 1))`. Results are cached; treat them as read-only.
 *
 * @param height Layers above the leaves: 0 for a leaf, `log2(piece length / 16 KiB)` for a piece-layer node.
 * @returns 32 bytes (shared: do not modify).
 * @throws {RangeError} When `height` is not an integer from 0 to 64.
 *
 * @example
 * ```ts
 * import { padHash } from "./pad_hash.ts";
 * import { createHash } from "node:crypto";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(padHash(0), new Uint8Array(32));
 * assert.deepEqual(padHash(1), new Uint8Array(createHash("sha256").update(new Uint8Array(64)).digest()));
 * ```
 */
export function padHash(height: number): Uint8Array {
  if (!Number.isInteger(height) || height < 0 || height > MAX_HEIGHT) {
    throw new RangeError(`Cannot make a pad hash of height ${height}: expected 0..${MAX_HEIGHT}`);
  }
  while (cache.length <= height) {
    const below = cache[cache.length - 1];
    const next = new Uint8Array(MERKLE_HASH_SIZE);
    hashPairInto(below, below, next, 0);
    cache.push(next);
  }
  return cache[height];
}
