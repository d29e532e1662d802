/**
 * A `DiskIo` that runs the same `PieceStore` code as the workers, synchronously on the calling thread: for
 * deterministic tests and tiny tools, not for downloading (it blocks the event loop on disk and hashing).
 *
 * @module
 */

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
import { FileHandleCache } from "./file_handle_cache.ts";
import { createHasher, type Hasher } from "./hasher.ts";
import { PieceStore } from "./piece_store.ts";

/** Options of `InlineDiskIo`. */
export interface InlineDiskIoOptions {
  /** Hash backend (default `native`). */
  readonly hashBackend?: HashBackend;
  /** Most files kept open at once (default 64). */
  readonly maxOpenFiles?: number;
}

/**
 * `DiskIo` on the main thread. It keeps the contract of the worker pool: a buffer passed to `hashAndWrite` is
 * detached from the caller (moved with `ArrayBuffer.prototype.transfer`, no copy) and handed back in the result.
 *
 * @example Write a piece, then read a block of it
 * ```ts
 * import { createHash } from "node:crypto";
 * import { InlineDiskIo } from "./inline_disk_io.ts";
 * const dir = await Deno.makeTempDir();
 * const data = new Uint8Array(32).fill(9);
 * const io = new InlineDiskIo();
 * const id = await io.addStorage({
 *   files: [{ path: `${dir}/a.bin`, length: 32, offset: 0 }],
 *   pieceLength: 32,
 *   totalLength: 32,
 *   pieceHashes: new Uint8Array(createHash("sha1").update(data).digest()),
 * });
 * await io.hashAndWrite(id, 0, data.buffer);
 * const block = await io.read(id, 0, 8, 4);
 * if (block[0] !== 9) throw new Error("read back what was written");
 * await io.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class InlineDiskIo implements DiskIo, AsyncDisposable {
  readonly #hasher: Promise<Hasher>;
  readonly #fds: FileHandleCache;
  readonly #stores = new Map<number, PieceStore>();
  #nextStorage = 1;
  #pendingBytes = 0;

  /**
   * @param options Hash backend and open-file bound.
   * @throws {RangeError} When `maxOpenFiles` is not a positive integer.
   */
  constructor(options: InlineDiskIoOptions = {}) {
    this.#hasher = createHasher(options.hashBackend ?? "native");
    this.#fds = new FileHandleCache({ maxOpen: options.maxOpenFiles ?? 64 });
  }

  /** Bytes handed to `hashAndWrite` whose jobs have not finished. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Registers the storage and creates its directories and zero-length files (none for a `hashOnly` storage).
   * @throws {StorageError} When they cannot be created.
   * @throws {RangeError} When the spec is inconsistent.
   */
  addStorage(spec: StorageSpec): Promise<number> {
    return attempt(() => {
      const store = new PieceStore(spec, { fds: this.#fds });
      store.prepare();
      const id = this.#nextStorage++;
      this.#stores.set(id, store);
      return id;
    });
  }

  /** Forgets the storage and closes its files. */
  removeStorage(id: number): Promise<void> {
    return attempt(() => {
      this.#stores.get(id)?.close();
      this.#stores.delete(id);
    });
  }

  /**
   * Checks the piece's hashes and writes it if they match (or, v2-only with an unknown root, unverified). `buffer`
   * is detached; the result carries it back.
   * @throws {RangeError} When the storage is unknown or `buffer` is not the piece's size.
   * @throws {StorageError} When the write fails.
   */
  async hashAndWrite(id: number, piece: number, buffer: ArrayBuffer): Promise<WriteResult> {
    const store = this.#store(id);
    const size = store.layout.pieceSize(piece);
    if (buffer.byteLength !== size) {
      throw new RangeError(`Piece ${piece} is ${size} bytes: got ${buffer.byteLength}`);
    }
    const owned = buffer.transfer();
    this.#pendingBytes += size;
    try {
      const { verdict, pieceRoot, inconsistent } = store.hashAndWrite(
        piece,
        new Uint8Array(owned),
        await this.#hasher,
      );
      return {
        ok: verdict === "ok",
        buffer: owned,
        verdict,
        ...(pieceRoot === undefined ? {} : { pieceRoot }),
        ...(inconsistent ? { inconsistent } : {}),
      };
    } finally {
      this.#pendingBytes -= size;
    }
  }

  /**
   * Reads bytes `[begin, begin + length)` of a piece into a new array.
   * @throws {RangeError} When the storage is unknown or the range is outside the piece.
   * @throws {StorageError} When a file is missing (`ENOENT`), short (`ENODATA`) or unreadable.
   */
  read(id: number, piece: number, begin: number, length: number): Promise<Uint8Array> {
    return attempt(() => {
      const store = this.#store(id);
      store.layout.spans(piece, { begin, length });
      const bytes = new Uint8Array(length);
      store.read(piece, bytes, begin);
      return bytes;
    });
  }

  /**
   * Reads the piece from disk and checks its hashes.
   * @returns `true` when present and matching; `false` when it differs, a file is missing or short, or its v2 root
   *   is not known yet.
   * @throws {StorageError} On other read errors.
   */
  async checkPiece(id: number, piece: number): Promise<boolean> {
    return await this.verifyPiece(id, piece) === "ok";
  }

  /**
   * Reads the piece from disk and checks its hashes.
   * @returns `ok`, `failed`, `missing` or `unknown` (see `PieceVerdict`).
   * @throws {StorageError} On other read errors.
   */
  async verifyPiece(id: number, piece: number): Promise<PieceVerdict> {
    const store = this.#store(id);
    return store.check(piece, await this.#hasher);
  }

  /**
   * Reads the piece and computes its SHA-1 and/or v2 Merkle root (torrent creation).
   * @returns The hashes asked for.
   * @throws {RangeError} When the storage or piece is unknown, or `v2` is asked of a piece holding two files.
   * @throws {StorageError} When a file is missing, short or unreadable.
   */
  async hashPiece(id: number, piece: number, want: PieceHashRequest): Promise<PieceHashes> {
    const store = this.#store(id);
    return store.hashPiece(piece, want, await this.#hasher);
  }

  /**
   * Adds the piece layer of the files with pieces root `piecesRoot`.
   * @throws {RangeError} When the storage is unknown, no file has that root, or the layer does not lead to it.
   */
  setPieceLayer(id: number, piecesRoot: Uint8Array, layer: Uint8Array): Promise<void> {
    return attempt(() => {
      const v2 = this.#store(id).v2;
      if (v2 === undefined) throw new RangeError(`Cannot set piece layer: storage ${id} has no v2 files`);
      v2.setPieceLayer(piecesRoot, layer);
    });
  }

  /**
   * Applies file `fileIndex`'s BEP 47 attributes (see `applyFileAttributes`).
   * @throws {RangeError} When the storage or file is unknown.
   * @throws {StorageError} When a link would escape or the file is missing.
   */
  async applyAttributes(id: number, fileIndex: number): Promise<void> {
    await applyFileAttributes(this.#store(id).spec, fileIndex);
  }

  /**
   * Flushes the files of the storage written since the last sync.
   * @throws {StorageError} When a flush fails.
   */
  sync(id: number): Promise<void> {
    return attempt(() => this.#store(id).sync());
  }

  /** Closes every file. */
  close(): Promise<void> {
    return attempt(() => {
      for (const store of this.#stores.values()) store.close();
      this.#stores.clear();
      this.#fds.closeAll();
    });
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #store(id: number): PieceStore {
    const store = this.#stores.get(id);
    if (store === undefined) throw new RangeError(`Cannot find storage ${id}: it is not registered`);
    return store;
  }
}

/** Runs `fn` and turns a throw into a rejection, as the async `DiskIo` contract promises. */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
