/**
 * `announce_peer` tokens (BEP 5): an HMAC-SHA-1 of the querier's IP under a secret that rotates every 5 minutes;
 * tokens under the current or previous secret are accepted, so a token lives 5 to 10 minutes.
 *
 * @module
 */

import { createHmac, timingSafeEqual } from "node:crypto";

/** Milliseconds between secret rotations (BEP 5: "every five minutes"). */
export const TOKEN_ROTATE_MS = 5 * 60_000;
/** Bytes of a token; short, because it travels in every `get_peers` reply. */
export const TOKEN_LENGTH = 8;

/** Options for {@link TokenManager}. */
export interface TokenManagerOptions {
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * Makes and checks `announce_peer` tokens (BEP 5). Rotation is lazy (checked on each call), so no timer runs.
 *
 * @example Issue and check a token
 * ```ts
 * import { TokenManager } from "./tokens.ts";
 * import assert from "node:assert/strict";
 *
 * const tokens = new TokenManager();
 * const token = tokens.create("10.0.0.1");
 * assert.equal(tokens.verify("10.0.0.1", token), true);
 * assert.equal(tokens.verify("10.0.0.2", token), false);
 * ```
 */
export class TokenManager {
  readonly #now: () => number;
  #current: Uint8Array;
  #previous: Uint8Array;
  #rotatedAt: number;

  /**
   * Makes a token manager with fresh random secrets.
   * @param options Clock.
   */
  constructor(options: TokenManagerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#current = crypto.getRandomValues(new Uint8Array(20));
    this.#previous = crypto.getRandomValues(new Uint8Array(20));
    this.#rotatedAt = this.#now();
  }

  #rotate(): void {
    const now = this.#now();
    const elapsed = now - this.#rotatedAt;
    if (elapsed < TOKEN_ROTATE_MS) return;
    this.#previous = elapsed >= 2 * TOKEN_ROTATE_MS
      ? crypto.getRandomValues(new Uint8Array(20))
      : this.#current;
    this.#current = crypto.getRandomValues(new Uint8Array(20));
    this.#rotatedAt = now - (elapsed % TOKEN_ROTATE_MS);
  }

  #mac(secret: Uint8Array, host: string): Uint8Array {
    return new Uint8Array(createHmac("sha1", secret).update(host).digest()).subarray(0, TOKEN_LENGTH);
  }

  /**
   * Makes a token for an IP.
   * @param host The querier's IP address as seen on the socket.
   * @returns {@link TOKEN_LENGTH} bytes.
   */
  create(host: string): Uint8Array {
    this.#rotate();
    return this.#mac(this.#current, host);
  }

  /**
   * Checks a token an `announce_peer` query carried (HOSTILE_INPUTS.md 52).
   * @param host The querier's IP address as seen on the socket.
   * @param token The token it sent.
   * @returns `true` when the token was made for `host` under the current or previous secret.
   */
  verify(host: string, token: Uint8Array): boolean {
    this.#rotate();
    if (token.length !== TOKEN_LENGTH) return false;
    return timingSafeEqual(token, this.#mac(this.#current, host)) ||
      timingSafeEqual(token, this.#mac(this.#previous, host));
  }
}
