/**
 * Maps `node:fs` errors to `StorageError` with the operation, the file and the errno code named.
 *
 * @module
 */

import { StorageError } from "../errors.ts";

/**
 * Wraps `error` (usually a `node:fs` error with `code`) as a `StorageError`; a `StorageError` passes through.
 *
 * @param op The operation: `open`, `read`, `write`, `sync`, `stat`, `mkdir`.
 * @param path The file or directory involved.
 * @returns E.g. a `StorageError` saying "Cannot write /x/y: ENOSPC (no space left on device)".
 */
export function toStorageError(op: string, path: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const code = typeof (error as { code?: unknown })?.code === "string"
    ? (error as { code: string }).code
    : "";
  const message = error instanceof Error ? error.message : String(error);
  // node:fs messages read "ENOSPC: no space left on device, write": keep the description only.
  const described = code !== "" && message.startsWith(`${code}: `)
    ? `${code} (${message.slice(code.length + 2).split(",")[0]})`
    : code !== ""
    ? `${code} (${message})`
    : message;
  return new StorageError(op, path, code, `Cannot ${op} ${path}: ${described}`, { cause: error });
}
