/**
 * Peer exchange policy (BEP 11) for one torrent: what to tell each peer, and what to take from what each peer
 * tells us. Pure: time is passed in, no I/O, no timers.
 *
 * @module
 */

import { type AddressScope, addressScope, parseIp } from "../tracker/_ip.ts";
import { MAX_PEX_PEERS_TAKEN, type PexMessage, type PexPeer } from "../wire/ut_pex.ts";

/** Default least time between two PEX messages we send to one peer, in ms (BEP 11: at most one a minute). */
export const PEX_INTERVAL = 60_000;
/** Default most PEX messages taken from one peer per 60 s window; more are ignored (HOSTILE_INPUTS.md case 50). */
export const PEX_MAX_PER_MINUTE = 6;

const RATE_WINDOW = 60_000;

/** Options for {@linkcode PexState}. */
export interface PexStateOptions {
  /** Least time between two messages sent to one peer, in ms. Default {@linkcode PEX_INTERVAL}. */
  interval?: number;
  /** Most messages taken from one peer in any 60 s window. Default {@linkcode PEX_MAX_PER_MINUTE}. */
  maxPerMinute?: number;
  /** The torrent is private (BEP 27): no PEX is sent nor taken. Default `false`. */
  private?: boolean;
}

interface PeerState {
  /** `host|port` → peer, as of the last message sent to this peer. */
  sent: Map<string, PexPeer>;
  lastSentAt?: number;
  /** Arrival times (ms) of the last `maxPerMinute` messages from this peer, oldest first. */
  arrivals: number[];
}

/**
 * Per-torrent PEX bookkeeping, keyed by a caller-chosen number per connected peer (a connection id).
 *
 * Sending (BEP 11): each peer is told the peers connected since the last message sent to it and the ones gone
 * since then; transient connect-disconnect pairs in between are elided by the diff; at most one message per
 * `interval`; at most 50 added and 50 dropped per message (the rest follow in later messages).
 *
 * Taking (HOSTILE_INPUTS.md case 50): a peer's messages beyond `maxPerMinute` in a 60 s window are ignored;
 * loopback addresses are taken only from a loopback peer and private ones (RFC 1918, link-local, unique local)
 * only from a loopback or private peer; a public address already taken from the same message under another
 * port is ignored (BEP 11 security considerations); peers both added and dropped are ignored; at most 50 are
 * taken. A private torrent (BEP 27) neither sends nor takes.
 *
 * @example Two peers connect, one leaves
 * ```ts
 * import assert from "node:assert/strict";
 * import { PexState } from "./pex_state.ts";
 * const pex = new PexState();
 * const a = { host: "192.0.2.1", port: 6881 };
 * const b = { host: "192.0.2.2", port: 6881 };
 * assert.deepEqual(pex.message(1, [a, b], 0), { added: [a, b], dropped: [] });
 * assert.equal(pex.message(1, [a], 30_000), null);
 * assert.deepEqual(pex.message(1, [a], 60_000), { added: [], dropped: [b] });
 * ```
 */
export class PexState {
  readonly #interval: number;
  readonly #maxPerMinute: number;
  readonly #private: boolean;
  readonly #peers = new Map<number, PeerState>();

