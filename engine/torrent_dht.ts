/**
 * A torrent's use of the session's DHT node (BEP 5): look up peers for its info-hash and announce ourselves,
 * at start and every 15 minutes; a lookup that finds nobody (a DHT still filling its routing table, a swarm not
 * yet announced) is retried sooner, after 1, 2, 4 and 8 minutes. Private torrents (BEP 27) never use it.
 *
 * @module
 */

import type { PeerAddress } from "./tracker/mod.ts";

/** Milliseconds between DHT lookups and announces for one torrent (15 minutes). */
const DHT_INTERVAL_MS = 15 * 60_000;
/** Milliseconds before the first retry of a lookup that found no peers (1 minute); doubled up to the interval. */
const DHT_RETRY_MS = 60_000;

/** `setTimeout`/`clearTimeout` as {@linkcode TorrentDht} uses them (milliseconds). */
export interface TimerApi {
  /** Runs `fn` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): number;
  /** Cancels a timer; `undefined` or a fired timer is a no-op. */
  clearTimeout(handle: number | undefined): void;
}

const GLOBAL_TIMERS: TimerApi = {
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
  clearTimeout: (handle) => clearTimeout(handle),
};

/** The part of a DHT node a torrent uses. */
export interface DhtClient {
  /** Peers for an info-hash (20 bytes). */
  getPeers(infoHash: Uint8Array): Promise<PeerAddress[]>;
  /** Announces that we serve `infoHash` on TCP `port`. */
  announcePeer(infoHash: Uint8Array, port: number): Promise<number>;
}

/** Runs one torrent's DHT lookups on a timer. */
export class TorrentDht {
  #dht: DhtClient;
  #infoHash: Uint8Array;
  #port: () => number;
  #onPeers: (peers: PeerAddress[]) => void;
  #timer: number | undefined;
  #timers: TimerApi;
  #retryMs = DHT_RETRY_MS;

  /**
   * @param dht The session's DHT node.
   * @param infoHash The torrent's info-hash, 20 bytes.
   * @param port Our TCP listen port, announced to the DHT.
   * @param onPeers Receives the peers each lookup finds.
   * @param timers The timer functions (default the global `setTimeout`/`clearTimeout`); tests pass fakes.
   */
  constructor(
    dht: DhtClient,
    infoHash: Uint8Array,
    port: () => number,
    onPeers: (peers: PeerAddress[]) => void,
    timers: TimerApi = GLOBAL_TIMERS,
  ) {
    this.#timers = timers;
    this.#dht = dht;
    this.#infoHash = infoHash;
    this.#port = port;
    this.#onPeers = onPeers;
  }

  /** Looks up and announces now, then every 15 minutes (sooner while lookups find nobody). */
  start(): void {
    this.stop();
    this.#retryMs = DHT_RETRY_MS;
    this.#run();
  }

  /** Stops the timer; a lookup in flight ends by its own timeout. */
  stop(): void {
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #run(): void {
    // Scheduled now, so stop() cancels the next round even while this one is in flight.
    this.#timer = this.#timers.setTimeout(() => this.#run(), DHT_INTERVAL_MS);
    this.#dht.getPeers(this.#infoHash).then((peers) => peers, () => []).then((peers) => {
      if (this.#timer === undefined) return;
      if (peers.length > 0) {
        this.#retryMs = DHT_RETRY_MS;
        this.#onPeers(peers);
      } else if (this.#retryMs < DHT_INTERVAL_MS) {
        this.#timers.clearTimeout(this.#timer);
        this.#timer = this.#timers.setTimeout(() => this.#run(), this.#retryMs);
        this.#retryMs *= 2;
      }
    });
    if (this.#port() > 0) this.#dht.announcePeer(this.#infoHash, this.#port()).catch(() => {});
  }
}
