/**
 * A fault-injecting `DiskIo` wrapper for tests (libtorrent's `simulation/disk_io.hpp` in spirit): corrupt
 * blocks, a disk that fills up, slow jobs, and a file whose reads fail.
 *
 * @module
 */

import { StorageError } from "../errors.ts";
import type {
  DiskIo,
  PieceHashes,
  PieceHashRequest,
  PieceVerdict,
  StorageSpec,
  WriteResult,
} from "./disk_io.ts";
import { FileLayout } from "./file_layout.ts";

/** Size of a block (BEP 3 requests) in bytes: the unit of `corruptAfterBlocks`. */
const BLOCK = 16 * 1024;

/** The faults `FaultyDiskIo` injects; any mix, all off by default. */
export interface DiskFaults {
  /** After this many 16 KiB blocks have passed through `hashAndWrite`, every later block has a byte flipped. */
  readonly corruptAfterBlocks?: number;
  /** Once this many bytes have been written, `hashAndWrite` rejects with `StorageError` code `ENOSPC`. */
  readonly diskFullAfterBytes?: number;
  /** Delay before every job, in milliseconds. */
  readonly slowMs?: number;
  /**
   * Absolute path of a file whose reads (`read`, `checkPiece`, `verifyPiece`, `hashPiece`) reject with `StorageError`
   * code `EIO`.
   */
  readonly failReadsOf?: string;
}

