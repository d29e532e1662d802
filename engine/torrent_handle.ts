/**
 * The public handle of one torrent in a session.
 *
 * @module
 */

import type { TorrentInfo } from "./metainfo/mod.ts";
import type { Torrent } from "./torrent.ts";
import type { TorrentStatus } from "./torrent_status.ts";
import type { PeerAddress } from "./tracker/mod.ts";

/** A torrent in a {@linkcode Session}: its metainfo, a frozen `status()` snapshot, and controls. */
export class TorrentHandle {
  #torrent: Torrent;

  /** @internal Made by `Session.addTorrent`. */
  constructor(torrent: Torrent) {
    this.#torrent = torrent;
  }

  /** Info-hash, 40 lowercase hex characters. */
  get infoHash(): string {
    return this.#torrent.infoHash;
  }

  /** Torrent name (sanitised). */
  get name(): string {
    return this.#torrent.info.name;
  }

  /** The parsed metainfo. */
  get info(): TorrentInfo {
    return this.#torrent.info;
  }

  /** A frozen snapshot of the torrent's state, rates and counters. */
  status(): TorrentStatus {
    return this.#torrent.status();
  }

  /** Adds a peer to connect to. */
  addPeer(peer: PeerAddress): void {
    this.#torrent.addPeer(peer);
  }

  /** Disconnects every peer and stops transferring; data is kept. */
  pause(): void {
    this.#torrent.pause();
  }

  /** Resumes after `pause()`. */
  resume(): void {
    this.#torrent.resume();
  }

  /** Announces to the trackers now instead of at the next interval. */
  forceReannounce(): void {
    this.#torrent.reannounce();
  }
}
