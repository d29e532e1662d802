/**
 * The shapes the state store keeps per torrent (DESIGN.md section 5). Re-exported by `state_store.ts`.
 *
 * @module
 */

/** `stat` of one torrent file when a checkpoint was taken; lets a restart spot files changed behind our back. */
export interface FileStamp {
  /** Size in bytes; `-1` when the file was missing. */
  size: number;
  /** Modification time in ms since the Unix epoch (may be fractional); `0` when the file was missing. */
  mtimeMs: number;
}

/**
 * Everything the store keeps about one torrent: enough to resume it after a restart or a crash without
 * downloading again what was verified and durable.
 */
export interface TorrentRecord {
  /** The v1 info-hash (BEP 3) as 40 lowercase hex digits; the primary key. */
  infoHash: string;
  /** Display name. */
  name: string;
  /** The .torrent bytes, when the torrent was added from a .torrent (or its metadata was fetched, BEP 9). */
  metainfo?: Uint8Array;
  /** The magnet URI (BEP 9), when the torrent was added from one. */
  magnet?: string;
  /** Absolute path of the directory the torrent's files are saved under. */
  savePath: string;
  /** `downloading`, `seeding`, `paused`, `error` or `checking`; free text, stored as is. */
  state: string;
  /** What went wrong, when `state` is `error`. */
  error?: string;
  /** Number of pieces; `0` while a magnet's metadata is unknown. */
  pieceCount: number;
  /** Sum of the file lengths, in bytes. */
  totalLength: number;
  /**
   * Bitfield (BEP 3 layout: high bit of byte 0 is piece 0; `ceil(pieceCount / 8)` bytes; spare bits zero) of
   * the pieces whose data was verified and durable (after `fdatasync`) when the record was written.
   */
  have: Uint8Array;
  /** One stamp per torrent file, in torrent order. */
  files: FileStamp[];
  /** One priority per file, `0` (skip) to `7` (highest); absent means all default. */
  filePriorities?: number[];
  /** Payload bytes uploaded, total over all sessions. */
  uploaded: number;
  /** Payload bytes downloaded, total over all sessions. */
  downloaded: number;
  /** When the torrent was added, in ms since the Unix epoch. */
  addedAt: number;
  /** When the torrent was last active (checkpointed while running), in ms since the Unix epoch. */
  lastActiveAt: number;
  /** When the torrent first completed, in ms since the Unix epoch. */
  completedAt?: number;
}

/** What a checkpoint changes; `StateStore.saveProgress` writes it often, in one statement. */
export interface ProgressUpdate {
  /** See {@linkcode TorrentRecord.have}: only pieces durable on disk. */
  have: Uint8Array;
  /** One stamp per torrent file, taken after the `fdatasync` that made `have` durable. */
  files: FileStamp[];
  /** Payload bytes uploaded, total over all sessions. */
  uploaded: number;
  /** Payload bytes downloaded, total over all sessions. */
  downloaded: number;
  /** See {@linkcode TorrentRecord.state}. */
  state: string;
  /** What went wrong; absent clears a stored error. */
  error?: string;
  /** ms since the Unix epoch. */
  lastActiveAt: number;
  /** ms since the Unix epoch; absent keeps the stored value. */
  completedAt?: number;
}

/** A DHT node (BEP 5) kept between runs: a good node of the routing table when it was saved. */
export interface SavedDhtNode {
  /** The node's id, `Uint8Array` of 20 bytes. */
  id: Uint8Array;
  /** IPv4 (dotted quad) or IPv6 address, as text. */
  host: string;
  /** UDP port, 1–65535. */
  port: number;
  /** When the node last answered or queried us, in ms since the Unix epoch. */
  lastSeen: number;
}

/** What the DHT keeps between runs (DESIGN.md section 5): our node id and nodes to bootstrap from. */
export interface DhtState {
  /** Our node id (BEP 5), `Uint8Array` of 20 bytes: reusing it keeps our place in the DHT. */
  nodeId: Uint8Array;
  /** Good nodes of the routing table, most recently seen first; at most 200 are kept. */
  nodes: SavedDhtNode[];
}
