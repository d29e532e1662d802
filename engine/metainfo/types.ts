/**
 * The shapes of parsed metainfo (BEP 3).
 *
 * @module
 */

/** One file of a torrent, in the order of the metainfo (BEP 3), which is the order of the piece data. */
export interface TorrentFile {
  /**
   * Sanitised path components relative to the save directory: `[name]` for a single-file torrent, and
   * `[name, ...path]` for a multi-file torrent. No component is empty, `.`, `..`, or holds a separator. Join
   * with `resolveInside(saveDir, path)`.
   */
  readonly path: readonly string[];
  /** Size in bytes. */
  readonly length: number;
  /** Offset in bytes of the file's first byte within the torrent's concatenated data. */
  readonly offset: number;
  /** `true` for a BEP 47 padding file (`attr` contains `p`): its bytes are zeros and it is never written. */
  readonly padding?: boolean;
}

/** A parsed v1 torrent (BEP 3), with trackers (BEP 12), private flag (BEP 27) and web seeds (BEP 19). */
export interface TorrentInfo {
  /** SHA-1 of the raw bencoded `info` value as found in the file: 20 bytes. */
  readonly infoHash: Uint8Array;
  /** `infoHash` as 40 lowercase hex digits. */
  readonly infoHashHex: string;
  /**
   * Sanitised display and directory name (`name.utf-8` when valid, else `name`); the info-hash in hex when the
   * name is missing or sanitises to nothing.
   */
  readonly name: string;
  /** Bytes per piece (the last piece may be shorter). */
  readonly pieceLength: number;
  /** Number of pieces: `ceil(totalLength / pieceLength)`. */
  readonly pieceCount: number;
  /** Sum of all file lengths, in bytes (padding files included). */
  readonly totalLength: number;
  /** The SHA-1 of each piece, concatenated: `20 * pieceCount` bytes. */
  readonly pieceHashes: Uint8Array;
  /** The files, in metainfo order, with offsets. */
  readonly files: readonly TorrentFile[];
  /** Whether the metainfo has a `files` list (the name is then a directory). */
  readonly multiFile: boolean;
  /** Tracker tiers (BEP 12); `announce` alone is one tier. Only http, https and udp URLs are kept. */
  readonly announceList: readonly (readonly string[])[];
  /** BEP 27 private torrent (`private` = 1 in `info`): no DHT, no PEX, trackers only. */
  readonly private: boolean;
  /** Free-text `comment`. */
  readonly comment?: string;
  /** Free-text `created by`. */
  readonly createdBy?: string;
  /** `creation date` in seconds since the Unix epoch. */
  readonly creationDate?: number;
  /** BEP 19 web seed URLs (`url-list`), http and https only. Parsed, not used yet. */
  readonly urlList: readonly string[];
  /** The raw bencoded `info` dictionary, byte-exact (for BEP 9 ut_metadata). */
  readonly infoBytes: Uint8Array;
}
