/**
 * The canonical BEP 6 allowed fast set: the pieces a peer may download from us while choked.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** Options of {@linkcode allowedFastSet}. */
export interface AllowedFastSetOptions {
  /** Number of pieces in the torrent. */
  pieceCount: number;
  /** Wanted size of the set (BEP 6 suggests 10); capped at `pieceCount`. */
  count: number;
}

/**
 * Computes the BEP 6 allowed fast set for the peer at `ipv4`: SHA-1 chained over the peer's /24 network and the
 * info-hash, each hash giving five big-endian indices modulo the piece count, first `count` distinct ones kept.
 * BEP 6 has no provision for IPv6, so only IPv4 peers get a set.
 *
 * @param ipv4 The peer's IPv4 address, 4 bytes in network order.
 * @param infoHash The 20-byte info-hash.
 * @param options Piece count and set size.
 * @returns Distinct piece indices in generation order (empty when there are no pieces).
 * @throws {RangeError} When `ipv4` is not 4 bytes, `infoHash` not 20, or a count is not a non-negative integer.
 *
 * @example The BEP 6 test vector
 * ```ts
 * import assert from "node:assert/strict";
 * import { allowedFastSet } from "./allowed_fast_set.ts";
 * const infoHash = new Uint8Array(20).fill(0xaa);
 * const set = allowedFastSet(Uint8Array.of(80, 4, 4, 200), infoHash, { pieceCount: 1313, count: 7 });
 * assert.deepEqual(set, [1059, 431, 808, 1217, 287, 376, 1188]);
 * ```
 */
export function allowedFastSet(
  ipv4: Uint8Array,
  infoHash: Uint8Array,
  options: AllowedFastSetOptions,
): number[] {
  const { pieceCount, count } = options;
  if (ipv4.length !== 4) {
    throw new RangeError(`Cannot compute allowed fast set: IPv4 address of ${ipv4.length} bytes`);
  }
  if (infoHash.length !== 20) {
    throw new RangeError(`Cannot compute allowed fast set: info-hash of ${infoHash.length} bytes`);
  }
  for (const [name, value] of [["pieceCount", pieceCount], ["count", count]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Cannot compute allowed fast set: ${name} ${value} is not a non-negative integer`);
    }
  }
  const k = Math.min(count, pieceCount);
  const set: number[] = [];
  const seen = new Set<number>();
  let x: Uint8Array = new Uint8Array(24);
  x.set(ipv4.subarray(0, 3));
  x.set(infoHash, 4);
  while (set.length < k) {
    x = createHash("sha1").update(x).digest();
    const view = new DataView(x.buffer, x.byteOffset, x.byteLength);
    for (let i = 0; i < 5 && set.length < k; i++) {
      const index = view.getUint32(i * 4) % pieceCount;
      if (!seen.has(index)) {
        seen.add(index);
        set.push(index);
      }
    }
  }
  return set;
}
