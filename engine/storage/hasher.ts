/**
 * SHA-1 (BEP 3 piece hashes) and SHA-256 (BEP 52 Merkle leaves) behind one interface with two backends:
 * `native` (`node:crypto`, the default: several times faster here) and `wasm` (hash-wasm, portable).
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { HashBackend } from "./disk_io.ts";

/** A synchronous hasher; one per worker, reused for every piece. */
export interface Hasher {
  /** Which implementation this is. */
  readonly backend: HashBackend;
  /** SHA-1 of `data`: a new `Uint8Array` of 20 bytes (BEP 3 piece hash, info-hash). */
  sha1(data: Uint8Array): Uint8Array;
  /** SHA-256 of `data`: a new `Uint8Array` of 32 bytes (BEP 52 Merkle tree). */
  sha256(data: Uint8Array): Uint8Array;
}

/**
 * Creates a hasher for `backend`. The `wasm` backend compiles its modules once here, so keep the result and
 * reuse it.
 *
 * @param backend `native` (`node:crypto`) or `wasm` (hash-wasm).
 * @returns A ready hasher.
 * @throws {TypeError} When `backend` is neither `native` nor `wasm`.
 *
 * @example Hash a piece
 * ```ts
 * import { createHasher } from "./hasher.ts";
 * const hasher = await createHasher("native");
 * const digest = hasher.sha1(new TextEncoder().encode("abc"));
 * if (digest.length !== 20) throw new Error("SHA-1 is 20 bytes");
 * ```
 */
export async function createHasher(backend: HashBackend): Promise<Hasher> {
  switch (backend) {
    case "native":
      return nativeHasher;
    case "wasm": {
      // Loaded on demand: hash-wasm's module holds its WebAssembly as base64 text, ~18 ms to load for nothing
      // when the native backend is used (every CLI start).
      const { createWasmHasher } = await import("../../wasm/wasm_hasher.ts");
      return await createWasmHasher();
    }
    default:
      throw new TypeError(`Cannot create hasher: unknown backend ${JSON.stringify(backend)}`);
  }
}

function nativeDigest(algorithm: string, data: Uint8Array): Uint8Array {
  const digest = createHash(algorithm).update(data).digest();
  // A Buffer is a Uint8Array subclass; hand out a plain Uint8Array view of the same bytes.
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

const nativeHasher: Hasher = Object.freeze({
  backend: "native" as const,
  sha1: (data: Uint8Array) => nativeDigest("sha1", data),
  sha256: (data: Uint8Array) => nativeDigest("sha256", data),
});
