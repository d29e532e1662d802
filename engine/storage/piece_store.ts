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
import type { PieceHashes, PieceHashRequest, PieceVerdict, StorageSpec } from "./disk_io.ts";
import { FileHandleCache } from "./file_handle_cache.ts";
import { FileLayout, type FileSpan } from "./file_layout.ts";
import type { Hasher } from "./hasher.ts";
import { V2PieceHashes } from "./v2_piece_hashes.ts";
import { openNoFollow } from "./_open_no_follow.ts";
import { pieceRoot } from "./_piece_root.ts";
import { toStorageError } from "./_storage_error.ts";
import { MERKLE_BLOCK_SIZE } from "../merkle/constants.ts";

/**
 * Largest single pwrite, in bytes. Measured by the bench on these machines: a 256 KiB write into new page cache
 * costs 0.16-1.33 s/GiB of system time, 64 KiB writes a steady 0.19-0.20 s/GiB.
 */
const MAX_WRITE_BYTES = 64 * 1024;

/**
 * Files a hash-only storage keeps open: creation reads pieces in order, so only the last few files are touched
 * again.
 */
const MAX_READ_ONLY_FILES = 8;

/** Codes under which `PieceStore.check` reports a piece as missing rather than failing. */
const MISSING = new Set(["ENOENT", "ENOTDIR", "ENODATA"]);

/** What `PieceStore.hashAndWrite` did with a piece. */
export interface WriteOutcome {
  /** `ok`: verified and written; `failed`: not written; `unknown`: v2-only, root not known yet, written unverified. */
  readonly verdict: "ok" | "failed" | "unknown";
  /** With `unknown`: the piece's computed Merkle root (32 bytes). */
  readonly pieceRoot?: Uint8Array;
  /**
   * With `failed`, for a hybrid: the piece matched one of its two hashes (SHA-1 or Merkle root) and not the other,
   * so the torrent's v1 and v2 hashes describe different data (BEP 52). Not the sender's fault.
   */
  readonly inconsistent?: true;
}

const OK: WriteOutcome = Object.freeze({ verdict: "ok" });
const FAILED: WriteOutcome = Object.freeze({ verdict: "failed" });
const INCONSISTENT: WriteOutcome = Object.freeze({ verdict: "failed", inconsistent: true });

/** Options of `PieceStore`. */
export interface PieceStoreOptions {
  /** Descriptor cache, shared between the stores of one worker to bound its open files (default: a new one). */
  readonly fds?: FileHandleCache;
}

