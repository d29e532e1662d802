/**
 * The hash-wasm backend of the `Hasher` interface: SHA-1 and SHA-256 compiled to WebAssembly, instantiated
 * once and reused (`init().update(data).digest("binary")`), so each worker pays the compile cost once.
 *
 * @module
 */

import { createSHA1, createSHA256 } from "hash-wasm";
import type { Hasher } from "../engine/storage/hasher.ts";

/**
 * Creates a hash-wasm hasher. Not safe for re-entrant use, which a synchronous caller cannot do anyway.
 *
 * @returns A `Hasher` with `backend: "wasm"`: `sha1` gives 20 bytes, `sha256` gives 32 bytes.
 *
 * @example SHA-1 of "abc"
 * ```ts
 * import { createWasmHasher } from "./wasm_hasher.ts";
 * const hasher = await createWasmHasher();
 * const digest = hasher.sha1(new TextEncoder().encode("abc"));
 * if (digest[0] !== 0xa9) throw new Error("SHA-1(abc) starts with a9");
 * ```
 */
export async function createWasmHasher(): Promise<Hasher> {
  const [sha1, sha256] = await Promise.all([createSHA1(), createSHA256()]);
  return Object.freeze({
    backend: "wasm" as const,
    sha1: (data: Uint8Array) => sha1.init().update(data).digest("binary"),
    sha256: (data: Uint8Array) => sha256.init().update(data).digest("binary"),
  });
}