/**
 * Wraps another `DiskIo` and injects `DiskFaults`. The faults can be changed while it runs (`faults = ...`),
 * e.g. to free the disk again. A disk-full rejection happens before the wrapped `hashAndWrite`, whatever the
 * piece's hash, naming the file where the limit falls.
 *
 * @example A disk that is full from the start
 * ```ts
 * import { StorageError } from "../errors.ts";
 * import { FaultyDiskIo } from "./faulty_disk_io.ts";
 * import { InlineDiskIo } from "./inline_disk_io.ts";
 * const dir = await Deno.makeTempDir();
 * const io = new FaultyDiskIo(new InlineDiskIo(), { diskFullAfterBytes: 0 });
 * const id = await io.addStorage({
 *   files: [{ path: `${dir}/a.bin`, length: 16, offset: 0 }],
 *   pieceLength: 16,
 *   totalLength: 16,
 *   pieceHashes: new Uint8Array(20),
 * });
 * const error = await io.hashAndWrite(id, 0, new ArrayBuffer(16)).catch((e) => e);
 * if (!(error instanceof StorageError) || error.code !== "ENOSPC") throw new Error("the disk is full");
 * await io.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FaultyDiskIo implements DiskIo {
  /** The faults in force. */
  faults: DiskFaults;
  readonly #inner: DiskIo;
  readonly #specs = new Map<number, { spec: StorageSpec; layout: FileLayout }>();
  #blocksSeen = 0;
  #bytesWritten = 0;
  #pendingBytes = 0;

  /**
   * @param inner The `DiskIo` that does the real work.
   * @param faults The faults to inject.
   */
  constructor(inner: DiskIo, faults: DiskFaults = {}) {
    this.#inner = inner;
    this.faults = faults;
  }

  /** Blocks that have passed through `hashAndWrite`. */
  get blocksSeen(): number {
    return this.#blocksSeen;
  }

  /** Bytes of pieces the wrapped `DiskIo` verified and wrote. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** Bytes handed to `hashAndWrite` whose jobs have not finished (including delayed ones). */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Registers the storage with the wrapped `DiskIo` and remembers its layout. */
  async addStorage(spec: StorageSpec): Promise<number> {
    await this.#delay();
    const id = await this.#inner.addStorage(spec);
    this.#specs.set(id, { spec, layout: new FileLayout(spec) });
    return id;
  }

  /** Forgets the storage. */
  async removeStorage(id: number): Promise<void> {
    await this.#delay();
    this.#specs.delete(id);
    await this.#inner.removeStorage(id);
  }

  /**
   * Corrupts blocks past `corruptAfterBlocks`, rejects past `diskFullAfterBytes`, else delegates.
   * @throws {StorageError} Code `ENOSPC`, op `write`, naming the file, when the disk is "full".
   */
  async hashAndWrite(id: number, piece: number, buffer: ArrayBuffer): Promise<WriteResult> {
    const size = buffer.byteLength;
    this.#pendingBytes += size;
    try {
      await this.#delay();
      const { corruptAfterBlocks, diskFullAfterBytes } = this.faults;
      const blocks = Math.ceil(size / BLOCK);
      if (corruptAfterBlocks !== undefined) {
        const bytes = new Uint8Array(buffer);
        for (let b = 0; b < blocks; b++) {
          if (this.#blocksSeen + b >= corruptAfterBlocks) bytes[b * BLOCK] ^= 0xff;
        }
      }
      this.#blocksSeen += blocks;
      if (diskFullAfterBytes !== undefined && this.#bytesWritten + size > diskFullAfterBytes) {
        const path = this.#pathAt(id, piece, Math.max(0, diskFullAfterBytes - this.#bytesWritten));
        throw new StorageError(
          "write",
          path,
          "ENOSPC",
          `Cannot write ${path}: ENOSPC (no space left on device)`,
        );
      }
      const result = await this.#inner.hashAndWrite(id, piece, buffer);
      if (result.ok) this.#bytesWritten += size;
      return result;
    } finally {
      this.#pendingBytes -= size;
    }
  }

  /**
   * Rejects when the range touches `failReadsOf`, else delegates.
   * @throws {StorageError} Code `EIO`, op `read`, naming the file.
   */
  async read(id: number, piece: number, begin: number, length: number): Promise<Uint8Array> {
    await this.#delay();
    this.#failReads(id, piece, { begin, length });
    return await this.#inner.read(id, piece, begin, length);
  }

  /**
   * Rejects when the piece touches `failReadsOf`, else delegates.
   * @throws {StorageError} Code `EIO`, op `read`, naming the file.
   */
  async checkPiece(id: number, piece: number): Promise<boolean> {
    await this.#delay();
    this.#failReads(id, piece, {});
    return await this.#inner.checkPiece(id, piece);
  }

  /**
   * Rejects when the piece touches `failReadsOf`, else delegates.
   * @throws {StorageError} Code `EIO`, op `read`, naming the file.
   */
  async verifyPiece(id: number, piece: number): Promise<PieceVerdict> {
    await this.#delay();
    this.#failReads(id, piece, {});
    return await this.#inner.verifyPiece(id, piece);
  }

  /**
   * Rejects when the piece touches `failReadsOf`, else delegates.
   * @throws {StorageError} Code `EIO`, op `read`, naming the file.
   */
  async hashPiece(id: number, piece: number, want: PieceHashRequest): Promise<PieceHashes> {
    await this.#delay();
    this.#failReads(id, piece, {});
    return await this.#inner.hashPiece(id, piece, want);
  }

  /** Delegates after the delay. */
  async setPieceLayer(id: number, piecesRoot: Uint8Array, layer: Uint8Array): Promise<void> {
    await this.#delay();
    await this.#inner.setPieceLayer(id, piecesRoot, layer);
  }

  /** Delegates after the delay. */
  async applyAttributes(id: number, fileIndex: number): Promise<void> {
    await this.#delay();
    await this.#inner.applyAttributes(id, fileIndex);
  }

  /** Delegates after the delay. */
  async sync(id: number): Promise<void> {
    await this.#delay();
    await this.#inner.sync(id);
  }

  /** Closes the wrapped `DiskIo`. */
  async close(): Promise<void> {
    this.#specs.clear();
    await this.#inner.close();
  }

  #delay(): Promise<void> {
    const ms = this.faults.slowMs ?? 0;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }

  #storage(id: number): { spec: StorageSpec; layout: FileLayout } {
    const entry = this.#specs.get(id);
    if (entry === undefined) throw new RangeError(`Cannot find storage ${id}: it is not registered`);
    return entry;
  }

  /** Path of the file holding byte `offset` of the piece (the last file when past the end). */
  #pathAt(id: number, piece: number, offset: number): string {
    const { spec, layout } = this.#storage(id);
    const spans = layout.spans(piece);
    const span = spans.find((s) => offset < s.pieceOffset + s.length) ?? spans[spans.length - 1];
    return spec.files[span.fileIndex].path;
  }

  #failReads(id: number, piece: number, range: { begin?: number; length?: number }): void {
    const target = this.faults.failReadsOf;
    if (target === undefined) return;
    const { spec, layout } = this.#storage(id);
    for (const span of layout.spans(piece, range)) {
      if (spec.files[span.fileIndex].path === target) {
        throw new StorageError("read", target, "EIO", `Cannot read ${target}: EIO (input/output error)`);
      }
    }
  }
}