/**
 * One torrent's files as pieces, verified by SHA-1 (v1), SHA-256 Merkle roots (v2, BEP 52) or both (hybrid).
 * BEP 47 padding files are never created, written or read: their bytes read as zeros. Not thread-safe; one
 * instance per worker and storage.
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
 * if (store.hashAndWrite(0, data, hasher).verdict !== "ok") throw new Error("the piece matches its hash");
 * if (store.check(0, hasher) !== "ok") throw new Error("the piece is on disk");
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class PieceStore {
  /** The storage this store serves. */
  readonly spec: StorageSpec;
  /** Its piece geometry. */
  readonly layout: FileLayout;
  /** Its v2 piece hashes; `undefined` for a v1 storage. */
  readonly v2: V2PieceHashes | undefined;
  readonly #fds: FileHandleCache;
  /** Indices of files written since the last `sync`. */
  readonly #dirty = new Set<number>();
  #scratch = new Uint8Array(0);
  /** Read-only descriptors of a `hashOnly` storage, oldest first (they bypass the shared cache, which opens O_RDWR). */
  readonly #readOnly = new Map<string, number>();

  /**
   * @param spec The storage: absolute, sanitised file paths.
   * @param options `fds`: a shared descriptor cache.
   * @throws {RangeError} When the spec is inconsistent (see `FileLayout` and `V2PieceHashes.from`), or a symbolic
   *   link has a length.
   */
  constructor(spec: StorageSpec, options: PieceStoreOptions = {}) {
    this.spec = spec;
    this.layout = new FileLayout(spec);
    const link = spec.files.findIndex((file) => file.symlinkTarget !== undefined && file.length > 0);
    if (link !== -1) throw new RangeError(`Cannot lay out storage: symbolic link ${link} holds piece data`);
    this.v2 = V2PieceHashes.from(spec);
    this.#fds = options.fds ?? new FileHandleCache();
  }

  /**
   * Creates the parent directories of every file and the zero-length files (which no piece write creates).
   * Existing files are left as they are. Padding files and symbolic links are skipped.
   * @throws {StorageError} op `mkdir` or `open`.
   */
  prepare(): void {
    if (this.spec.hashOnly === true) return;
    const made = new Set<string>();
    for (const file of this.spec.files) {
      if (file.padding === true || file.symlinkTarget !== undefined) continue;
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
   * Writes a whole piece to its files with positional writes, creating missing files and directories. Bytes of
   * padding files are skipped.
   * @param bytes Exactly the piece's bytes.
   * @throws {RangeError} When `bytes` is not the piece's size.
   * @throws {StorageError} op `open`, `mkdir` or `write` (ENOSPC, EACCES, EROFS, ...).
   */
  write(piece: number, bytes: Uint8Array): void {
    this.#checkSize(piece, bytes);
    this.#refuseHashOnly("write", piece);
    for (const span of this.layout.spans(piece)) {
      const file = this.spec.files[span.fileIndex];
      if (file.padding === true) continue;
      const path = file.path;
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
   * Reads `dest.length` bytes of piece `piece` starting `begin` bytes into the piece. Padding files read as zeros.
   * @throws {RangeError} When the range lies outside the piece.
   * @throws {StorageError} op `read`: code `ENOENT` when a file is missing, `ENODATA` when it is too short,
   *   else the errno of the failure.
   */
  read(piece: number, dest: Uint8Array, begin = 0): void {
    this.#read(piece, dest, begin, MAX_WRITE_BYTES);
  }

  /**
   * Reads the whole piece (one read per file span, into a reused buffer; padding as zeros) and computes the hashes
   * asked for, comparing them with nothing (torrent creation).
   * @returns SHA-1 (20 bytes) and/or v2 Merkle root (32 bytes; none for a piece of padding only).
   * @throws {RangeError} When the piece is outside the storage, or `v2` is asked of a piece that holds bytes of
   *   two files or of a file not starting on a piece boundary.
   * @throws {StorageError} op `read` (`ENOENT`, `ENODATA`, ...), as `read`.
   */
  hashPiece(piece: number, want: PieceHashRequest, hasher: Hasher): PieceHashes {
    const size = this.layout.pieceSize(piece);
    if (this.#scratch.length < size) this.#scratch = new Uint8Array(size);
    const bytes = this.#scratch.subarray(0, size);
    const spans = this.#read(piece, bytes, 0, Infinity);
    const sha1 = want.sha1 ? hasher.sha1(bytes) : undefined;
    const root = want.v2 ? this.#v2Root(piece, bytes, spans, hasher) : undefined;
    return { ...(sha1 === undefined ? {} : { sha1 }), ...(root === undefined ? {} : { root }) };
  }

  #v2Root(
    piece: number,
    bytes: Uint8Array,
    spans: readonly FileSpan[],
    hasher: Hasher,
  ): Uint8Array | undefined {
    const { files, pieceLength } = this.spec;
    const held = spans.filter((span) => files[span.fileIndex].padding !== true);
    if (held.length === 0) return undefined;
    const file = files[held[0].fileIndex];
    if (held.length > 1 || file.offset % pieceLength !== 0) {
      throw new RangeError(
        `Cannot hash piece ${piece} as v2: it holds bytes of ${
          held.length > 1 ? "more than one file" : "a file not starting on a piece boundary"
        }`,
      );
    }
    const blocks = Math.ceil(file.length / MERKLE_BLOCK_SIZE);
    const width = file.length > pieceLength ? pieceLength / MERKLE_BLOCK_SIZE : nextPowerOfTwo(blocks);
    const { pieceOffset, length } = held[0];
    return pieceRoot(bytes.subarray(pieceOffset, pieceOffset + length), width, hasher);
  }

  /** Reads `dest.length` bytes at `begin` of the piece, at most `chunk` bytes per read call; returns the spans. */
  #read(piece: number, dest: Uint8Array, begin: number, chunk: number): FileSpan[] {
    const spans = this.layout.spans(piece, { begin, length: dest.length });
    for (const span of spans) {
      const file = this.spec.files[span.fileIndex];
      if (file.padding === true) {
        dest.fill(0, span.pieceOffset - begin, span.pieceOffset - begin + span.length);
        continue;
      }
      const path = file.path;
      const fd = this.spec.hashOnly === true ? this.#openReadOnly(path) : this.#fds.openForRead(path);
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
            Math.min(span.length - done, chunk),
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
    return spans;
  }

  /**
   * Verifies `bytes` against the piece's SHA-1 (BEP 3), Merkle root (BEP 52) or both, and writes them only if they
   * match, or, for a v2-only piece whose root is not known yet, unverified (verdict `unknown`). For a hybrid piece
   * whose v2 root is not known yet, the SHA-1 decides.
   * @returns The verdict, and the computed root with `unknown`.
   * @throws {RangeError} When `bytes` is not the piece's size.
   * @throws {StorageError} When the write fails.
   */
  hashAndWrite(piece: number, bytes: Uint8Array, hasher: Hasher): WriteOutcome {
    this.#checkSize(piece, bytes);
    this.#refuseHashOnly("write", piece);
    const outcome = this.#verify(piece, bytes, hasher);
    if (outcome.verdict !== "failed") this.write(piece, bytes);
    return outcome;
  }

  /**
   * Checks `bytes` against the piece's hashes like `hashAndWrite`, without writing them.
   * @throws {RangeError} When `bytes` is not the piece's size.
   */
  verify(piece: number, bytes: Uint8Array, hasher: Hasher): WriteOutcome {
    this.#checkSize(piece, bytes);
    return this.#verify(piece, bytes, hasher);
  }

  /**
   * Reads piece `piece` from disk and checks its hashes (recheck). Never creates or truncates a file.
   * @returns `ok` when present and matching; `failed` when it differs; `missing` when a file is missing or short;
   *   `unknown` when present but only a v2 root not known yet could decide.
   * @throws {StorageError} On other read errors (EIO, EACCES, ...).
   */
  check(piece: number, hasher: Hasher): PieceVerdict {
    this.#refuseHashOnly("check", piece);
    const size = this.layout.pieceSize(piece);
    if (this.#scratch.length < size) this.#scratch = new Uint8Array(size);
    const bytes = this.#scratch.subarray(0, size);
    try {
      this.read(piece, bytes);
    } catch (error) {
      if (error instanceof StorageError && MISSING.has(error.code)) return "missing";
      throw error;
    }
    return this.#verify(piece, bytes, hasher).verdict;
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
    for (const fd of this.#readOnly.values()) fs.closeSync(fd);
    this.#readOnly.clear();
    this.#dirty.clear();
    this.#scratch = new Uint8Array(0);
  }

  /** A descriptor opened read-only, never following a link; `undefined` when the file does not exist. */
  #openReadOnly(path: string): number | undefined {
    const cached = this.#readOnly.get(path);
    if (cached !== undefined) return cached;
    let fd: number;
    try {
      fd = openNoFollow(path, fs.constants.O_RDONLY);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw toStorageError("open", path, error);
    }
    if (this.#readOnly.size >= MAX_READ_ONLY_FILES) {
      const [oldest, oldFd] = this.#readOnly.entries().next().value!;
      this.#readOnly.delete(oldest);
      fs.closeSync(oldFd);
    }
    this.#readOnly.set(path, fd);
    return fd;
  }

  #refuseHashOnly(op: string, piece: number): void {
    if (this.spec.hashOnly === true) {
      throw new RangeError(`Cannot ${op} piece ${piece}: the storage is hash-only`);
    }
  }

  #checkSize(piece: number, bytes: Uint8Array): void {
    const size = this.layout.pieceSize(piece);
    if (bytes.length !== size) {
      throw new RangeError(`Piece ${piece} is ${size} bytes: got ${bytes.length}`);
    }
  }

  #verify(piece: number, bytes: Uint8Array, hasher: Hasher): WriteOutcome {
    const v1 = this.spec.pieceHashes.length > 0;
    const v1Ok = v1 && this.#matches(piece, hasher.sha1(bytes));
    if (this.v2 === undefined) return v1 && !v1Ok ? FAILED : OK;
    if (v1 && !v1Ok) {
      // A hybrid piece failing SHA-1: bad data, unless its Merkle root matches and its padding (which only the
      // SHA-1 covers) is zeros: then the torrent's two hashes disagree.
      const v2Ok = this.v2.verify(piece, bytes, hasher).verdict === "ok";
      return v2Ok && this.#paddingIsZero(piece, bytes) ? INCONSISTENT : FAILED;
    }
    const { verdict, pieceRoot } = this.v2.verify(piece, bytes, hasher);
    if (verdict === "failed") return v1 ? INCONSISTENT : FAILED;
    if (verdict === "unknown" && !v1) return { verdict, pieceRoot };
    return OK;
  }

  /** Whether the bytes of BEP 47 padding files in the piece are all zeros. */
  #paddingIsZero(piece: number, bytes: Uint8Array): boolean {
    for (const span of this.layout.spans(piece)) {
      if (this.spec.files[span.fileIndex].padding !== true) continue;
      const end = span.pieceOffset + span.length;
      for (let i = span.pieceOffset; i < end; i++) if (bytes[i] !== 0) return false;
    }
    return true;
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

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
