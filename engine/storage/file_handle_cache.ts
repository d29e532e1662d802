/**
 * A bounded cache of open file descriptors keyed by path, closing the least recently used one when full, so
 * torrents with thousands of files never exhaust the process's descriptor limit.
 *
 * @module
 */

import * as fs from "node:fs";
import { dirname } from "node:path";
import { StorageError } from "../errors.ts";
import { openNoFollow } from "./_open_no_follow.ts";
import { toStorageError } from "./_storage_error.ts";

const { O_RDWR, O_RDONLY, O_CREAT } = fs.constants;

interface Entry {
  readonly fd: number;
  readonly writable: boolean;
}

/** Options of `FileHandleCache`. */
export interface FileHandleCacheOptions {
  /** Most descriptors kept open at once (default 64). */
  readonly maxOpen?: number;
}

/**
 * Open descriptors by path, least recently used first. Files are opened read-write and never truncated
 * (`O_RDWR | O_CREAT`, no `O_TRUNC`), so existing data survives; a file we may not write is opened read-only
 * for reading. A symbolic link at a file's own path is never followed (code `ELOOP`): data goes only to regular
 * files (HOSTILE_INPUTS.md case 21, and the BEP 47 links a storage creates); links in parent directories are
 * checked by `checkRealPathInside`.
 *
 * @example Open, write, close
 * ```ts
 * import * as fs from "node:fs";
 * import { FileHandleCache } from "./file_handle_cache.ts";
 * const dir = await Deno.makeTempDir();
 * const cache = new FileHandleCache({ maxOpen: 8 });
 * fs.writeSync(cache.openForWrite(`${dir}/sub/a.bin`), new Uint8Array([1]), 0, 1, 0);
 * cache.closeAll();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileHandleCache {
  readonly #maxOpen: number;
  readonly #entries = new Map<string, Entry>();
  readonly #lost = new Set<string>();

  /**
   * @param options `maxOpen`: most descriptors kept open (default 64).
   * @throws {RangeError} When `maxOpen` is not a positive integer.
   */
  constructor(options: FileHandleCacheOptions = {}) {
    const maxOpen = options.maxOpen ?? 64;
    if (!Number.isInteger(maxOpen) || maxOpen < 1) {
      throw new RangeError(`Cannot create file handle cache: maxOpen ${maxOpen} is not a positive integer`);
    }
    this.#maxOpen = maxOpen;
  }

  /** Number of descriptors open now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether `path` has an open descriptor (does not mark it used). */
  has(path: string): boolean {
    return this.#entries.has(path);
  }

  /**
   * A descriptor of `path` open for writing; creates the file (and its parent directories) when missing.
   * @throws {StorageError} op `open` or `mkdir`, e.g. EACCES, ENOTDIR, EROFS; `ENOENT` when the open file was
   *   deleted or replaced while in use.
   */
  openForWrite(path: string): number {
    if (this.#lost.has(path)) this.#throwLost(path, "write");
    const entry = this.#touch(path);
    if (entry !== undefined) {
      this.#checkLinked(path, entry.fd, "write");
      if (entry.writable) return entry.fd;
      this.close(path);
    }
    let fd: number;
    try {
      fd = openNoFollow(path, O_RDWR | O_CREAT, 0o644);
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOENT") throw toStorageError("open", path, error);
      const parent = dirname(path);
      try {
        fs.mkdirSync(parent, { recursive: true });
      } catch (mkdirError) {
        throw toStorageError("mkdir", parent, mkdirError);
      }
      try {
        fd = openNoFollow(path, O_RDWR | O_CREAT, 0o644);
      } catch (retryError) {
        throw toStorageError("open", path, retryError);
      }
    }
    this.#add(path, { fd, writable: true });
    return fd;
  }

  /**
   * A descriptor of `path` for reading, or `undefined` when the file does not exist (it is never created).
   * A cached descriptor whose file was deleted meanwhile is dropped, so a deleted file reads as missing.
   * @throws {StorageError} op `open` for errors other than ENOENT/ENOTDIR.
   */
  openForRead(path: string): number | undefined {
    if (this.#lost.has(path)) this.#throwLost(path, "read");
    const entry = this.#touch(path);
    if (entry !== undefined) {
      if (fs.fstatSync(entry.fd).nlink > 0) return entry.fd;
      this.close(path);
    }
    let fd: number;
    let writable = true;
    try {
      try {
        fd = openNoFollow(path, O_RDWR);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== "EACCES" && code !== "EROFS" && code !== "EPERM") throw error;
        fd = openNoFollow(path, O_RDONLY);
        writable = false;
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw toStorageError("open", path, error);
    }
    this.#add(path, { fd, writable });
    return fd;
  }

  /**
   * The descriptor of `path` if one is open, checked to still name the file: a file deleted (or replaced) while
   * open would otherwise take writes and syncs into an unlinked inode, and data reported durable would be lost.
   * @throws {StorageError} Code `ENOENT` when the open file was deleted or replaced.
   */
  cached(path: string): number | undefined {
    if (this.#lost.has(path)) this.#throwLost(path, "sync");
    const entry = this.#touch(path);
    if (entry !== undefined) this.#checkLinked(path, entry.fd, "sync");
    return entry?.fd;
  }

  #checkLinked(path: string, fd: number, op: string): void {
    if (fs.fstatSync(fd).nlink > 0) return;
    this.close(path);
    // Writes went to the unlinked inode: the path must not be reopened (it would name another file) until the
    // storage is registered again and `forget()` is called.
    this.#lost.add(path);
    this.#throwLost(path, op);
  }

  #throwLost(path: string, op: string): never {
    throw new StorageError(
      op,
      path,
      "ENOENT",
      `Cannot use ${path}: the file was deleted or replaced while in use`,
    );
  }

  /** Closes `path` and forgets that it was lost: the storage holding it is being registered anew. */
  forget(path: string): void {
    this.close(path);
    this.#lost.delete(path);
  }

  /** Closes the descriptor of `path` if it is open. */
  close(path: string): void {
    const entry = this.#entries.get(path);
    if (entry === undefined) return;
    this.#entries.delete(path);
    closeQuietly(entry.fd);
  }

  /** Closes every descriptor. */
  closeAll(): void {
    for (const entry of this.#entries.values()) closeQuietly(entry.fd);
    this.#entries.clear();
  }

  /** Looks `path` up and marks it most recently used. */
  #touch(path: string): Entry | undefined {
    const entry = this.#entries.get(path);
    if (entry !== undefined) {
      this.#entries.delete(path);
      this.#entries.set(path, entry);
    }
    return entry;
  }

  #add(path: string, entry: Entry): void {
    while (this.#entries.size >= this.#maxOpen) {
      const [oldest] = this.#entries.keys();
      this.close(oldest);
    }
    this.#entries.set(path, entry);
  }
}

/** Close errors are not actionable here: data reaches the disk through `fdatasync`, which reports its errors. */
function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Already closed or the device went away; nothing to recover.
  }
}
