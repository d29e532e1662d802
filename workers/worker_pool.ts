/**
 * A fixed pool of disk workers (`disk_worker.ts`) behind typed, promise-returning jobs. Each job goes to the
 * least-loaded live worker; broadcasts go to all of them.
 *
 * @module
 */

import type { HashBackend } from "../engine/storage/disk_io.ts";
import { errorFromObject, type Job, type JobInput, type JobResult } from "./_protocol.ts";
import { DISK_WORKER_SOURCE } from "./_disk_worker_source.ts";

/** Options of `WorkerPool`. */
export interface WorkerPoolOptions {
  /** Number of workers (>= 1). */
  readonly workers: number;
  /** Hash backend each worker loads. */
  readonly hashBackend: HashBackend;
}

/** Options of one `WorkerPool.run` call. */
export interface RunOptions {
  /** Buffers to transfer (not copy) with the job. */
  readonly transfer?: Transferable[];
  /** Load the job puts on its worker, in bytes (default 0): the pool sends work to the least-loaded worker. */
  readonly cost?: number;
  /** Runs the job on worker `affinity % workers` (while alive) instead of the least-loaded one. */
  readonly affinity?: number;
}

interface Pending {
  readonly resolve: (result: JobResult) => void;
  readonly reject: (error: Error) => void;
  readonly slot: Slot;
  readonly cost: number;
}

interface Slot {
  readonly worker: Worker;
  /** Bytes of work queued on this worker; jobs with no cost count as one byte. */
  load: number;
  alive: boolean;
}

/**
 * Least-loaded dispatch rather than `piece % workers`: every worker can serve every storage (each has its own
 * descriptor cache), so there is no locality to keep, while a worker stuck on a slow `fdatasync` or a slow
 * disk must not collect a fixed share of new pieces behind it.
 *
 * @example Register an empty storage on every worker
 * ```ts
 * import { WorkerPool } from "./worker_pool.ts";
 * const pool = new WorkerPool({ workers: 2, hashBackend: "native" });
 * const spec = { files: [], pieceLength: 16384, totalLength: 0, pieceHashes: new Uint8Array(0) };
 * await pool.broadcast((i) => ({ type: "addStorage", storage: 1, spec, prepare: i === 0 }));
 * await pool.close();
 * ```
 */
export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #next = 0;
  #closed = false;

  /**
   * Starts the workers and sends each its `init` job.
   * @throws {RangeError} When `workers` is not a positive integer.
   */
  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`Cannot start worker pool: ${options.workers} workers`);
    }
    for (let i = 0; i < options.workers; i++) {
      const worker = new Worker(workerUrl(), { type: "module" });
      const slot: Slot = { worker, load: 0, alive: true };
      worker.onmessage = (event: MessageEvent<JobResult>) => this.#settle(event.data);
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        this.#fail(slot, event.message);
      };
      worker.onmessageerror = () => this.#fail(slot, "a message could not be decoded");
      this.#slots.push(slot);
      // A failed init answers with an error that no caller waits for; the worker's later jobs fail alike.
      this.#send(slot, { type: "init", hashBackend: options.hashBackend }, {}).catch(() => {});
    }
  }

  /** Number of workers still running. */
  get size(): number {
    return this.#slots.filter((slot) => slot.alive).length;
  }

  /**
   * Runs a job on the least-loaded worker.
   * @returns The job's result (never an `error` result: those reject).
   * @throws {StorageError} Or another typed error rebuilt from the worker; `Error` when the pool is closed or
   *   its workers have died.
   */
  /** Index of the live worker with the least queued work (ties: round robin), or -1 when none is alive. */
  leastLoaded(): number {
    let best = -1;
    const count = this.#slots.length;
    for (let k = 0; k < count; k++) {
      const i = (this.#next + k) % count;
      const slot = this.#slots[i];
      if (slot.alive && (best === -1 || slot.load < this.#slots[best].load)) best = i;
    }
    return best;
  }

  run(job: JobInput, options: RunOptions = {}): Promise<JobResult> {
    if (options.affinity !== undefined && !this.#closed) {
      const slot = this.#slots[options.affinity % this.#slots.length];
      if (slot.alive) return this.#send(slot, job, options);
    }
    let best: Slot | undefined;
    const count = this.#slots.length;
    for (let k = 0; k < count; k++) {
      const slot = this.#slots[(this.#next + k) % count];
      if (slot.alive && (best === undefined || slot.load < best.load)) best = slot;
    }
    this.#next = (this.#next + 1) % count;
    if (best === undefined || this.#closed) return Promise.reject(this.#unavailable(job.type));
    return this.#send(best, job, options);
  }

  /**
   * Runs one job per live worker, built by `make(workerIndex)`, and waits for all of them.
   * @throws The first failure, after every job has settled.
   */
  async broadcast(make: (workerIndex: number) => JobInput): Promise<JobResult[]> {
    const live = this.#slots.filter((slot) => slot.alive);
    if (this.#closed || live.length === 0) throw this.#unavailable(make(0).type);
    const settled = await Promise.allSettled(live.map((slot, i) => this.#send(slot, make(i), {})));
    const failed = settled.find((s) => s.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    return settled.map((s) => (s as PromiseFulfilledResult<JobResult>).value);
  }

  /** Lets every worker finish its queued jobs and close its files, then terminates them. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const live = this.#slots.filter((slot) => slot.alive);
    await Promise.allSettled(live.map((slot) => this.#send(slot, { type: "close" }, {})));
    this.#closed = true;
    for (const slot of this.#slots) {
      slot.alive = false;
      slot.worker.terminate();
    }
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(new Error("Cannot finish disk job: the worker pool was closed"));
    }
  }

  #send(slot: Slot, input: JobInput, options: RunOptions): Promise<JobResult> {
    const id = this.#nextId++;
    const cost = Math.max(1, options.cost ?? 0);
    const job = { ...input, id } as Job;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, slot, cost });
      slot.load += cost;
      try {
        slot.worker.postMessage(job, options.transfer ?? []);
      } catch (error) {
        this.#pending.delete(id);
        slot.load -= cost;
        reject(error);
      }
    });
  }

  #settle(result: JobResult): void {
    const pending = this.#pending.get(result.id);
    if (pending === undefined) return;
    this.#pending.delete(result.id);
    pending.slot.load -= pending.cost;
    if (result.type === "error") pending.reject(errorFromObject(result.error));
    else pending.resolve(result);
  }

  /** A worker died (uncaught error): its queued jobs fail, the others carry on without it. */
  #fail(slot: Slot, message: string): void {
    if (!slot.alive) return;
    slot.alive = false;
    slot.worker.terminate();
    for (const [id, pending] of this.#pending) {
      if (pending.slot !== slot) continue;
      this.#pending.delete(id);
      pending.reject(new Error(`Cannot finish disk job: the disk worker failed: ${message}`));
    }
  }

  #unavailable(type: string): Error {
    return new Error(
      `Cannot run ${type}: ${this.#closed ? "the worker pool is closed" : "no disk worker is alive"}`,
    );
  }
}

let blobUrl: string | undefined;

/**
 * A blob URL of the bundled disk worker (workers/_disk_worker_source.ts), made once per process. Blob workers need
 * no read permission for their modules, so permission-scoped runs work, and `deno compile` needs no `--include`.
 */
function workerUrl(): string {
  blobUrl ??= URL.createObjectURL(new Blob([DISK_WORKER_SOURCE], { type: "text/javascript" }));
  return blobUrl;
}