  /**
   * Makes the state of one torrent.
   * @param options Interval, receive rate limit, private flag.
   * @throws {RangeError} When `interval` is negative or `maxPerMinute` is not a positive integer.
   */
  constructor(options?: PexStateOptions) {
    this.#interval = options?.interval ?? PEX_INTERVAL;
    this.#maxPerMinute = options?.maxPerMinute ?? PEX_MAX_PER_MINUTE;
    this.#private = options?.private ?? false;
    if (!(this.#interval >= 0)) {
      throw new RangeError(`Cannot make PEX state: interval ${this.#interval} is negative`);
    }
    if (!Number.isInteger(this.#maxPerMinute) || this.#maxPerMinute < 1) {
      throw new RangeError(
        `Cannot make PEX state: maxPerMinute ${this.#maxPerMinute} is not a positive integer`,
      );
    }
  }

  /**
   * The message to send to one peer now, given the peers we are connected to (BEP 11). Returns `null` when the
   * torrent is private, when the last message to this peer was sent less than `interval` ago, or when nothing
   * changed; otherwise the message is recorded as sent at `now`.
   *
   * @param peerKey The recipient's key.
   * @param connected The peers we are connected to now (with their BEP 11 flags); duplicates are ignored. The
   *   caller may leave the recipient out.
   * @param now Current time in ms (any monotonic clock).
   * @returns The added and dropped peers, at most 50 of each, or `null`.
   */
  message(peerKey: number, connected: readonly PexPeer[], now: number): PexMessage | null {
    if (this.#private) return null;
    const state = this.#state(peerKey);
    if (state.lastSentAt !== undefined && now - state.lastSentAt < this.#interval) return null;
    const current = new Map<string, PexPeer>();
    for (const peer of connected) {
      const key = peerKeyOf(peer);
      if (!current.has(key)) current.set(key, peer);
    }
    const added: PexPeer[] = [];
    for (const [key, peer] of current) {
      if (added.length === MAX_PEX_PEERS_TAKEN) break;
      if (!state.sent.has(key)) added.push({ ...peer });
    }
    const dropped: PexPeer[] = [];
    for (const [key, peer] of state.sent) {
      if (dropped.length === MAX_PEX_PEERS_TAKEN) break;
      if (!current.has(key)) dropped.push({ host: peer.host, port: peer.port });
    }
    if (added.length === 0 && dropped.length === 0) return null;
    for (const peer of added) state.sent.set(peerKeyOf(peer), peer);
    for (const peer of dropped) state.sent.delete(peerKeyOf(peer));
    state.lastSentAt = now;
    return { added, dropped };
  }

  /**
   * The peers worth trying from a PEX message that arrived from one peer (see the class summary for the rules).
   *
   * @param peerKey The sender's key.
   * @param from The sender's address (`host` as IP text).
   * @param msg The decoded message (`decodePex`).
   * @param now Current time in ms (the clock used for {@linkcode PexState.message}).
   * @returns Copies of the added peers to consider, at most 50; `[]` when the message is ignored.
   */
  accept(peerKey: number, from: { host: string }, msg: PexMessage, now: number): PexPeer[] {
    if (this.#private) return [];
    const state = this.#state(peerKey);
    const arrivals = state.arrivals;
    while (arrivals.length > 0 && now - arrivals[0] >= RATE_WINDOW) arrivals.shift();
    const flooding = arrivals.length >= this.#maxPerMinute;
    arrivals.push(now);
    if (arrivals.length > this.#maxPerMinute) arrivals.shift();
    if (flooding) return [];
    const sourceScope = scopeOf(from.host);
    const dropped = new Set(msg.dropped.map(peerKeyOf));
    const seenPeers = new Set<string>();
    const seenPublicHosts = new Set<string>();
    const taken: PexPeer[] = [];
    for (const peer of msg.added) {
      if (taken.length === MAX_PEX_PEERS_TAKEN) break;
      const key = peerKeyOf(peer);
      if (dropped.has(key) || seenPeers.has(key)) continue;
      const scope = scopeOf(peer.host);
      if (!allowed(scope, sourceScope)) continue;
      if (scope === "public") {
        if (seenPublicHosts.has(peer.host)) continue;
        seenPublicHosts.add(peer.host);
      }
      seenPeers.add(key);
      taken.push({ ...peer });
    }
    return taken;
  }

  /**
   * Forgets a peer (call when its connection closes): what was sent to it and its message arrivals.
   * @param peerKey The peer's key.
   */
  forget(peerKey: number): void {
    this.#peers.delete(peerKey);
  }

  #state(peerKey: number): PeerState {
    let state = this.#peers.get(peerKey);
    if (state === undefined) {
      state = { sent: new Map(), arrivals: [] };
      this.#peers.set(peerKey, state);
    }
    return state;
  }
}

function peerKeyOf(peer: PexPeer): string {
  return `${peer.host}|${peer.port}`;
}

function scopeOf(host: string): AddressScope {
  const bytes = parseIp(host);
  return bytes === undefined ? "unusable" : addressScope(bytes);
}

function allowed(scope: AddressScope, source: AddressScope): boolean {
  switch (scope) {
    case "public":
      return true;
    case "private":
      return source === "private" || source === "loopback";
    case "loopback":
      return source === "loopback";
    default:
      return false;
  }
}
