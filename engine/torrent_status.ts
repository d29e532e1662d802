/**
 * The frozen snapshot a `TorrentHandle.status()` returns.
 *
 * @module
 */

import type { TorrentState } from "./alerts.ts";

/** One torrent's state at one moment. Rates are bytes/s over the last 5 s; sizes and counters are bytes. */
export interface TorrentStatus {
  /** Info-hash, 40 lowercase hex characters. */
  readonly infoHash: string;
  /** Torrent name (sanitised). */
  readonly name: string;
  /** What the torrent is doing. */
  readonly state: TorrentState;
  /** Verified fraction of the wanted data, 0..1. */
  readonly progress: number;
  /** During `checking`: fraction of pieces checked, 0..1; otherwise 1. */
  readonly checkProgress: number;
  /** Sum of all file lengths (bytes). */
  readonly totalLength: number;
  /** Bytes of verified pieces. */
  readonly verifiedBytes: number;
  /** Pieces verified. */
  readonly piecesHave: number;
  /** Pieces in the torrent. */
  readonly pieceCount: number;
  /** Payload download rate (bytes/s). */
  readonly downloadRate: number;
  /** Payload upload rate (bytes/s). */
  readonly uploadRate: number;
  /** Payload bytes received this session (including waste). */
  readonly downloaded: number;
  /** Payload bytes sent this session. */
  readonly uploaded: number;
  /** Bytes received that were unrequested, duplicate or failed their hash. */
  readonly wasted: number;
  /** Connected peers. */
  readonly peers: number;
  /** Connected peers that have every piece. */
  readonly seeds: number;
  /** Seconds until done at the current rate, or `null` when unknown or done. */
  readonly eta: number | null;
  /** Seconds since the torrent finished downloading in this session, or `null`. */
  readonly seedingSeconds: number | null;
  /** The error message when `state` is `error`. */
  readonly error?: string;
  /** Directory the files are saved under. */
  readonly savePath: string;
}
