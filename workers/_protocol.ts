/**
 * The messages between the main isolate and a disk worker: one discriminated union of jobs and one of
 * results, matched by request id. Piece buffers cross as transferred `ArrayBuffer`s (never copied); errors
 * cross as plain objects and are rebuilt as typed errors on the main side.
 *
 * @module
 */

import { StorageError } from "../engine/errors.ts";
import type { HashBackend, PieceVerdict, StorageSpec } from "../engine/storage/disk_io.ts";

/** A job for a disk worker; `id` is the request id its result carries back. */
export type Job =
  /** First message to every worker: which hash backend to load. */
  | { readonly type: "init"; readonly id: number; readonly hashBackend: HashBackend }
  /** Registers a storage; `prepare` also creates its directories and zero-length files (one worker does it). */
  | {
    readonly type: "addStorage";
    readonly id: number;
    readonly storage: number;
    readonly spec: StorageSpec;
    readonly prepare: boolean;
  }
  | { readonly type: "removeStorage"; readonly id: number; readonly storage: number }
  /** `buffer` (exactly the piece's bytes) is transferred in and comes back in the result for reuse. */
  | {
    readonly type: "hashAndWrite";
    readonly id: number;
    readonly storage: number;
    readonly piece: number;
    readonly buffer: ArrayBuffer;
    /**
     * `verify`: check the hashes only (verdict `ok` then means matched, nothing written); `write`: write only, the
     * piece was verified by another worker. Default: both, on this worker.
     */
    readonly mode?: "verify" | "write";
  }
  /** Reads `length` bytes at `begin` of `piece`. */
  | {
    readonly type: "read";
    readonly id: number;
    readonly storage: number;
    readonly piece: number;
    readonly begin: number;
    readonly length: number;
  }
  | { readonly type: "checkPiece"; readonly id: number; readonly storage: number; readonly piece: number }
  /** Reads `piece` whole and computes the hashes asked for, comparing them with nothing (torrent creation). */
  | {
    readonly type: "hashPiece";
    readonly id: number;
    readonly storage: number;
    readonly piece: number;
    readonly sha1: boolean;
    readonly v2: boolean;
  }
  | { readonly type: "sync"; readonly id: number; readonly storage: number }
  /** Adds the piece layer (32 bytes per piece) of the files whose pieces root is `piecesRoot` (BEP 52). */
  | {
    readonly type: "setPieceLayer";
    readonly id: number;
    readonly storage: number;
    readonly piecesRoot: Uint8Array;
    readonly layer: Uint8Array;
  }
  /** Closes every file; the worker is terminated after it answers. */
  | { readonly type: "close"; readonly id: number };

/** A job without its request id, as callers of the pool write it. */
export type JobInput = Job extends infer J ? J extends Job ? Omit<J, "id"> : never : never;

/** A plain-object error that survives structured cloning. */
export interface ErrorObject {
  readonly name: string;
  readonly message: string;
  readonly op?: string;
  readonly path?: string;
  readonly code?: string;
}

/** The answer to one job. */
export type JobResult =
  /** `init`, `addStorage`, `removeStorage`, `sync`, `close` succeeded. */
  | { readonly type: "done"; readonly id: number }
  /**
   * `verdict` `ok`: the piece matched its hashes and was written; `unknown`: v2-only, root not known yet, written
   * unverified, `pieceRoot` computed. `buffer` is the job's buffer, transferred back.
   */
  | {
    readonly type: "hashAndWrite";
    readonly id: number;
    readonly verdict: "ok" | "failed" | "unknown";
    readonly pieceRoot?: Uint8Array;
    /** With `failed`: a hybrid piece matching one of its two hashes only (`WriteOutcome.inconsistent`). */
    readonly inconsistent?: true;
    readonly buffer: ArrayBuffer;
  }
  /** The bytes read, in a transferred buffer of exactly the requested length. */
  | { readonly type: "read"; readonly id: number; readonly buffer: ArrayBuffer }
  | { readonly type: "checkPiece"; readonly id: number; readonly verdict: PieceVerdict }
  /** SHA-1 (20 bytes) and v2 Merkle root (32 bytes), each when asked for (no root for a piece of padding only). */
  | {
    readonly type: "hashPiece";
    readonly id: number;
    readonly sha1?: Uint8Array;
    readonly root?: Uint8Array;
  }
  | { readonly type: "error"; readonly id: number; readonly error: ErrorObject };

/**
 * Flattens an error for `postMessage`, keeping `StorageError`'s `op`, `path` and `code`.
 * @param error Anything thrown.
 * @returns A plain object.
 */
export function errorToObject(error: unknown): ErrorObject {
  if (error instanceof StorageError) {
    return { name: error.name, message: error.message, op: error.op, path: error.path, code: error.code };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

/**
 * Rebuilds the typed error of `errorToObject`: `StorageError`, `RangeError`, `TypeError`, else `Error`.
 * @param object The flattened error.
 * @returns A new error of the matching class.
 */
export function errorFromObject(object: ErrorObject): Error {
  switch (object.name) {
    case "StorageError":
      return new StorageError(object.op ?? "", object.path ?? "", object.code ?? "", object.message);
    case "RangeError":
      return new RangeError(object.message);
    case "TypeError":
      return new TypeError(object.message);
    default:
      return new Error(object.message);
  }
}
