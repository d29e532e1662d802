/**
 * Synchronous piece I/O for one storage: verify, write, read and flush pieces with positional reads and writes
 * (`pread`/`pwrite` through `node:fs`). The worker pool runs it off the main isolate; `InlineDiskIo` runs it on
 * the main thread for deterministic tests.
 *
 * @module
 */

import * as fs from "node:fs";
import { dirname } from "node:path";
import { StorageError } from "../errors.ts";
import type { StorageSpec } from "./disk_io.ts";
import { FileHandleCache } from "./file_handle_cache.ts";
import { FileLayout } from "./file_layout.ts";
import type { Hasher } from "./hasher.ts";
import { toStorageError } from "./_storage_error.ts";

/**
 * Largest single pwrite, in bytes. Measured by the bench on these machines: a 256 KiB write into new page cache
 * costs 0.16-1.33 s/GiB of system time, 64 KiB writes a steady 0.19-0.20 s/GiB.
 */
const MAX_WRITE_BYTES = 64 * 1024;

/** Codes under which `PieceStore.check` reports a piece as missing rather than failing. */
const MISSING = new Set(["ENOENT", "ENOTDIR", "ENODATA"]);

/** Options of `PieceStore`. */
export interface PieceStoreOptions {
  /** Descriptor cache, shared between the stores of one worker to bound its open files (default: a new one). */
  readonly fds?: FileHandleCache;
}

