/**
 * Transfer rate over a sliding window, for choking and request-queue sizing.
 *
 * @module
 */

/** Measures bytes/s over the last few seconds, in one-second buckets. */
export class RateMeter {
  #buckets: Float64Array;
  #bucketStart = 0;
  #index = 0;
  #total = 0;

  /** @param windowSeconds Length of the window in seconds (default 5). */
  constructor(windowSeconds = 5) {
    this.#buckets = new Float64Array(windowSeconds);
  }

  /** Total bytes ever added. */
  get total(): number {
    return this.#total;
  }

  /** Records `bytes` transferred at monotonic time `now` (ms). */
  add(bytes: number, now: number): void {
    this.#advance(now);
    this.#buckets[this.#index] += bytes;
    this.#total += bytes;
  }

  /** Rate in bytes/s at monotonic time `now` (ms), averaged over the full window. */
  rate(now: number): number {
    this.#advance(now);
    let sum = 0;
    for (const b of this.#buckets) sum += b;
    return sum / this.#buckets.length;
  }

  #advance(now: number): void {
    const second = Math.floor(now / 1000);
    if (this.#bucketStart === 0) this.#bucketStart = second;
    let steps = second - this.#bucketStart;
    if (steps <= 0) return;
    if (steps > this.#buckets.length) steps = this.#buckets.length;
    for (let i = 0; i < steps; i++) {
      this.#index = (this.#index + 1) % this.#buckets.length;
      this.#buckets[this.#index] = 0;
    }
    this.#bucketStart = second;
  }
}
