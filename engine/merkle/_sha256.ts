/**
 * SHA-256 over `node:crypto`, the digest of v2 Merkle trees (BEP 52).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { MERKLE_HASH_SIZE } from "./constants.ts";

/** SHA-256 of `data`, written into `out` at `at` (32 bytes). */
export function sha256Into(data: Uint8Array, out: Uint8Array, at: number): void {
  out.set(createHash("sha256").update(data).digest(), at);
}

/** SHA-256 of `left || right`, written into `out` at `at` (32 bytes). */
export function hashPairInto(left: Uint8Array, right: Uint8Array, out: Uint8Array, at: number): void {
  out.set(createHash("sha256").update(left).update(right).digest(), at);
}

/** The 32-byte node at `index` of a packed layer. */
export function nodeAt(layer: Uint8Array, index: number): Uint8Array {
  return layer.subarray(index * MERKLE_HASH_SIZE, (index + 1) * MERKLE_HASH_SIZE);
}

/** Whether `n` is a positive power of two (up to 2^52). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** The smallest power of two `>= n` (1 for `n <= 1`). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** `log2(n)` for a power of two `n`. */
export function log2(n: number): number {
  return Math.round(Math.log2(n));
}
