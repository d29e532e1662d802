/**
 * A per-peer rate limit for incoming BEP 52 hash requests.
 *
 * @module
 */

/** Options of {@linkcode HashRequestBudget}. */
export interface HashRequestBudgetOptions {
  /** Requests served per second, on average. Default 50 (up to 25,600 piece hashes a second). */
  ratePerSecond?: number;
  /** Requests that may be served at once after a quiet spell. Default 100. */
  burst?: number;
  /**
   * Requests over budget (answered with `hash reject`) tolerated before the peer should be dropped; the count
   * starts again once the peer lets its budget refill. Default 300, like the invalid requests tolerated from a
   * choked peer (DESIGN.md section 8).
   */
  maxOverBudget?: number;
}

/** What to do with one incoming hash request. */
export type HashRequestDecision =
  /** Answer it (`HashServer.answer`). */
  | "serve"
  /** Send `hash reject` without looking at it: BEP 52 requires an answer, and allows a separate rate limit. */
  | "reject"
  /** The peer is flooding (HOSTILE_INPUTS.md case 43): drop the connection. */
  | "drop";

/**
 * A token bucket for one peer's hash requests: `burst` tokens, refilled at `ratePerSecond`, one per request
 * served. Pure policy: time comes in as `now`, no timers. A flood of 10,000 requests costs at most `burst` answers
 * and `maxOverBudget` rejects before the decision becomes `drop`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HashRequestBudget } from "./hash_request_budget.ts";
 *
 * const budget = new HashRequestBudget({ ratePerSecond: 1, burst: 2, maxOverBudget: 1 });
 * assert.equal(budget.take(0), "serve");
 * assert.equal(budget.take(0), "serve");
 * assert.equal(budget.take(0), "reject");
 * assert.equal(budget.take(0), "drop");
 * assert.equal(budget.take(1000), "serve");
 * ```
 */
export class HashRequestBudget {
  #rate: number;
  #burst: number;
  #maxOverBudget: number;
  #tokens: number;
  #overBudget = 0;
  #last: number | undefined;

  /**
   * Makes a full bucket.
   *
   * @param options Rate, burst and flood threshold.
   * @throws {RangeError} When a rate is not a positive number or a count not a non-negative integer.
   */
  constructor(options: HashRequestBudgetOptions = {}) {
    const { ratePerSecond = 50, burst = 100, maxOverBudget = 300 } = options;
    if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
      throw new RangeError(`Cannot create hash request budget: rate ${ratePerSecond} is not positive`);
    }
    for (const [name, value] of [["burst", burst], ["maxOverBudget", maxOverBudget]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new RangeError(`Cannot create hash request budget: ${name} ${value} is not a whole number`);
      }
    }
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#maxOverBudget = maxOverBudget;
    this.#tokens = burst;
  }

  /**
   * Decides about one incoming request.
   *
   * @param now Monotonic time in milliseconds (e.g. `performance.now()`); earlier values than before count as no
   *   time passing.
   * @returns `serve`, `reject` or `drop`.
   */
  take(now: number): HashRequestDecision {
    if (this.#last !== undefined && now > this.#last) {
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    }
    if (this.#last === undefined || now > this.#last) this.#last = now;
    if (this.#tokens >= this.#burst) this.#overBudget = 0;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return "serve";
    }
    this.#overBudget++;
    return this.#overBudget > this.#maxOverBudget ? "drop" : "reject";
  }
}
