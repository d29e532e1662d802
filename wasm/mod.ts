/**
 * WebAssembly hashing backends (hash-wasm), loaded once per worker.
 *
 * @module
 */

export { createWasmHasher } from "./wasm_hasher.ts";
