/**
 * The shapes of parsed metainfo (BEP 3 v1, BEP 52 v2 and hybrid, BEP 47 file attributes).
 *
 * @module
 */

/** One file of a torrent, in the order of the piece data (BEP 3 `files`, or BEP 52 `file tree` order). */
export interface TorrentFile {
  /**
   * Sanitised path components relative to the save directory: `[name]` for a single-file torrent (for a v2-only
   * one, the name of its one `file tree` entry), and `[name, ...path]` for a multi-file torrent. No component is
   * empty, `.`, `..`, or holds a separator. Join with `resolveInside(saveDir, path)`.
   */
  readonly path: readonly string[];
  /** Size in bytes. */
  readonly length: number;
  /** Offset in bytes of the file's first byte within the torrent's concatenated data (the piece space). */
  readonly offset: number;
  /**
   * `true` for a BEP 47 padding file (`attr` contains `p`): its bytes are zeros and it is never written. A v2-only
   * torrent gets padding files (`[name, ".pad", "N"]`) between its files, so that every non-empty file starts on a
   * piece boundary as BEP 52 lays them out.
   */
  readonly padding?: boolean;
  /** `true` when BEP 47 `attr` contains `x`: the file should be made executable. */
  readonly executable?: boolean;
  /** `true` when BEP 47 `attr` contains `h`: the file should be hidden (where the platform has such a flag). */
  readonly hidden?: boolean;
  /**
   * For a BEP 47 symbolic link (`attr` contains `l`): the sanitised target, as components relative to the save
   * directory like `path` (`symlink path` is relative to the torrent's root directory). Every component is
   * sanitised, so the target stays inside the torrent's directory; still join it with `resolveInside` and check
   * the real path before following it. Absent when `symlink path` is missing or malformed: the entry is then an
   * ordinary file.
   */
  readonly symlinkPath?: readonly string[];
  /**
   * v2 and hybrid torrents, non-empty files: the root of the file's SHA-256 Merkle tree (BEP 52 `pieces root`),
   * 32 bytes.
   */
  readonly piecesRoot?: Uint8Array;
}

/**
 * A parsed torrent: v1 (BEP 3), v2-only or hybrid (BEP 52), with trackers (BEP 12), private flag (BEP 27), web
 * seeds (BEP 19) and file attributes (BEP 47).
 */
export interface TorrentInfo {
  /**
   * Which hashes the torrent carries: `v1` (SHA-1 pieces), `v2` (SHA-256 Merkle trees only, `meta version` 2
   * without `pieces`) or `hybrid` (both, describing the same files).
   */
  readonly version: "v1" | "v2" | "hybrid";
  /**
   * The 20-byte info-hash used on the wire, with trackers and in the DHT: the SHA-1 of the raw bencoded `info`
   * value for v1 and hybrid torrents, and the v2 info-hash truncated to its first 20 bytes for v2-only torrents
   * (BEP 52).
   */
  readonly infoHash: Uint8Array;
  /** `infoHash` as 40 lowercase hex digits. */
  readonly infoHashHex: string;
  /** v2 and hybrid: SHA-256 of the raw bencoded `info` value, 32 bytes (BEP 52). */
  readonly infoHashV2?: Uint8Array;
  /** `infoHashV2` as 64 lowercase hex digits. */
  readonly infoHashV2Hex?: string;
  /**
   * Sanitised display and directory name (`name.utf-8` when valid, else `name`); the info-hash in hex when the
   * name is missing or sanitises to nothing.
   */
  readonly name: string;
  /** Bytes per piece (the last piece may be shorter). A power of two of at least 16 KiB for v2 and hybrid. */
  readonly pieceLength: number;
  /** Number of pieces: `ceil(totalLength / pieceLength)`. */
  readonly pieceCount: number;
  /** Sum of all file lengths, in bytes (padding files included). */
  readonly totalLength: number;
  /**
   * The SHA-1 of each piece, concatenated: `20 * pieceCount` bytes for v1 and hybrid torrents; empty for a v2-only
   * torrent, whose pieces are checked against `pieceLayers` and the files' pieces roots.
   */
  readonly pieceHashes: Uint8Array;
  /** The files, in data order, with offsets (v1 `files` for v1 and hybrid, `file tree` order for v2-only). */
  readonly files: readonly TorrentFile[];
  /** Whether the files sit in a directory named `name` (v1 `files` list, or a v2 tree not made of one file). */
  readonly multiFile: boolean;
  /**
   * v2 and hybrid: BEP 52 `piece layers`, keyed by the file's pieces root in lowercase hex: for each file larger
   * than one piece, its piece hashes (32 bytes each, `ceil(length / pieceLength)` of them), already checked against
   * the pieces root. A file of at most one piece has no entry: its pieces root is its only piece hash.
   * `undefined` when the metainfo has no `piece layers` at all, as with metadata fetched from peers (BEP 9): the
   * layers must then come from peers (BEP 52 hash requests).
   */
  readonly pieceLayers?: ReadonlyMap<string, Uint8Array>;
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
