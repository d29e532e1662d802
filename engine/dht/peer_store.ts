/**
 * Peers announced to us with `announce_peer` (BEP 5), per info-hash, with expiry and hard caps.
 *
 * @module
 */

import type { PeerAddress } from "../tracker/types.ts";
import { hex } from "../bytes.ts";

/** Options for {@link PeerStore}. */
export interface PeerStoreOptions {
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Milliseconds an announced peer is kept. Default 30 minutes. */
  ttlMs?: number;
  /** Most peers kept per info-hash; the oldest is replaced. Default 100. */
  maxPeersPerHash?: number;
  /** Most info-hashes kept; the least recently announced one is dropped. Default 10,000. */
  maxHashes?: number;
}

/**
 * Stores announced peers (BEP 5) with expiry, per-hash and total caps. Pure: no timers; expired entries are
 * dropped on access and by {@link PeerStore.prune}.
 *
 * @example Announce and read back
 * ```ts
 * import { PeerStore } from "./peer_store.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new PeerStore();
 * const infoHash = new Uint8Array(20).fill(1);
 * store.add(infoHash, { host: "10.0.0.1", port: 6881 });
 * assert.deepEqual(store.get(infoHash), [{ host: "10.0.0.1", port: 6881 }]);
 * ```
 */
export class PeerStore {
  readonly #now: () => number;
  readonly #ttl: number;
  readonly #maxPeers: number;
  readonly #maxHashes: number;
  /** info-hash hex → (host:port → expiry ms); both maps in least-recently-updated order. */
  readonly #hashes = new Map<string, Map<string, number>>();

  /**
   * Makes an empty store.
   * @param options Clock, TTL and caps.
   */
  constructor(options: PeerStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#ttl = options.ttlMs ?? 30 * 60_000;
    this.#maxPeers = options.maxPeersPerHash ?? 100;
    this.#maxHashes = options.maxHashes ?? 10_000;
  }

  /** Number of info-hashes held. */
  get size(): number {
    return this.#hashes.size;
  }

  /**
   * Records that `peer` announced itself for `infoHash`, refreshing its expiry.
   * @param infoHash 20 bytes.
   * @param peer IPv4 host and port.
   */
  add(infoHash: Uint8Array, peer: PeerAddress): void {
    const key = hex(infoHash);
    let peers = this.#hashes.get(key);
    if (peers === undefined) {
      if (this.#hashes.size >= this.#maxHashes) this.prune();
      if (this.#hashes.size >= this.#maxHashes) this.#hashes.delete(this.#hashes.keys().next().value!);
      peers = new Map();
    }
    this.#hashes.delete(key);
    this.#hashes.set(key, peers);
    const address = `${peer.host}:${peer.port}`;
    peers.delete(address);
    if (peers.size >= this.#maxPeers) peers.delete(peers.keys().next().value!);
    peers.set(address, this.#now() + this.#ttl);
  }

  /**
   * Unexpired peers for `infoHash`, newest first.
   * @param infoHash 20 bytes.
   * @param max Most peers to return (default 50, which keeps a reply under 1500 bytes).
   * @returns Peers.
   */
  get(infoHash: Uint8Array, max = 50): PeerAddress[] {
    const key = hex(infoHash);
    const peers = this.#hashes.get(key);
    if (peers === undefined) return [];
    const now = this.#now();
    const out: PeerAddress[] = [];
    for (const [address, expiry] of peers) {
      if (expiry <= now) peers.delete(address);
    }
    if (peers.size === 0) {
      this.#hashes.delete(key);
      return [];
    }
    for (const address of [...peers.keys()].reverse().slice(0, max)) {
      const colon = address.lastIndexOf(":");
      out.push({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    }
    return out;
  }

  /** Drops every expired peer and every info-hash left empty. */
  prune(): void {
    const now = this.#now();
    for (const [key, peers] of this.#hashes) {
      for (const [address, expiry] of peers) if (expiry <= now) peers.delete(address);
      if (peers.size === 0) this.#hashes.delete(key);
    }
  }
}
