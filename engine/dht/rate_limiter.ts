/**
 * Per-IP limit on incoming DHT queries (HOSTILE_INPUTS.md 53): an IP sending more than N queries a second,
 * averaged over 10 seconds, is ignored until it has been quiet for a ban period (libtorrent's `dos_blocker`).
 *
 * @module
 */

/** Seconds over which the query rate is averaged: a burst up to 10 seconds' worth is allowed. */
export const RATE_WINDOW_SECONDS = 10;

/** Options for {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Queries allowed per IP per second, averaged over {@link RATE_WINDOW_SECONDS}. Default 5. */
  perIpPerSecond?: number;
  /** Seconds an IP is ignored after going over the limit, counted from its last query. Default 300. */
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
 * Counts queries per IP in windows of {@link RATE_WINDOW_SECONDS} and bans an IP that sends more than
 * `perIpPerSecond` × 10 in one window. A well-behaved node's burst (bootstrap, then a lookup and an announce per
 * torrent, a dozen queries in a second) passes; a flood is cut after 50 queries. While banned, every further
 * query extends the ban, so a flooder stays ignored until it has been quiet for `banSeconds`. Pure: no timers.
 *
 * @example Ban after a burst
 * ```ts
 * import { RateLimiter } from "./rate_limiter.ts";
 * import assert from "node:assert/strict";
 *
 * const limiter = new RateLimiter({ perIpPerSecond: 2, now: () => 0 });
 * for (let i = 0; i < 20; i++) assert.equal(limiter.allow("10.0.0.1"), true);
 * assert.equal(limiter.allow("10.0.0.1"), false);
 * assert.equal(limiter.isBanned("10.0.0.1"), true);
 * ```
 */
export class RateLimiter {
  readonly #limit: number;
  readonly #banMs: number;
  readonly #now: () => number;
  readonly #maxTracked: number;
  readonly #windows = new Map<string, Window>();

  /**
   * Makes a limiter.
   * @param options Limit, ban length, clock, tracking cap.
   */
  constructor(options: RateLimiterOptions = {}) {
    this.#limit = (options.perIpPerSecond ?? 5) * RATE_WINDOW_SECONDS;
    this.#banMs = (options.banSeconds ?? 300) * 1000;
    this.#now = options.now ?? Date.now;
    this.#maxTracked = options.maxTracked ?? 10_000;
  }

  /**
   * Counts one query from `host` and says whether to answer it.
   * @param host The sender's IP.
   * @returns `false` when `host` is banned (the ban then lasts `banSeconds` from now) or just went over the limit
   *   (and is now banned).
   */
  allow(host: string): boolean {
    const now = this.#now();
    let w = this.#windows.get(host);
    if (w === undefined) {
      if (this.#windows.size >= this.#maxTracked) this.#prune(now);
      w = { start: now, count: 0, bannedUntil: 0 };
      this.#windows.set(host, w);
    }
    if (w.bannedUntil > now) {
      w.bannedUntil = now + this.#banMs;
      return false;
    }
    if (now - w.start >= RATE_WINDOW_SECONDS * 1000) {
      w.start = now;
      w.count = 0;
    }
    w.count++;
    if (w.count > this.#limit) {
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
      if (w.bannedUntil <= now && now - w.start >= RATE_WINDOW_SECONDS * 1000) this.#windows.delete(host);
    }
    while (this.#windows.size >= this.#maxTracked) this.#windows.delete(this.#windows.keys().next().value!);
  }
}
