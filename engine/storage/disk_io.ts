/**
 * The disk and hashing boundary (DESIGN.md section 4): one typed interface with async jobs and backpressure,
 * like libtorrent's `disk_interface.hpp`. Implementations: `WorkerDiskIo` (the worker pool), `InlineDiskIo`
 * (same functions on the main thread) and `FaultyDiskIo` (fault injection for tests).
 *
 * @module
 */

/** One file of a torrent's storage, laid end to end in torrent byte order. */
export interface StorageFile {
  /** Absolute path on disk, already sanitised and checked to be inside the save directory. */
  readonly path: string;
  /** File length in bytes. */
  readonly length: number;
  /** Byte offset of the file's first byte in the torrent's concatenated data. */
  readonly offset: number;
  /**
   * A BEP 47 padding file (`attr` `p`, and the synthetic `.pad/N` files of a v2-only torrent): its bytes are zeros,
   * it is never created, written or read; reads of it give zeros and writes skip it.
   */
  readonly padding?: boolean;
  /**
   * v2 and hybrid torrents, non-empty files: the file's BEP 52 `pieces root` (32 bytes). When any file has one, the
   * storage verifies pieces by SHA-256 Merkle roots: such a file must start on a piece boundary.
   */
  readonly piecesRoot?: Uint8Array;
  /** BEP 47 `attr` `x`: `DiskIo.applyAttributes` makes the file executable (mode 0o755). */
  readonly executable?: boolean;
  /** BEP 47 `attr` `h`: recorded only; Linux has no hidden flag beyond a leading dot in the name. */
  readonly hidden?: boolean;
  /**
   * BEP 47 `attr` `l`: the link's target, an absolute path already sanitised and joined inside the save directory
   * (`resolveInside`). The entry is never created as a regular file; `DiskIo.applyAttributes` makes the link.
   */
  readonly symlinkTarget?: string;
}

/** What a DiskIo needs to know of one torrent to verify, write and read its pieces. */
export interface StorageSpec {
  /** Files in torrent order. Zero-length files are created empty. */
  readonly files: readonly StorageFile[];
  /** Nominal piece length in bytes (the last piece may be shorter). */
  readonly pieceLength: number;
  /** Sum of the file lengths in bytes. */
  readonly totalLength: number;
  /**
   * Concatenated SHA-1 piece hashes (BEP 3 `pieces`): 20 bytes per piece; empty for a v2-only torrent, whose files
   * then all carry `piecesRoot`.
   */
  readonly pieceHashes: Uint8Array;
  /**
   * v2 and hybrid: BEP 52 `piece layers` known so far, keyed by pieces root in lowercase hex (as
   * `TorrentInfo.pieceLayers`): 32 bytes per piece of each file larger than one piece. A file larger than one
   * piece without its layer has pieces whose v2 hash is unknown until `DiskIo.setPieceLayer`.
   */
  readonly pieceLayers?: ReadonlyMap<string, Uint8Array>;
  /**
   * The save directory every path is inside; needed only to create BEP 47 symbolic links, whose targets are
   * checked to stay inside it.
   */
  readonly saveDir?: string;
  /**
   * A storage that is only read and hashed (torrent creation, `DiskIo.hashPiece`): it has no expected hashes
   * (`pieceHashes` empty, no pieces roots), `addStorage` creates nothing, files are opened read-only (so a run
   * scoped with `--allow-read` alone can hash them), and writing or verifying its pieces is refused.
   */
  readonly hashOnly?: boolean;
}

/**
 * What a piece check found: `ok` (it matches every hash the storage has for it: SHA-1, Merkle root or both),
 * `failed` (a hash differs), `missing` (a file is missing or short), `unknown` (the data is there but the piece's
 * v2 hash is not known yet and there is no SHA-1 to decide).
 */
export type PieceVerdict = "ok" | "failed" | "missing" | "unknown";

/** Which hash implementation a DiskIo uses: `native` (node:crypto) or `wasm` (hash-wasm). */
export type HashBackend = "native" | "wasm";

/** Result of `DiskIo.hashAndWrite`. */
export interface WriteResult {
  /** Whether the piece matched its hashes (`verdict` `ok`); it was then written. */
  readonly ok: boolean;
  /** The piece buffer handed back for reuse (it was transferred to a worker and back), when available. */
  readonly buffer?: ArrayBuffer;
  /**
   * `ok` (verified and written), `failed` (not written) or `unknown` (a v2-only piece whose Merkle hash is not known
   * yet: written unverified, `ok` false; compare `pieceRoot` once the layer arrives). Always set by the DiskIos of
   * this folder.
   */
  readonly verdict?: Exclude<PieceVerdict, "missing">;
  /** With verdict `unknown`: the piece's computed Merkle root (32 bytes, BEP 52), to check against its layer later. */
  readonly pieceRoot?: Uint8Array;
  /**
   * With verdict `failed`, for a hybrid torrent: the piece matched its SHA-1 or its Merkle root but not both, so
   * the torrent's v1 and v2 hashes describe different data (BEP 52 "Upgrade Path"): the torrent is at fault, not the
   * peers that sent the piece.
   */
  readonly inconsistent?: true;
}

