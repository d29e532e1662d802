/**
 * Per-IP limit on incoming DHT queries (HOSTILE_INPUTS.md 53): an IP sending more than N queries in one second is
 * ignored for a ban period.
 *
 * @module
 */

/** Options for {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Queries allowed per IP per second. Default 5. */
  perIpPerSecond?: number;
  /** Seconds an IP is ignored after going over the limit. Default 300. */
  banSeconds?: number;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Most IPs tracked at once; over it, idle entries are dropped. Default 10,000. */
  maxTracked?: number;
}

interface Window {
  start: number;
  count: number;
  bannedUntil: number;
}

/**
 * Counts queries per IP in one-second windows and bans an IP that goes over the limit. Pure: no timers.
 *
 * @example Ban after a burst
 * ```ts
 * import { RateLimiter } from "./rate_limiter.ts";
 * import assert from "node:assert/strict";
 *
 * const limiter = new RateLimiter({ perIpPerSecond: 2, now: () => 0 });
 * assert.equal(limiter.allow("10.0.0.1"), true);
 * assert.equal(limiter.allow("10.0.0.1"), true);
 * assert.equal(limiter.allow("10.0.0.1"), false);
 * assert.equal(limiter.isBanned("10.0.0.1"), true);
 * ```
 */
export class RateLimiter {
  readonly #perSecond: number;
  readonly #banMs: number;
  readonly #now: () => number;
  readonly #maxTracked: number;
  readonly #windows = new Map<string, Window>();

  /**
   * Makes a limiter.
   * @param options Limit, ban length, clock, tracking cap.
   */
  constructor(options: RateLimiterOptions = {}) {
    this.#perSecond = options.perIpPerSecond ?? 5;
    this.#banMs = (options.banSeconds ?? 300) * 1000;
    this.#now = options.now ?? Date.now;
    this.#maxTracked = options.maxTracked ?? 10_000;
  }

  /**
   * Counts one query from `host` and says whether to answer it.
   * @param host The sender's IP.
   * @returns `false` when `host` is banned or just went over the limit (and is now banned).
   */
  allow(host: string): boolean {
    const now = this.#now();
    let w = this.#windows.get(host);
    if (w === undefined) {
      if (this.#windows.size >= this.#maxTracked) this.#prune(now);
      w = { start: now, count: 0, bannedUntil: 0 };
      this.#windows.set(host, w);
    }
    if (w.bannedUntil > now) return false;
    if (now - w.start >= 1000) {
      w.start = now;
      w.count = 0;
    }
    w.count++;
    if (w.count > this.#perSecond) {
      w.bannedUntil = now + this.#banMs;
      return false;
    }
    return true;
  }

  /**
   * Whether `host` is banned now.
   * @param host An IP.
   * @returns `true` while the ban lasts.
   */
  isBanned(host: string): boolean {
    return (this.#windows.get(host)?.bannedUntil ?? 0) > this.#now();
  }

  #prune(now: number): void {
    for (const [host, w] of this.#windows) {
      if (w.bannedUntil <= now && now - w.start >= 1000) this.#windows.delete(host);
    }
    while (this.#windows.size >= this.#maxTracked) this.#windows.delete(this.#windows.keys().next().value!);
  }
}