/**
 * One torrent's files as pieces. Not thread-safe; one instance per worker and storage.
 *
 * @example Write and read back a piece
 * ```ts
 * import { createHasher } from "./hasher.ts";
 * import { PieceStore } from "./piece_store.ts";
 * const dir = await Deno.makeTempDir();
 * const hasher = await createHasher("native");
 * const data = new Uint8Array(16).fill(7);
 * const store = new PieceStore({
 *   files: [{ path: `${dir}/a.bin`, length: 16, offset: 0 }],
 *   pieceLength: 16,
 *   totalLength: 16,
 *   pieceHashes: hasher.sha1(data),
 * });
 * if (!store.hashAndWrite(0, data, hasher)) throw new Error("the piece matches its hash");
 * if (!store.check(0, hasher)) throw new Error("the piece is on disk");
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class PieceStore {
  /** The storage this store serves. */
  readonly spec: StorageSpec;
  /** Its piece geometry. */
  readonly layout: FileLayout;
  readonly #fds: FileHandleCache;
  /** Indices of files written since the last `sync`. */
  readonly #dirty = new Set<number>();
  #scratch = new Uint8Array(0);

  /**
   * @param spec The storage: absolute, sanitised file paths.
   * @param options `fds`: a shared descriptor cache.
   * @throws {RangeError} When the spec is inconsistent (see `FileLayout`).
   */
  constructor(spec: StorageSpec, options: PieceStoreOptions = {}) {
    this.spec = spec;
    this.layout = new FileLayout(spec);
    this.#fds = options.fds ?? new FileHandleCache();
  }

  /**
   * Creates the parent directories of every file and the zero-length files (which no piece write creates).
   * Existing files are left as they are.
   * @throws {StorageError} op `mkdir` or `open`.
   */
  prepare(): void {
    const made = new Set<string>();
    for (const file of this.spec.files) {
      const parent = dirname(file.path);
      if (!made.has(parent)) {
        try {
          fs.mkdirSync(parent, { recursive: true });
        } catch (error) {
          throw toStorageError("mkdir", parent, error);
        }
        made.add(parent);
      }
      if (file.length === 0) {
        try {
          fs.closeSync(fs.openSync(file.path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644));
        } catch (error) {
          throw toStorageError("open", file.path, error);
        }
      }
    }
  }

  /**
   * Writes a whole piece to its files with positional writes, creating missing files and directories.
   * @param bytes Exactly the piece's bytes.
   * @throws {RangeError} When `bytes` is not the piece's size.
   * @throws {StorageError} op `open`, `mkdir` or `write` (ENOSPC, EACCES, EROFS, ...).
   */
  write(piece: number, bytes: Uint8Array): void {
    this.#checkSize(piece, bytes);
    for (const span of this.layout.spans(piece)) {
      const path = this.spec.files[span.fileIndex].path;
      const fd = this.#fds.openForWrite(path);
      this.#dirty.add(span.fileIndex);
      let done = 0;
      try {
        while (done < span.length) {
          done += fs.writeSync(
            fd,
            bytes,
            span.pieceOffset + done,
            Math.min(span.length - done, MAX_WRITE_BYTES),
            span.fileOffset + done,
          );
        }
      } catch (error) {
        throw toStorageError("write", path, error);
      }
    }
  }

  /**
   * Reads `dest.length` bytes of piece `piece` starting `begin` bytes into the piece.
   * @throws {RangeError} When the range lies outside the piece.
   * @throws {StorageError} op `read`: code `ENOENT` when a file is missing, `ENODATA` when it is too short,
   *   else the errno of the failure.
   */
  read(piece: number, dest: Uint8Array, begin = 0): void {
    for (const span of this.layout.spans(piece, { begin, length: dest.length })) {
      const path = this.spec.files[span.fileIndex].path;
      const fd = this.#fds.openForRead(path);
      if (fd === undefined) {
        throw new StorageError(
          "read",
          path,
          "ENOENT",
          `Cannot read ${path}: ENOENT (no such file or directory)`,
        );
      }
      let done = 0;
      try {
        while (done < span.length) {
          const n = fs.readSync(
            fd,
            dest,
            span.pieceOffset - begin + done,
            Math.min(span.length - done, MAX_WRITE_BYTES),
            span.fileOffset + done,
          );
          if (n === 0) break;
          done += n;
        }
      } catch (error) {
        throw toStorageError("read", path, error);
      }
      if (done < span.length) {
        const end = span.fileOffset + span.length;
        throw new StorageError(
          "read",
          path,
          "ENODATA",
          `Cannot read ${path}: ENODATA (file ends at byte ${span.fileOffset + done}, piece needs ${end})`,
        );
      }
    }
  }

  /**
   * Verifies `bytes` against the piece's SHA-1 (BEP 3) and writes them only if they match.
   * @returns Whether the piece matched (and was written).
   * @throws {RangeError} When `bytes` is not the piece's size.
   * @throws {StorageError} When the write fails.
   */
  hashAndWrite(piece: number, bytes: Uint8Array, hasher: Hasher): boolean {
    this.#checkSize(piece, bytes);
    if (!this.#matches(piece, hasher.sha1(bytes))) return false;
    this.write(piece, bytes);
    return true;
  }

  /**
   * Reads piece `piece` from disk and checks its SHA-1 (recheck). Never creates or truncates a file.
   * @returns `true` when present and matching; `false` when it differs, or a file is missing or short.
   * @throws {StorageError} On other read errors (EIO, EACCES, ...).
   */
  check(piece: number, hasher: Hasher): boolean {
    const size = this.layout.pieceSize(piece);
    if (this.#scratch.length < size) this.#scratch = new Uint8Array(size);
    const bytes = this.#scratch.subarray(0, size);
    try {
      this.read(piece, bytes);
    } catch (error) {
      if (error instanceof StorageError && MISSING.has(error.code)) return false;
      throw error;
    }
    return this.#matches(piece, hasher.sha1(bytes));
  }

  /**
   * Flushes (`fdatasync`) every file written since the last sync, so a caller may then record those pieces as
   * done (DESIGN.md section 5). A file deleted since it was written fails the sync: its data is gone.
   * @throws {StorageError} op `sync` (EIO, ENOSPC, ENOENT when the file was deleted).
   */
  sync(): void {
    for (const index of [...this.#dirty]) {
      const path = this.spec.files[index].path;
      const fd = this.#fds.cached(path) ?? this.#fds.openForRead(path);
      if (fd === undefined) {
        throw new StorageError("sync", path, "ENOENT", `Cannot sync ${path}: ENOENT (file was deleted)`);
      }
      try {
        fs.fdatasyncSync(fd);
      } catch (error) {
        throw toStorageError("sync", path, error);
      }
      this.#dirty.delete(index);
    }
  }

  /** Closes this storage's open files (unsynced data stays in the page cache, as with any close). */
  close(): void {
    for (const file of this.spec.files) this.#fds.forget(file.path);
    this.#dirty.clear();
    this.#scratch = new Uint8Array(0);
  }

  #checkSize(piece: number, bytes: Uint8Array): void {
    const size = this.layout.pieceSize(piece);
    if (bytes.length !== size) {
      throw new RangeError(`Piece ${piece} is ${size} bytes: got ${bytes.length}`);
    }
  }

  #matches(piece: number, digest: Uint8Array): boolean {
    const hashes = this.spec.pieceHashes;
    const at = piece * 20;
    for (let i = 0; i < 20; i++) {
      if (hashes[at + i] !== digest[i]) return false;
    }
    return true;
  }
}
