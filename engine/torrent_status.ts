/**
 * The frozen snapshot a `TorrentHandle.status()` returns.
 *
 * @module
 */

import type { TorrentState } from "./alerts.ts";
import type { TorrentInfo } from "./metainfo/mod.ts";

/**
 * One torrent's state at one moment. Rates are bytes/s over the last 5 s; sizes and counters are bytes.
 *
 * Three byte counts describe the data: `totalLength` is everything in the torrent, `wantedLength` the pieces
 * of the selected files (see `TorrentHandle.setFilePriorities`), and `verifiedBytes` / `wantedVerifiedBytes`
 * what of each is verified. `progress` is `wantedVerifiedBytes / wantedLength`; trackers are told
 * `left = totalLength - verifiedBytes`.
 */
export interface TorrentStatus {
  /** Info-hash, 40 lowercase hex characters. */
  readonly infoHash: string;
  /** Torrent name (sanitised). */
  readonly name: string;
  /**
   * What the torrent is doing. `seeding` once every wanted piece is verified (the torrent is finished): with
   * files left out it serves the pieces it has, and goes back to `downloading` when more files are selected.
   */
  readonly state: TorrentState;
  /** Verified fraction of the wanted data, 0..1: `wantedVerifiedBytes / wantedLength` (1 when nothing is wanted). */
  readonly progress: number;
  /** During `checking`: fraction of pieces checked, 0..1; otherwise 1. */
  readonly checkProgress: number;
  /** Sum of all file lengths (bytes), wanted or not. */
  readonly totalLength: number;
  /**
   * Bytes of the wanted pieces: those overlapping a file of priority above 0, counted in full (a piece shared
   * with an unwanted file is downloaded whole). Equals `totalLength` when every file is wanted.
   */
  readonly wantedLength: number;
  /** Bytes of verified wanted pieces: the part of `wantedLength` that is done. */
  readonly wantedVerifiedBytes: number;
  /** Bytes of verified pieces, wanted or not: the part of `totalLength` that is done. */
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
  /** Seconds until the wanted data is done at the current rate, or `null` when unknown or done. */
  readonly eta: number | null;
  /** Seconds since the torrent finished downloading in this session, or `null`. */
  readonly seedingSeconds: number | null;
  /** The error message when `state` is `error`. */
  readonly error?: string;
  /** Directory the files are saved under. */
  readonly savePath: string;
}

/** What a torrent's status is made of; see {@linkcode statusOf}. */
export interface StatusParts {
  info: TorrentInfo;
  savePath: string;
  state: TorrentState;
  error?: string;
  /** During `checking`: fraction checked, 0..1. */
  checkProgress: number;
  /** Byte counts of the file selection. */
  bytes: { wantedBytes: number; verifiedWantedBytes: number; verifiedBytes: number };
  piecesHave: number;
  peers: number;
  rates: { downloadRate: number; uploadRate: number; seeds: number };
  counters: { downloaded: number; uploaded: number; wasted: number };
  seedingSeconds: number | null;
}

/** Builds the frozen {@linkcode TorrentStatus} from a torrent's parts. */
export function statusOf(parts: StatusParts): TorrentStatus {
  const { info, state, bytes, rates } = parts;
  const left = bytes.wantedBytes - bytes.verifiedWantedBytes;
  return Object.freeze({
    infoHash: info.infoHashHex,
    name: info.name,
    state,
    progress: bytes.wantedBytes === 0 ? 1 : bytes.verifiedWantedBytes / bytes.wantedBytes,
    checkProgress: state === "checking" ? parts.checkProgress : 1,
    totalLength: info.totalLength,
    wantedLength: bytes.wantedBytes,
    wantedVerifiedBytes: bytes.verifiedWantedBytes,
    verifiedBytes: bytes.verifiedBytes,
    piecesHave: parts.piecesHave,
    pieceCount: info.pieceCount,
    downloadRate: rates.downloadRate,
    uploadRate: rates.uploadRate,
    ...parts.counters,
    peers: parts.peers,
    seeds: rates.seeds,
    eta: left === 0 || rates.downloadRate < 1 ? null : Math.ceil(left / rates.downloadRate),
    seedingSeconds: parts.seedingSeconds,
    error: parts.error,
    savePath: parts.savePath,
  });
}