/** Which hashes `DiskIo.hashPiece` computes. */
export interface PieceHashRequest {
  /** The piece's SHA-1 (BEP 3), over all its bytes, padding files as zeros. */
  readonly sha1: boolean;
  /**
   * The piece's v2 Merkle root (BEP 52) over the bytes of the one file it holds (padding after it ignored): for a
   * file larger than one piece the root of the piece's 16 KiB leaves padded to a whole piece (its piece layer
   * entry), for a file of at most one piece the file's `pieces root`.
   */
  readonly v2: boolean;
}

/** What `DiskIo.hashPiece` computed. */
export interface PieceHashes {
  /** SHA-1, 20 bytes, when asked for. */
  readonly sha1?: Uint8Array;
  /** v2 Merkle root, 32 bytes, when asked for and the piece holds bytes of a file (not only padding). */
  readonly root?: Uint8Array;
}

/** Async disk and hash jobs for all torrents of a session. */
export interface DiskIo {
  /**
   * Registers a torrent's storage and creates its directories (not its files: files are created on first write).
   * @returns A storage id used by the other calls.
   * @throws {StorageError} When a directory cannot be created.
   */
  addStorage(spec: StorageSpec): Promise<number>;
  /** Forgets a storage, closing its open files. */
  removeStorage(id: number): Promise<void>;
  /**
   * Verifies a complete piece against its SHA-1 (v1), its Merkle root (v2, BEP 52) or both (hybrid: a mismatch of
   * either fails it) and, if it matches, writes it with positional writes (padding files are skipped). A v2-only
   * piece whose root is not known yet is written unverified (verdict `unknown`). `buffer` is transferred (the
   * caller must not use it afterwards); it holds exactly the piece's bytes.
   * @throws {StorageError} When the write fails (ENOSPC, EACCES, ...).
   */
  hashAndWrite(id: number, piece: number, buffer: ArrayBuffer): Promise<WriteResult>;
  /**
   * Reads `length` bytes at `begin` of piece `piece`, through a bounded read cache of whole pieces.
   * @throws {StorageError} When the file is missing or short.
   */
  read(id: number, piece: number, begin: number, length: number): Promise<Uint8Array>;
  /**
   * Reads piece `piece` from disk and checks its hashes (recheck, seeding existing data).
   * @returns `true` when the data is present and matches; `false` when it does not match, is missing/short, or
   *   its v2 hash is not known yet.
   */
  checkPiece(id: number, piece: number): Promise<boolean>;
  /**
   * Like `checkPiece`, telling apart why a piece is not `ok`.
   * @returns The verdict: `unknown` when the data is present but only a missing v2 hash could decide.
   * @throws {StorageError} On read errors other than a missing or short file.
   */
  verifyPiece(id: number, piece: number): Promise<PieceVerdict>;
  /**
   * Reads piece `piece` from disk (padding files as zeros) and computes its hashes without comparing them with
   * anything: torrent creation. The piece is read whole, into a reused buffer.
   * @param want Which hashes: SHA-1 (BEP 3) and/or the v2 Merkle root (BEP 52; the piece's file must start on a
   *   piece boundary and be the only file in it, as BEP 52 lays files out).
   * @returns The hashes asked for.
   * @throws {StorageError} When a file is missing (`ENOENT`), shorter than listed (`ENODATA`) or unreadable.
   * @throws {RangeError} When the storage or piece is unknown, or `v2` is asked of a piece holding two files.
   */
  hashPiece(id: number, piece: number, want: PieceHashRequest): Promise<PieceHashes>;
  /**
   * Adds the piece layer of every file whose pieces root is `piecesRoot` (BEP 52; from `hashes` messages for a
   * torrent added by magnet). Later checks of those pieces compare their Merkle roots with the layer.
   * @param piecesRoot The file's pieces root, 32 bytes.
   * @param layer 32 bytes per piece of the file, leading to `piecesRoot`.
   * @throws {RangeError} When no file of the storage has that root, or the layer does not lead to it.
   */
  setPieceLayer(id: number, piecesRoot: Uint8Array, layer: Uint8Array): Promise<void>;
  /**
   * Applies file `fileIndex`'s BEP 47 attributes: executable gets mode 0o755, a symbolic link is created (its
   * target and the link checked to stay inside `StorageSpec.saveDir`, through links already on disk), hidden does
   * nothing on Linux. Call it when a file completes, and for links at any time. Idempotent.
   * @throws {StorageError} When the file is missing (`ENOENT`), a link would lead outside the save directory
   *   (`ESCAPE`) or something else stands where the link goes (`EEXIST`).
   * @throws {RangeError} When the storage or file index is unknown, or a link's storage has no `saveDir`.
   */
  applyAttributes(id: number, fileIndex: number): Promise<void>;
  /** Flushes (fdatasync) every file of the storage written since the last sync. */
  sync(id: number): Promise<void>;
  /** Bytes handed to `hashAndWrite` whose jobs have not finished: the picker holds back requests above a budget. */
  readonly pendingBytes: number;
  /** Stops the workers and closes all files. */
  close(): Promise<void>;
}
