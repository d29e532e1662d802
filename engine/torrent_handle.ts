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

  /**
   * The file priorities: one per file of `info.files` (in metainfo order, padding files included), 0 (do not
   * download) to 7 (highest); 4 unless set.
   */
  filePriorities(): number[] {
    return this.#torrent.files.priorities;
  }

  /**
   * Sets the file priorities and records them in the state store, where a restart finds them. Files at 0 are
   * not downloaded: only pieces overlapping a file above 0 are, higher priorities first. A piece shared with an
   * unwanted file is downloaded and written whole, so that file is created holding just those bytes; files
   * sharing no piece with a wanted file are never created. Newly wanted pieces are downloaded (a finished
   * torrent goes back to `downloading`); when every wanted piece is verified the torrent finishes
   * (`torrent_finished`) and seeds what it has. Pieces already had stay had.
   * @param priorities One integer in 0..7 per file.
   * @throws {RangeError} When `priorities` does not hold one integer in 0..7 per file.
   *
   * @example Download only the second file
   * ```ts ignore
   * handle.setFilePriorities(handle.info.files.map((_, i) => (i === 1 ? 4 : 0)));
   * ```
   */
  setFilePriorities(priorities: readonly number[]): void {
    this.#torrent.files.set(priorities);
  }
}
