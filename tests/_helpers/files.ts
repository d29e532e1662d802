/**
 * Payload trees for transfer tests: deterministic pseudo-random files, and a streaming byte-for-byte tree
 * comparison.
 *
 * @module
 */

import { AssertionError } from "node:assert/strict";
import { Buffer } from "node:buffer";

/** Files to create, relative to the payload directory, with `/` separators. */
export interface PayloadSpec {
  /** Each file's relative path (no `..`, not absolute) and its size in bytes. */
  files: { path: string; size: number }[];
}

/** What {@linkcode makePayload} wrote. */
export interface Payload {
  /** Absolute or caller-relative directory holding the files (the `dir` argument). */
  dir: string;
  /** Total bytes written. */
  totalSize: number;
}

/** Options for {@linkcode assertSameTree}. */
export interface SameTreeOptions {
  /**
   * Accept zero-length files that exist in only one tree (Transmission 3 does not create empty files).
   */
  ignoreEmptyFiles?: boolean;
  /** Skip relative paths (with `/` separators) for which this returns true, e.g. client state files. */
  ignore?: (relativePath: string) => boolean;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Creates the files in `spec` under `dir` (making directories as needed), filled with xorshift32 bytes seeded
 * by `seed` and each file's path, so the same spec and seed always give the same bytes on little-endian
 * machines and different files never share content.
 *
 * @param dir Directory to create the files in (created if missing).
 * @param spec Relative paths and sizes in bytes.
 * @param seed Any 32-bit integer (default 1).
 * @returns The directory and the total bytes written.
 * @throws {RangeError} If a size is negative or not an integer, or a path is empty, absolute or has `..`.
 *
 * @example Two files, one in a subdirectory
 * ```ts
 * import { makePayload } from "./files.ts";
 * const dir = await Deno.makeTempDir();
 * await makePayload(dir, { files: [{ path: "a.bin", size: 1000 }, { path: "sub/b.bin", size: 17 }] });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function makePayload(dir: string, spec: PayloadSpec, seed = 1): Promise<Payload> {
  let totalSize = 0;
  for (const file of spec.files) {
    checkRelativePath(file.path);
    if (!Number.isSafeInteger(file.size) || file.size < 0) {
      throw new RangeError(`Cannot make payload file ${file.path}: size ${file.size} is not a byte count`);
    }
  }
  await Deno.mkdir(dir, { recursive: true });
  const words = new Uint32Array(CHUNK_BYTES / 4);
  const bytes = new Uint8Array(words.buffer);
  for (const file of spec.files) {
    const path = `${dir}/${file.path}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    let state = (fnv1a(file.path) ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0 || 0x6d2b79f5;
    using handle = await Deno.open(path, { write: true, create: true, truncate: true });
    let left = file.size;
    while (left > 0) {
      const n = Math.min(left, CHUNK_BYTES);
      const wordCount = Math.ceil(n / 4);
      for (let i = 0; i < wordCount; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        words[i] = state;
      }
      await writeAll(handle, bytes.subarray(0, n));
      left -= n;
    }
    totalSize += file.size;
  }
  return { dir, totalSize };
}

/**
 * Asserts that two directory trees hold the same relative file paths with the same bytes, reading both in
 * 1 MiB chunks (memory stays flat for GiB payloads).
 *
 * @param dirA First tree.
 * @param dirB Second tree.
 * @param options Empty files and paths to ignore.
 * @throws {AssertionError} Naming the missing, extra or differing files (and the first differing offset).
 *
 * @example Compare a download with its source
 * ```ts
 * import { assertSameTree, makePayload } from "./files.ts";
 * const a = await Deno.makeTempDir();
 * const b = await Deno.makeTempDir();
 * const spec = { files: [{ path: "x.bin", size: 5000 }] };
 * await makePayload(a, spec, 7);
 * await makePayload(b, spec, 7);
 * await assertSameTree(a, b);
 * await Deno.remove(a, { recursive: true });
 * await Deno.remove(b, { recursive: true });
 * ```
 */
export async function assertSameTree(
  dirA: string,
  dirB: string,
  options: SameTreeOptions = {},
): Promise<void> {
  const [filesA, filesB] = await Promise.all([listFiles(dirA), listFiles(dirB)]);
  const skip = (path: string, size: number | undefined) =>
    (options.ignore?.(path) ?? false) || (options.ignoreEmptyFiles === true && size === 0);
  const problems: string[] = [];
  for (const [path, size] of filesA) {
    if (!filesB.has(path) && !skip(path, size)) problems.push(`only in ${dirA}: ${path}`);
  }
  for (const [path, size] of filesB) {
    if (!filesA.has(path) && !skip(path, size)) problems.push(`only in ${dirB}: ${path}`);
  }
  const common = [...filesA].filter(([path]) => filesB.has(path) && !(options.ignore?.(path) ?? false));
  for (const [path, sizeA] of common) {
    const sizeB = filesB.get(path);
    if (sizeA !== sizeB) {
      problems.push(`size differs for ${path}: ${sizeA} vs ${sizeB} bytes`);
      continue;
    }
    const offset = await firstDifference(`${dirA}/${path}`, `${dirB}/${path}`);
    if (offset !== -1) problems.push(`bytes differ for ${path} at offset ${offset}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).join("\n  ");
    const more = problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : "";
    throw new AssertionError({ message: `Trees ${dirA} and ${dirB} differ:\n  ${shown}${more}` });
  }
}

function checkRelativePath(path: string): void {
  const parts = path.split("/");
  if (path === "" || path.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new RangeError(`Cannot make payload file ${JSON.stringify(path)}: not a plain relative path`);
  }
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

async function writeAll(handle: Deno.FsFile, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) written += await handle.write(data.subarray(written));
}

/** Relative path (with `/`) -> size in bytes, for every regular file under `root`. */
async function listFiles(root: string): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  const walk = async (rel: string): Promise<void> => {
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(rel === "" ? root : `${root}/${rel}`)) entries.push(entry);
    for (const entry of entries) {
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) {
        await walk(child);
      } else if (entry.isFile) {
        files.set(child, (await Deno.stat(`${root}/${child}`)).size);
      } else {
        throw new AssertionError({
          message: `Tree ${root} holds ${child}, which is not a file or directory`,
        });
      }
    }
  };
  await walk("");
  return files;
}

/** Byte offset of the first difference between two files of equal size, or -1 if they are identical. */
async function firstDifference(pathA: string, pathB: string): Promise<number> {
  using a = await Deno.open(pathA);
  using b = await Deno.open(pathB);
  const bufA = new Uint8Array(CHUNK_BYTES);
  const bufB = new Uint8Array(CHUNK_BYTES);
  let offset = 0;
  while (true) {
    const [nA, nB] = await Promise.all([readFull(a, bufA), readFull(b, bufB)]);
    const n = Math.min(nA, nB);
    if (!Buffer.from(bufA.buffer, 0, n).equals(Buffer.from(bufB.buffer, 0, n))) {
      for (let i = 0; i < n; i++) {
        if (bufA[i] !== bufB[i]) return offset + i;
      }
    }
    if (nA !== nB) return offset + n;
    if (n < CHUNK_BYTES) return -1;
    offset += n;
  }
}

/** Reads until `buf` is full or the file ends; returns the bytes read. */
async function readFull(file: Deno.FsFile, buf: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < buf.length) {
    const n = await file.read(buf.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled;
}
