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
}

/** What a DiskIo needs to know of one torrent to verify, write and read its pieces. */
export interface StorageSpec {
  /** Files in torrent order. Zero-length files are created empty. */
  readonly files: readonly StorageFile[];
  /** Nominal piece length in bytes (the last piece may be shorter). */
  readonly pieceLength: number;
  /** Sum of the file lengths in bytes. */
  readonly totalLength: number;
  /** Concatenated SHA-1 piece hashes (BEP 3 `pieces`): 20 bytes per piece. */
  readonly pieceHashes: Uint8Array;
}

/** Which hash implementation a DiskIo uses: `native` (node:crypto) or `wasm` (hash-wasm). */
export type HashBackend = "native" | "wasm";

/** Result of `DiskIo.hashAndWrite`. */
export interface WriteResult {
  /** Whether the piece matched its SHA-1; only then was it written. */
  readonly ok: boolean;
  /** The piece buffer handed back for reuse (it was transferred to a worker and back), when available. */
  readonly buffer?: ArrayBuffer;
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
   * Verifies a complete piece against its SHA-1 and, if it matches, writes it with positional writes.
   * `buffer` is transferred (the caller must not use it afterwards); it holds exactly the piece's bytes.
   * @throws {StorageError} When the write fails (ENOSPC, EACCES, ...).
   */
  hashAndWrite(id: number, piece: number, buffer: ArrayBuffer): Promise<WriteResult>;
  /**
   * Reads `length` bytes at `begin` of piece `piece`, through a bounded read cache of whole pieces.
   * @throws {StorageError} When the file is missing or short.
   */
  read(id: number, piece: number, begin: number, length: number): Promise<Uint8Array>;
  /**
   * Reads piece `piece` from disk and checks its SHA-1 (recheck, seeding existing data).
   * @returns `true` when the data is present and matches; `false` when it does not match or is missing/short.
   */
  checkPiece(id: number, piece: number): Promise<boolean>;
  /** Flushes (fdatasync) every file of the storage written since the last sync. */
  sync(id: number): Promise<void>;
  /** Bytes handed to `hashAndWrite` whose jobs have not finished: the picker holds back requests above a budget. */
  readonly pendingBytes: number;
  /** Stops the workers and closes all files. */
  close(): Promise<void>;
}
