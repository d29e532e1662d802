/**
 * How many block requests to keep outstanding to one peer (BEP 3 "pipelining").
 *
 * @module
 */

/** Inputs of {@link requestQueueSize}. */
export interface RequestQueueOptions {
  /** Current download rate from the peer, bytes/s. */
  downloadRate: number;
  /** Measured round-trip time to the peer, ms; default 0. */
  rttMs?: number;
  /** Bytes per block request; default 16384. */
  blockSize?: number;
  /** Fewest requests to keep outstanding, so a new or slow peer can ramp up; default 4. */
  min?: number;
  /** Most requests to keep outstanding (libtorrent `max_out_request_queue`); default 500. */
  max?: number;
  /** Seconds of data to keep requested ahead (libtorrent `request_queue_time`); default 3. */
  queueTime?: number;
}

/**
 * Number of block requests to keep outstanding to a peer: enough to cover `downloadRate` for `queueTime` seconds
 * plus one round trip, `ceil(downloadRate × (queueTime + rttMs / 1000) / blockSize)`, clamped to `min..max`.
 * This is libtorrent's sizing (rate × `request_queue_time` / block size) with the round trip added, because a
 * request sent now is answered only one round trip later, which matters on high-latency links.
 *
 * @param options See {@link RequestQueueOptions}.
 * @returns A whole number of requests in `min..max`.
 * @throws {RangeError} When a rate, time or size is negative or not finite, `blockSize` is not positive, or
 *   `min` is greater than `max`.
 *
 * @example 10 MiB/s over 50 ms
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestQueueSize } from "./request_queue.ts";
 *
 * // 10 MiB/s × 3.05 s / 16 KiB = 1952 blocks, capped at 500.
 * assert.equal(requestQueueSize({ downloadRate: 10 * 1024 * 1024, rttMs: 50 }), 500);
 * assert.equal(requestQueueSize({ downloadRate: 0 }), 4);
 * ```
 */
export function requestQueueSize(options: RequestQueueOptions): number {
  const { downloadRate, rttMs = 0, blockSize = 16384, min = 4, max = 500, queueTime = 3 } = options;
  for (
    const [name, value] of [["downloadRate", downloadRate], ["rttMs", rttMs], [
      "queueTime",
      queueTime,
    ]] as const
  ) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`Cannot size request queue: ${name} ${value} is not a non-negative number`);
    }
  }
  if (!Number.isFinite(blockSize) || blockSize <= 0) {
    throw new RangeError(`Cannot size request queue: blockSize ${blockSize} is not positive`);
  }
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || min > max) {
    throw new RangeError(
      `Cannot size request queue: min ${min} and max ${max} are not integers with min <= max`,
    );
  }
  const wanted = Math.ceil(downloadRate * (queueTime + rttMs / 1000) / blockSize);
  return Math.min(max, Math.max(min, wanted));
}
