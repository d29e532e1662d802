/**
 * A torrent's use of the session's DHT node (BEP 5): look up peers for its info-hash and announce ourselves,
 * at start and every 15 minutes. Private torrents (BEP 27) never use it.
 *
 * @module
 */

import type { PeerAddress } from "./tracker/mod.ts";

/** Minutes between DHT lookups and announces for one torrent. */
const DHT_INTERVAL_MINUTES = 15;

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
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param dht The session's DHT node.
   * @param infoHash The torrent's info-hash, 20 bytes.
   * @param port Our TCP listen port, announced to the DHT.
   * @param onPeers Receives the peers each lookup finds.
   */
  constructor(
    dht: DhtClient,
    infoHash: Uint8Array,
    port: () => number,
    onPeers: (peers: PeerAddress[]) => void,
  ) {
    this.#dht = dht;
    this.#infoHash = infoHash;
    this.#port = port;
    this.#onPeers = onPeers;
  }

  /** Looks up and announces now, then every 15 minutes. */
  start(): void {
    this.stop();
    this.#run();
    this.#timer = setInterval(() => this.#run(), DHT_INTERVAL_MINUTES * 60_000);
  }

  /** Stops the timer; a lookup in flight ends by its own timeout. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #run(): void {
    this.#dht.getPeers(this.#infoHash).then((peers) => {
      if (this.#timer !== undefined && peers.length > 0) this.#onPeers(peers);
    }, () => {});
    if (this.#port() > 0) this.#dht.announcePeer(this.#infoHash, this.#port()).catch(() => {});
  }
}
