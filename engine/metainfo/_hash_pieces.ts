/**
 * Hashing the content of a new torrent in one pass over its files: SHA-1 pieces over the files read back to back
 * (BEP 3, with BEP 47 padding for hybrids) and each file's SHA-256 Merkle tree (BEP 52). Files are read in large
 * positional chunks; the next chunk is read while the current one is hashed.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { StorageError } from "../errors.ts";
import { type FileMerkle, FileMerkleHasher } from "../merkle/mod.ts";
import type { SourceFile } from "./_walk.ts";

/** Bytes read per chunk. */
const CHUNK = 8 * 1024 * 1024;
const ZEROS = new Uint8Array(1024 * 1024);

/** What to compute. */
export interface HashPlan {
  /** Bytes per piece. */
  pieceLength: number;
  /** Compute v1 SHA-1 piece hashes. */
  v1: boolean;
  /** Compute each file's v2 Merkle tree (needs a power-of-two piece length). */
  v2: boolean;
  /** Zero bytes that follow each file in the v1 piece stream (BEP 47 padding files); default none. */
  padAfter?: readonly number[];
  /** Called after each chunk with (hashed bytes, total bytes), padding not counted. */
  onProgress?: (hashedBytes: number, totalBytes: number) => void;
}

/** What {@linkcode hashContent} computed. */
export interface HashedContent {
  /** v1: concatenated 20-byte SHA-1 piece digests; empty when not asked for. */
  pieces: Uint8Array;
  /** v2: one Merkle result per file, in order; empty when not asked for. */
  merkle: FileMerkle[];
}

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

/** SHA-1 of consecutive `pieceLength`-byte pieces of a stream fed in arbitrary slices. */
class PieceHasher {
  #pieceLength: number;
  #out: Uint8Array;
  #count = 0;
  #hash: Hash | undefined;
  #fill = 0;

  constructor(pieceLength: number, total: number) {
    this.#pieceLength = pieceLength;
    this.#out = new Uint8Array(Math.ceil(total / pieceLength) * 20);
  }

  update(data: Uint8Array): void {
    for (let at = 0; at < data.length;) {
      const take = Math.min(data.length - at, this.#pieceLength - this.#fill);
      (this.#hash ??= createHash("sha1")).update(data.subarray(at, at + take));
      this.#fill += take;
      at += take;
      if (this.#fill === this.#pieceLength) this.#finishPiece();
    }
  }

  zeros(count: number): void {
    for (let left = count; left > 0; left -= ZEROS.length) {
      this.update(ZEROS.subarray(0, Math.min(left, ZEROS.length)));
    }
  }

  digest(): Uint8Array {
    if (this.#fill > 0) this.#finishPiece();
    if (this.#count * 20 !== this.#out.length) {
      throw new Error(`Cannot hash pieces: hashed ${this.#count} of ${this.#out.length / 20}`);
    }
    return this.#out;
  }

  #finishPiece(): void {
    this.#out.set(this.#hash!.digest(), this.#count * 20);
    this.#count++;
    this.#hash = undefined;
    this.#fill = 0;
  }
}

/** Reads `want` bytes at `position` into `buffer`, in as many reads as it takes; fewer only when the file ends. */
async function readFull(
  handle: FileHandle,
  buffer: Uint8Array,
  want: number,
  position: number,
  path: string,
) {
  let filled = 0;
  while (filled < want) {
    let got: number;
    try {
      ({ bytesRead: got } = await handle.read(buffer, filled, want - filled, position + filled));
    } catch (error) {
      throw storageError("read", path, error);
    }
    if (got === 0) {
      throw new StorageError(
        "read",
        path,
        "",
        `Cannot read ${path}: it shrank below its size while being hashed`,
      );
    }
    filled += got;
  }
  return buffer.subarray(0, want);
}

/** The file's bytes in chunks, the next chunk read while the caller hashes the current one. */
async function* chunks(file: SourceFile, buffers: Uint8Array[]): AsyncGenerator<Uint8Array> {
  if (file.length === 0) return;
  let handle: FileHandle;
  try {
    handle = await open(file.absolute, "r");
  } catch (error) {
    throw storageError("open", file.absolute, error);
  }
  let pending: Promise<Uint8Array> | undefined;
  try {
    const read = (turn: number, position: number) =>
      readFull(handle, buffers[turn], Math.min(CHUNK, file.length - position), position, file.absolute);
    pending = read(0, 0);
    for (let position = 0, turn = 0; pending !== undefined; turn ^= 1) {
      const chunk: Uint8Array = await pending;
      position += chunk.length;
      pending = position < file.length ? read(turn ^ 1, position) : undefined;
      yield chunk;
    }
  } finally {
    await pending?.catch(() => undefined);
    await handle.close();
  }
}

/**
 * Hashes `files` in order, once each, into v1 piece hashes and/or v2 Merkle trees.
 *
 * @param files Files in torrent order, with their lengths in bytes.
 * @param plan What to compute, the padding of the v1 stream, and the progress callback.
 * @returns The v1 piece hashes and the v2 per-file hashes asked for.
 * @throws {StorageError} When a file cannot be opened or read, or is shorter than listed.
 */
export async function hashContent(files: readonly SourceFile[], plan: HashPlan): Promise<HashedContent> {
  const total = files.reduce((sum, f) => sum + f.length, 0);
  const padding = plan.padAfter?.reduce((sum, n) => sum + n, 0) ?? 0;
  const pieces = plan.v1 ? new PieceHasher(plan.pieceLength, total + padding) : undefined;
  const merkle: FileMerkle[] = [];
  const largest = files.reduce((max, f) => Math.max(max, f.length), 0);
  const size = Math.min(CHUNK, largest);
  const buffers = [new Uint8Array(size), new Uint8Array(size)];
  let hashed = 0;
  for (const [i, file] of files.entries()) {
    const tree = plan.v2 ? new FileMerkleHasher(plan.pieceLength) : undefined;
    for await (const chunk of chunks(file, buffers)) {
      pieces?.update(chunk);
      tree?.update(chunk);
      hashed += chunk.length;
      plan.onProgress?.(hashed, total);
    }
    pieces?.zeros(plan.padAfter?.[i] ?? 0);
    if (tree !== undefined) merkle.push(tree.digest());
  }
  return { pieces: pieces?.digest() ?? new Uint8Array(0), merkle };
}
