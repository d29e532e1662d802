/**
 * Disk workers: the worker entry (`disk_worker.ts`, loaded by URL, not imported) and the typed pool.
 *
 * @module
 */

export { type RunOptions, WorkerPool, type WorkerPoolOptions } from "./worker_pool.ts";
