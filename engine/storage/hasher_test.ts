import assert from "node:assert/strict";
import fc from "fast-check";
import { createHasher } from "./hasher.ts";
import type { HashBackend } from "./disk_io.ts";

const text = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** FIPS 180 / NIST example vectors. */
const VECTORS: { input: Uint8Array; sha1: string; sha256: string }[] = [
  {
    input: text(""),
    sha1: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  },
  {
    input: text("abc"),
    sha1: "a9993e364706816aba3e25717850c26c9cd0d89d",
    sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  },
  {
    input: text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    sha1: "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
    sha256: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  },
  {
    input: new Uint8Array(1_000_000).fill(0x61),
    sha1: "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
    sha256: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  },
];

for (const backend of ["native", "wasm"] as HashBackend[]) {
  Deno.test(`createHasher() ${backend} matches the FIPS 180 vectors`, async () => {
    const hasher = await createHasher(backend);
    assert.equal(hasher.backend, backend);
    for (const { input, sha1, sha256 } of VECTORS) {
      const d1 = hasher.sha1(input);
      const d256 = hasher.sha256(input);
      assert.equal(Object.getPrototypeOf(d1), Uint8Array.prototype);
      assert.equal(d1.length, 20);
      assert.equal(d256.length, 32);
      assert.equal(hex(d1), sha1);
      assert.equal(hex(d256), sha256);
    }
  });

  Deno.test(`createHasher() ${backend} hashes only the bytes of a view`, async () => {
    const hasher = await createHasher(backend);
    const backing = text("xxabcyy");
    assert.equal(hex(hasher.sha1(backing.subarray(2, 5))), VECTORS[1].sha1);
    assert.equal(hex(hasher.sha256(backing.subarray(2, 5))), VECTORS[1].sha256);
  });

  Deno.test(`createHasher() ${backend} gives fresh digests on reuse`, async () => {
    const hasher = await createHasher(backend);
    const first = hasher.sha1(text("abc"));
    hasher.sha1(text("something else"));
    assert.equal(hex(first), VECTORS[1].sha1);
  });
}

Deno.test("createHasher() native and wasm agree on random inputs", async () => {
  const native = await createHasher("native");
  const wasm = await createHasher("wasm");
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), (data) => {
      assert.deepEqual(native.sha1(data), wasm.sha1(data));
      assert.deepEqual(native.sha256(data), wasm.sha256(data));
    }),
    { numRuns: 200 },
  );
});

Deno.test("createHasher() rejects an unknown backend", async () => {
  await assert.rejects(() => createHasher("md5" as HashBackend), TypeError);
});
