import assert from "node:assert/strict";
import { createWasmHasher } from "./wasm_hasher.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("createWasmHasher() hashes with SHA-1 and SHA-256", async () => {
  const hasher = await createWasmHasher();
  const abc = new TextEncoder().encode("abc");
  assert.equal(hasher.backend, "wasm");
  assert.equal(hex(hasher.sha1(abc)), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.equal(
    hex(hasher.sha256(abc)),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
