/**
 * What a disk worker does with each job: decode it, call the `PieceStore` method, encode the result. Kept
 * apart from the worker entry so it can be tested without a worker.
 *
 * @module
 */

import { FileHandleCache } from "../engine/storage/file_handle_cache.ts";
import { createHasher, type Hasher } from "../engine/storage/hasher.ts";
import { PieceStore } from "../engine/storage/piece_store.ts";
import type { HashBackend } from "../engine/storage/disk_io.ts";
import { errorToObject, type Job, type JobResult } from "./_protocol.ts";

/** A result and the buffers to transfer with it. */
export interface Reply {
  readonly result: JobResult;
  readonly transfer: Transferable[];
}

/** The state of one disk worker: its hasher, its stores and the descriptor cache they share. */
export class JobRunner {
  readonly #hasher: Hasher;
  readonly #fds = new FileHandleCache();
  readonly #stores = new Map<number, PieceStore>();

  /** @param hasher The hasher every piece is verified with. */
  constructor(hasher: Hasher) {
    this.#hasher = hasher;
  }

  /**
   * Creates a runner with a freshly loaded hasher.
   * @throws {TypeError} When the backend is unknown.
   */
  static async create(backend: HashBackend): Promise<JobRunner> {
    return new JobRunner(await createHasher(backend));
  }

  /** Runs one job; never throws: failures become `error` results. */
  run(job: Job): Reply {
    try {
      return this.#run(job);
    } catch (error) {
      return { result: { type: "error", id: job.id, error: errorToObject(error) }, transfer: [] };
    }
  }

  #run(job: Job): Reply {
    const done: Reply = { result: { type: "done", id: job.id }, transfer: [] };
    switch (job.type) {
      case "init":
        return done;
      case "addStorage": {
        const store = new PieceStore(job.spec, { fds: this.#fds });
        if (job.prepare) store.prepare();
        this.#stores.get(job.storage)?.close();
        this.#stores.set(job.storage, store);
        return done;
      }
      case "removeStorage":
        this.#stores.get(job.storage)?.close();
        this.#stores.delete(job.storage);
        return done;
      case "hashAndWrite": {
        const store = this.#store(job.storage);
        const bytes = new Uint8Array(job.buffer);
        const { verdict, pieceRoot, inconsistent } = job.mode === "write"
          ? (store.write(job.piece, bytes),
            { verdict: "ok" as const, pieceRoot: undefined, inconsistent: undefined })
          : job.mode === "verify"
          ? store.verify(job.piece, bytes, this.#hasher)
          : store.hashAndWrite(job.piece, bytes, this.#hasher);
        return {
          result: {
            type: "hashAndWrite",
            id: job.id,
            verdict,
            ...(pieceRoot === undefined ? {} : { pieceRoot }),
            ...(inconsistent ? { inconsistent } : {}),
            buffer: job.buffer,
          },
          transfer: [job.buffer],
        };
      }
      case "read": {
        const bytes = new Uint8Array(job.length);
        this.#store(job.storage).read(job.piece, bytes, job.begin);
        return { result: { type: "read", id: job.id, buffer: bytes.buffer }, transfer: [bytes.buffer] };
      }
      case "checkPiece": {
        const verdict = this.#store(job.storage).check(job.piece, this.#hasher);
        return { result: { type: "checkPiece", id: job.id, verdict }, transfer: [] };
      }
      case "hashPiece": {
        const hashes = this.#store(job.storage).hashPiece(job.piece, job, this.#hasher);
        return { result: { type: "hashPiece", id: job.id, ...hashes }, transfer: [] };
      }
      case "sync":
        this.#store(job.storage).sync();
        return done;
      case "setPieceLayer": {
        const v2 = this.#store(job.storage).v2;
        if (v2 === undefined) {
          throw new RangeError(`Cannot set piece layer: storage ${job.storage} has no v2 files`);
        }
        v2.setPieceLayer(job.piecesRoot, job.layer);
        return done;
      }
      case "close":
        for (const store of this.#stores.values()) store.close();
        this.#stores.clear();
        this.#fds.closeAll();
        return done;
    }
  }

  #store(storage: number): PieceStore {
    const store = this.#stores.get(storage);
    if (store === undefined) throw new RangeError(`Cannot find storage ${storage}: it is not registered`);
    return store;
  }
}
