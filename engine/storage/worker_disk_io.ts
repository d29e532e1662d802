/**
 * The production `DiskIo`: a pool of disk workers that hash and write transferred piece buffers off the main
 * isolate, with a main-side read cache of whole pieces for uploads.
 *
 * @module
 */

import { WorkerPool } from "../../workers/worker_pool.ts";
import type {
  DiskIo,
  HashBackend,
  PieceHashes,
  PieceHashRequest,
  PieceVerdict,
  StorageSpec,
  WriteResult,
} from "./disk_io.ts";
import { applyFileAttributes } from "./apply_file_attributes.ts";
import { FileLayout } from "./file_layout.ts";
import { ReadCache } from "./_read_cache.ts";

/** Options of `WorkerDiskIo`. */
export interface WorkerDiskIoOptions {
  /** Number of disk workers (default: `navigator.hardwareConcurrency` clamped to 1..4). */
  readonly workers?: number;
  /** Hash backend of the workers (default `native`). */
  readonly hashBackend?: HashBackend;
  /** Byte budget of the read cache of whole pieces (default 32 MiB; 0 disables it). */
  readonly readCacheBytes?: number;
}

/**
 * `DiskIo` over a worker pool (DESIGN.md section 4). Every storage is registered on every worker, so any
 * worker can take any job; jobs go to the least-loaded worker. Piece buffers are transferred, never copied:
 * one transfer in, one back. Close it (or `await using` it) so its workers let the process exit.
 *
 * @example Verify and write a piece
 * ```ts
 * import { createHash } from "node:crypto";
 * import { WorkerDiskIo } from "./worker_disk_io.ts";
 * const dir = await Deno.makeTempDir();
 * const data = new Uint8Array(32).fill(1);
 * await using io = new WorkerDiskIo({ workers: 1 });
 * const id = await io.addStorage({
 *   files: [{ path: `${dir}/a.bin`, length: 32, offset: 0 }],
 *   pieceLength: 32,
 *   totalLength: 32,
 *   pieceHashes: new Uint8Array(createHash("sha1").update(data).digest()),
 * });
 * const { ok } = await io.hashAndWrite(id, 0, data.buffer);
 * if (!ok) throw new Error("the piece matches its hash");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class WorkerDiskIo implements DiskIo, AsyncDisposable {
  readonly #pool: WorkerPool;
  readonly #cache: ReadCache;
  readonly #storages = new Map<number, { readonly spec: StorageSpec; readonly layout: FileLayout }>();
  #nextStorage = 1;
  #pendingBytes = 0;
  readonly #workers: number;

  /**
   * Starts the workers.
   * @throws {RangeError} When `workers` or `readCacheBytes` is out of range.
   */
  constructor(options: WorkerDiskIoOptions = {}) {
    const workers = options.workers ?? Math.min(4, Math.max(1, navigator.hardwareConcurrency || 1));
    this.#cache = new ReadCache(options.readCacheBytes ?? 32 * 1024 * 1024);
    this.#pool = new WorkerPool({ workers, hashBackend: options.hashBackend ?? "native" });
    this.#workers = workers;
  }

  /** Bytes handed to `hashAndWrite` whose jobs have not finished. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Registers the storage on every worker; one of them creates its directories and zero-length files (none for a
   * `hashOnly` storage).
   * @throws {StorageError} When a directory or a zero-length file cannot be created.
   * @throws {RangeError} When the spec is inconsistent.
   */
  async addStorage(spec: StorageSpec): Promise<number> {
    const layout = new FileLayout(spec);
    const storage = this.#nextStorage++;
    try {
      await this.#pool.broadcast((i) => ({
        type: "addStorage",
        storage,
        spec,
        prepare: i === 0 && spec.hashOnly !== true,
      }));
    } catch (error) {
      await this.#pool.broadcast(() => ({ type: "removeStorage", storage })).catch(() => {});
      throw error;
    }
    this.#storages.set(storage, { spec, layout });
    return storage;
  }

  /** Forgets the storage on every worker, closing its files, and drops its cached pieces. */
  async removeStorage(id: number): Promise<void> {
    if (!this.#storages.delete(id)) return;
    this.#cache.deleteStorage(id);
    await this.#pool.broadcast(() => ({ type: "removeStorage", storage: id }));
  }

  /**
   * Transfers `buffer` to a worker that checks its hashes (SHA-1, Merkle root or both) and, if they match, writes
   * it (a v2-only piece whose root is not known yet is written unverified: verdict `unknown`).
   * @returns `ok`, the verdict, and the same memory, transferred back, for reuse.
   * @throws {RangeError} When the storage is unknown or `buffer` is not the piece's size.
   * @throws {StorageError} When the write fails.
   */
  async hashAndWrite(id: number, piece: number, buffer: ArrayBuffer): Promise<WriteResult> {
    const size = this.#layout(id).pieceSize(piece);
    if (buffer.byteLength !== size) {
      throw new RangeError(`Piece ${piece} is ${size} bytes: got ${buffer.byteLength}`);
    }
    this.#pendingBytes += size;
    try {
      // Hashing goes to the least-loaded worker, but a file's writes always to the same one: two workers writing
      // one file contend on the kernel's per-file write lock (the bench saw 4x the write time).
      // When the writer is also the least-loaded worker, one job does both.
      const writer = id + (this.#layout(id).spans(piece)[0]?.fileIndex ?? 0);
      const split = this.#workers > 1 && this.#pool.leastLoaded() !== writer % this.#workers;
      let result = await this.#pool.run(
        { type: "hashAndWrite", storage: id, piece, buffer, mode: split ? "verify" : undefined },
        { transfer: [buffer], cost: size, affinity: split ? undefined : writer },
      );
      if (result.type === "hashAndWrite" && split && result.verdict !== "failed") {
        const { verdict, pieceRoot } = result;
        const written = await this.#pool.run(
          { type: "hashAndWrite", storage: id, piece, buffer: result.buffer, mode: "write" },
          { transfer: [result.buffer], cost: size, affinity: writer },
        );
        if (written.type !== "hashAndWrite") throw new TypeError(`Unexpected ${written.type} result`);
        result = { ...written, verdict, ...(pieceRoot === undefined ? {} : { pieceRoot }) };
      }
      if (result.type !== "hashAndWrite") throw new TypeError(`Unexpected ${result.type} result`);
      if (result.verdict !== "failed") this.#cache.delete(id, piece);
      return {
        ok: result.verdict === "ok",
        buffer: result.buffer,
        verdict: result.verdict,
        ...(result.pieceRoot === undefined ? {} : { pieceRoot: result.pieceRoot }),
        ...(result.inconsistent ? { inconsistent: true as const } : {}),
      };
    } finally {
      this.#pendingBytes -= size;
    }
  }

  /**
   * Reads bytes `[begin, begin + length)` of a piece. Whole pieces go through the read cache (concurrent reads
   * of one piece share one worker read); a piece larger than the cache is read range by range. The returned
   * bytes may be shared with the cache: do not modify them.
   * @throws {RangeError} When the storage is unknown or the range is outside the piece.
   * @throws {StorageError} When a file is missing (`ENOENT`), short (`ENODATA`) or unreadable.
   */
  async read(id: number, piece: number, begin: number, length: number): Promise<Uint8Array> {
    const size = this.#layout(id).pieceSize(piece);
    if (
      !Number.isInteger(begin) || !Number.isInteger(length) || begin < 0 || length < 0 ||
      begin + length > size
    ) {
      throw new RangeError(`Range ${begin}+${length} is outside piece ${piece} of ${size} bytes`);
    }
    if (size > this.#cache.maxBytes) return await this.#readRange(id, piece, begin, length);
    const whole = await this.#cache.get(id, piece, () => this.#readRange(id, piece, 0, size));
    return whole.subarray(begin, begin + length);
  }

  /**
   * Reads a piece from disk and checks its hashes on a worker; call it for many pieces at once to recheck in
   * parallel on every worker.
   * @returns `true` when present and matching; `false` when it differs, a file is missing or short, or its v2 root
   *   is not known yet.
   * @throws {StorageError} On other read errors.
   */
  async checkPiece(id: number, piece: number): Promise<boolean> {
    return await this.verifyPiece(id, piece) === "ok";
  }

  /**
   * Like `checkPiece`, with the verdict.
   * @returns `ok`, `failed`, `missing` or `unknown` (see `PieceVerdict`).
   * @throws {StorageError} On other read errors.
   */
  async verifyPiece(id: number, piece: number): Promise<PieceVerdict> {
    const size = this.#layout(id).pieceSize(piece);
    this.#cache.delete(id, piece);
    const result = await this.#pool.run({ type: "checkPiece", storage: id, piece }, { cost: size });
    if (result.type !== "checkPiece") throw new TypeError(`Unexpected ${result.type} result`);
    return result.verdict;
  }

  /**
   * Reads a piece on a worker and computes its SHA-1 and/or v2 Merkle root (torrent creation); call it for many
   * pieces at once to keep every worker busy.
   * @returns The hashes asked for.
   * @throws {RangeError} When the storage or piece is unknown, or `v2` is asked of a piece holding two files.
   * @throws {StorageError} When a file is missing, short or unreadable.
   */
  async hashPiece(id: number, piece: number, want: PieceHashRequest): Promise<PieceHashes> {
    const size = this.#layout(id).pieceSize(piece);
    const result = await this.#pool.run(
      { type: "hashPiece", storage: id, piece, sha1: want.sha1, v2: want.v2 },
      { cost: size },
    );
    if (result.type !== "hashPiece") throw new TypeError(`Unexpected ${result.type} result`);
    return {
      ...(result.sha1 === undefined ? {} : { sha1: result.sha1 }),
      ...(result.root === undefined ? {} : { root: result.root }),
    };
  }

  /**
   * Adds, on every worker, the piece layer of the files with pieces root `piecesRoot`.
   * @throws {RangeError} When the storage is unknown, no file has that root, or the layer does not lead to it.
   */
  async setPieceLayer(id: number, piecesRoot: Uint8Array, layer: Uint8Array): Promise<void> {
    this.#layout(id);
    await this.#pool.broadcast(() => ({ type: "setPieceLayer", storage: id, piecesRoot, layer }));
  }

  /**
   * Applies file `fileIndex`'s BEP 47 attributes on the main isolate (see `applyFileAttributes`).
   * @throws {RangeError} When the storage or file is unknown.
   * @throws {StorageError} When a link would escape or the file is missing.
   */
  async applyAttributes(id: number, fileIndex: number): Promise<void> {
    this.#layout(id);
    await applyFileAttributes(this.#storages.get(id)!.spec, fileIndex);
  }

  /**
   * Flushes, on every worker, the files of the storage written since the last sync. Writes whose
   * `hashAndWrite` resolved before this call are durable when it resolves.
   * @throws {StorageError} When a flush fails.
   */
  async sync(id: number): Promise<void> {
    this.#layout(id);
    await this.#pool.broadcast(() => ({ type: "sync", storage: id }));
  }

  /** Lets queued jobs finish, closes every file and terminates the workers. Idempotent. */
  async close(): Promise<void> {
    this.#cache.clear();
    this.#storages.clear();
    await this.#pool.close();
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #readRange(id: number, piece: number, begin: number, length: number): Promise<Uint8Array> {
    const result = await this.#pool.run({ type: "read", storage: id, piece, begin, length }, {
      cost: length,
    });
    if (result.type !== "read") throw new TypeError(`Unexpected ${result.type} result`);
    return new Uint8Array(result.buffer);
  }

  #layout(id: number): FileLayout {
    const storage = this.#storages.get(id);
    if (storage === undefined) throw new RangeError(`Cannot find storage ${id}: it is not registered`);
    return storage.layout;
  }
}
