/**
 * A token bucket of bytes: caps the DHT's total outgoing rate (HOSTILE_INPUTS.md 53: DHT output <= 8 KB/s).
 *
 * @module
 */

/** A byte budget refilled at `bytesPerSecond`, holding at most `burstBytes`. Pure: time comes from `now`. */
export class ByteBudget {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  /**
   * Makes a full budget.
   * @param bytesPerSecond Refill rate in bytes/s.
   * @param burstBytes Capacity in bytes.
   * @param now Clock in milliseconds.
   */
  constructor(bytesPerSecond: number, burstBytes: number, now: () => number) {
    this.#rate = bytesPerSecond;
    this.#burst = burstBytes;
    this.#now = now;
    this.#tokens = burstBytes;
    this.#last = now();
  }

  /**
   * Takes `bytes` from the budget if there are enough.
   * @param bytes Size of the packet to send.
   * @returns `false` (nothing taken) when the budget is short.
   */
  take(bytes: number): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + Math.max(0, now - this.#last) * this.#rate / 1000);
    this.#last = now;
    if (this.#tokens < bytes) return false;
    this.#tokens -= bytes;
    return true;
  }
}
