/**
 * Hash throughput of both `Hasher` backends (DESIGN.md section 2): SHA-1 and SHA-256 over piece-sized chunks,
 * on the bench's main thread, one backend at a time.
 *
 * @module
 */

import { createHasher, type Hasher } from "../engine/storage/mod.ts";
import type { HashBackend } from "../mod.ts";

/** One measured combination. */
export interface HashThroughput {
  /** `native` or `wasm`. */
  backend: HashBackend;
  /** `sha1` or `sha256`. */
  algorithm: "sha1" | "sha256";
  /** MiB hashed per second. */
  mibPerSecond: number;
}

const BUFFER_BYTES = 64 * 1_048_576;

/**
 * Hashes `totalBytes` in `chunkBytes` chunks (each chunk is one digest, like one piece) with every backend
 * and algorithm. The chunks cycle through a 64 MiB random buffer, so they mostly come from memory, not cache.
 *
 * @param options Total bytes per combination, chunk size in bytes.
 * @returns One entry per backend and algorithm.
 */
export async function measureHashThroughput(
  options: { totalBytes: number; chunkBytes: number },
): Promise<HashThroughput[]> {
  const buffer = new Uint8Array(Math.max(options.chunkBytes, Math.min(BUFFER_BYTES, options.totalBytes)));
  for (let at = 0; at < buffer.length; at += 65_536) crypto.getRandomValues(buffer.subarray(at, at + 65_536));
  const results: HashThroughput[] = [];
  for (const backend of ["native", "wasm"] as const) {
    const hasher = await createHasher(backend);
    for (const algorithm of ["sha1", "sha256"] as const) {
      hashAll(hasher, algorithm, buffer, options.chunkBytes, buffer.length); // warm-up: JIT, WASM tier-up
      const started = performance.now();
      hashAll(hasher, algorithm, buffer, options.chunkBytes, options.totalBytes);
      const seconds = (performance.now() - started) / 1000;
      results.push({ backend, algorithm, mibPerSecond: options.totalBytes / 1_048_576 / seconds });
    }
  }
  return results;
}

function hashAll(
  hasher: Hasher,
  algorithm: "sha1" | "sha256",
  buffer: Uint8Array,
  chunkBytes: number,
  totalBytes: number,
): void {
  const chunks = Math.floor(buffer.length / chunkBytes);
  for (let done = 0, i = 0; done < totalBytes; done += chunkBytes, i++) {
    const at = (i % chunks) * chunkBytes;
    hasher[algorithm](buffer.subarray(at, at + chunkBytes));
  }
}
