/**
 * SHA-1 of every piece of a list of files read back to back (BEP 3), for torrent creation. Files are read in large
 * positional chunks; the next chunk is read while the current one is hashed.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { StorageError } from "../errors.ts";
import type { SourceFile } from "./_walk.ts";

/** Bytes read per chunk (rounded to whole pieces, at least one piece). */
const TARGET_CHUNK = 8 * 1024 * 1024;

function storageError(op: string, path: string, error: unknown): StorageError {
  const code = (error as { code?: unknown })?.code;
  return new StorageError(
    op,
    path,
    typeof code === "string" ? code : "",
    `Cannot ${op} ${path}: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

/** Reads the files as one stream into caller buffers, one fill at a time. */
class Reader {
  #files: SourceFile[];
  #index = 0;
  #position = 0;
  #handle: FileHandle | undefined;

  constructor(files: SourceFile[]) {
    this.#files = files;
  }

  /** Fills `buffer` from the stream; returns the bytes filled (less than its size only at the end). */
  async fill(buffer: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < buffer.length && this.#index < this.#files.length) {
      const file = this.#files[this.#index];
      const left = file.length - this.#position;
      if (left === 0) {
        await this.#next();
        continue;
      }
      if (this.#handle === undefined) {
        try {
          this.#handle = await open(file.absolute, "r");
        } catch (error) {
          throw storageError("open", file.absolute, error);
        }
      }
      const want = Math.min(left, buffer.length - filled);
      let got: number;
      try {
        ({ bytesRead: got } = await this.#handle.read(buffer, filled, want, this.#position));
      } catch (error) {
        throw storageError("read", file.absolute, error);
      }
      if (got === 0) {
        throw new StorageError(
          "read",
          file.absolute,
          "",
          `Cannot read ${file.absolute}: it shrank below ${file.length} bytes while being hashed`,
        );
      }
      filled += got;
      this.#position += got;
    }
    return filled;
  }

  async #next(): Promise<void> {
    await this.close();
    this.#index++;
    this.#position = 0;
  }

  /** Closes the open file, if any. */
  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }
}

/**
 * Hashes `files` as one byte stream cut into pieces of `pieceLength` bytes.
 *
 * @param files Files in torrent order, with their lengths in bytes.
 * @param pieceLength Bytes per piece.
 * @param onProgress Called after each chunk with (hashed bytes, total bytes).
 * @returns The concatenated 20-byte SHA-1 digests.
 * @throws {StorageError} When a file cannot be opened or read, or is shorter than listed.
 */
export async function hashPieces(
  files: SourceFile[],
  pieceLength: number,
  onProgress?: (hashedBytes: number, totalBytes: number) => void,
): Promise<Uint8Array> {
  const total = files.reduce((sum, f) => sum + f.length, 0);
  const pieceCount = Math.ceil(total / pieceLength);
  const hashes = new Uint8Array(pieceCount * 20);
  const chunk = pieceLength * Math.max(1, Math.floor(TARGET_CHUNK / pieceLength));
  const size = Math.min(chunk, pieceCount * pieceLength);
  const buffers = [new Uint8Array(size), new Uint8Array(size)];
  const reader = new Reader(files);
  let pending: Promise<number> | undefined = reader.fill(buffers[0]);
  let hashed = 0;
  let piece = 0;
  try {
    for (let turn = 0; pending !== undefined; turn ^= 1) {
      const filled: number = await pending;
      pending = undefined;
      if (filled === size && hashed + filled < total) pending = reader.fill(buffers[turn ^ 1]);
      const buffer = buffers[turn];
      for (let offset = 0; offset < filled; offset += pieceLength) {
        const data = buffer.subarray(offset, Math.min(filled, offset + pieceLength));
        hashes.set(createHash("sha1").update(data).digest(), piece * 20);
        piece++;
      }
      hashed += filled;
      onProgress?.(hashed, total);
    }
  } finally {
    await pending?.catch(() => 0);
    await reader.close();
  }
  if (piece !== pieceCount) throw new Error(`Cannot hash pieces: hashed ${piece} of ${pieceCount}`);
  return hashes;
}
