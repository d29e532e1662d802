/**
 * The choking algorithm (BEP 3 "Choking"): who we upload to. Pure policy: the caller passes the peers, their rates
 * and `now`, and calls it every 10 s and when peers come, go or change interest.
 *
 * @module
 */

import type { PeerKey } from "./piece_picker.ts";

/** One connection as the choker sees it. */
export interface ChokerPeer {
  /** The connection's key. */
  key: PeerKey;
  /** Whether the peer is interested in us (BEP 3 `interested`). */
  interested: boolean;
  /** Whether we choke the peer now. */
  choked: boolean;
  /** Bytes/s from the peer to us. */
  downloadRate: number;
  /** Bytes/s from us to the peer. */
  uploadRate: number;
  /** Whether the peer has every piece; a seed gets no upload slot, it cannot want anything from us. */
  isSeed?: boolean;
  /** When the connection was made, ms on the caller's monotonic clock. */
  connectedAt?: number;
}

/** Options for {@link Choker}. */
export interface ChokerOptions {
  /** Regular upload slots, besides the one optimistic unchoke; default 4 (BEP 3). */
  uploadSlots?: number;
  /** How long one peer stays the optimistic unchoke, ms; default 30000 (BEP 3). */
  optimisticInterval?: number;
  /** Uniform random source in `[0, 1)`; default `Math.random`. */
  random?: () => number;
}

/** Weight of a newly connected peer in the optimistic draw (BEP 3: "three times as likely"). */
const NEW_PEER_WEIGHT = 3;

/**
 * Decides which peers are unchoked, BEP 3 style with libtorrent's choices where BEP 3 leaves room:
 *
 * - Regular slots (`uploadSlots`, default 4) go to the interested peers that are not seeds with the best rate:
 *   while leeching the rate they give us (`downloadRate`, reciprocation); while seeding the rate we reach to them
 *   (`uploadRate`, BEP 3 "uses its upload rate"), so the slots go where the bytes flow fastest; the optimistic
 *   unchoke keeps trying others. Ties go to peers already unchoked (no fibrillation), then to the lower key.
 * - One optimistic unchoke on top of the regular slots (BEP 3 counts it among the four; we follow libtorrent and
 *   add it), drawn among the choked interested peers and kept for `optimisticInterval` ms. Peers connected within
 *   the last interval weigh 3 times as much in the draw (BEP 3). If the optimistic peer wins a regular slot,
 *   loses interest or leaves, another is drawn at once.
 * - Peers that are not interested get no slot and are choked, as libtorrent does; they are unchoked when they
 *   become interested and win a slot (call {@link Choker.rechoke} on interest changes).
 *
 * @example Four regular slots and an optimistic unchoke
 * ```ts
 * import assert from "node:assert/strict";
 * import { Choker } from "./choker.ts";
 *
 * const choker = new Choker({ random: () => 0 });
 * const peers = [1, 2, 3, 4, 5, 6].map((key) => ({
 *   key, interested: true, choked: true, downloadRate: key * 1000, uploadRate: 0,
 * }));
 * const unchoked = choker.rechoke(peers, 0, false);
 * assert.deepEqual([...unchoked].sort(), [2, 3, 4, 5, 6]);
 * assert.equal(choker.optimistic, 2);
 * ```
 */
export class Choker {
  /** Regular upload slots. */
  readonly uploadSlots: number;
  /** Optimistic unchoke rotation period, ms. */
  readonly optimisticInterval: number;
  #random: () => number;
  #optimistic: PeerKey | undefined;
  #optimisticSince = -Infinity;

  /**
   * Creates a choker with no optimistic unchoke yet.
   * @param options See {@link ChokerOptions}.
   * @throws {RangeError} When `uploadSlots` is not a non-negative integer or `optimisticInterval` is negative.
   */
  constructor(options: ChokerOptions = {}) {
    const { uploadSlots = 4, optimisticInterval = 30_000 } = options;
    if (!Number.isInteger(uploadSlots) || uploadSlots < 0) {
      throw new RangeError(`Cannot create choker: uploadSlots ${uploadSlots} is not a non-negative integer`);
    }
    if (!(optimisticInterval >= 0)) {
      throw new RangeError(`Cannot create choker: optimisticInterval ${optimisticInterval} is negative`);
    }
    this.uploadSlots = uploadSlots;
    this.optimisticInterval = optimisticInterval;
    this.#random = options.random ?? Math.random;
  }

  /** Key of the current optimistic unchoke, if any. */
  get optimistic(): PeerKey | undefined {
    return this.#optimistic;
  }

  /**
   * Chooses who is unchoked now.
   * @param peers Every connected peer.
   * @param now Monotonic time, ms.
   * @param seeding Whether we have every wanted piece (rank by upload rate instead of download rate).
   * @returns Keys of the peers to unchoke; every other peer is to be choked.
   */
  rechoke(peers: readonly ChokerPeer[], now: number, seeding: boolean): Set<PeerKey> {
    const eligible = peers.filter((p) => p.interested && p.isSeed !== true);
    const rate = (p: ChokerPeer) => seeding ? p.uploadRate : p.downloadRate;
    eligible.sort((a, b) => rate(b) - rate(a) || Number(a.choked) - Number(b.choked) || a.key - b.key);
    const unchoked = new Set<PeerKey>(eligible.slice(0, this.uploadSlots).map((p) => p.key));

    const rest = eligible.filter((p) => !unchoked.has(p.key));
    const current = rest.find((p) => p.key === this.#optimistic);
    if (current !== undefined && now - this.#optimisticSince < this.optimisticInterval) {
      unchoked.add(current.key);
      return unchoked;
    }
    const candidates = rest.filter((p) => p.choked && p.key !== this.#optimistic);
    const next = this.#draw(candidates, now) ?? current;
    if (next === undefined) {
      this.#optimistic = undefined;
      return unchoked;
    }
    if (next !== current) this.#optimisticSince = now;
    this.#optimistic = next.key;
    unchoked.add(next.key);
    return unchoked;
  }

  #draw(candidates: ChokerPeer[], now: number): ChokerPeer | undefined {
    if (candidates.length === 0) return undefined;
    const weight = (p: ChokerPeer) =>
      p.connectedAt !== undefined && now - p.connectedAt < this.optimisticInterval ? NEW_PEER_WEIGHT : 1;
    const total = candidates.reduce((sum, p) => sum + weight(p), 0);
    let x = this.#random() * total;
    for (const p of candidates) {
      x -= weight(p);
      if (x < 0) return p;
    }
    return candidates[candidates.length - 1];
  }
}
