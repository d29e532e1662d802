import assert from "node:assert/strict";
import fc from "fast-check";
import type { StorageSpec } from "./disk_io.ts";
import { createHasher } from "./hasher.ts";
import { V2PieceHashes } from "./v2_piece_hashes.ts";
import { hex, makeTestV2Torrent } from "./_test_v2_torrent.ts";

const hashers = await Promise.all([createHasher("native"), createHasher("wasm")]);

Deno.test("V2PieceHashes.verify() passes every piece of files laid out by BEP 52 and fails a flipped byte", async () => {
  // File 0: two whole pieces and a short one; file 1: under one piece (two blocks); file 2: one block; file 3:
  // exactly two pieces; the padding after files 0, 1 and 2 is not hashed.
  const t = await makeTestV2Torrent([80_000, 20_000, 100, 65_536], 32_768);
  try {
    const table = V2PieceHashes.from(t.spec)!;
    const pieces = Math.ceil(t.spec.totalLength / t.spec.pieceLength);
    assert.equal(pieces, 7);
    for (const hasher of hashers) {
      for (let p = 0; p < pieces; p++) {
        const bytes = new Uint8Array(t.piece(p));
        assert.equal(table.known(p), true);
        assert.deepEqual(table.verify(p, bytes, hasher), { verdict: "ok" }, `${hasher.backend} piece ${p}`);
        bytes[16_000] ^= 1;
        // Byte 16000 of pieces 2 and 4 is padding after file 0's tail (14464 bytes) and file 2 (100 bytes).
        const padding = p === 2 || p === 4;
        assert.equal(
          table.verify(p, bytes, hasher).verdict,
          padding ? "ok" : "failed",
          `${hasher.backend} ${p}`,
        );
        bytes[16_000] ^= 1;
        bytes[bytes.length - 1] ^= 1;
        // The last byte is file data in whole pieces and in the last piece, padding in pieces 2, 3 and 4.
        const data = p === 0 || p === 1 || p >= 5;
        assert.equal(
          table.verify(p, bytes, hasher).verdict,
          data ? "failed" : "ok",
          `${hasher.backend} ${p}`,
        );
      }
    }
  } finally {
    await t.dispose();
  }
});

Deno.test("V2PieceHashes.verify() agrees with engine/merkle for any file sizes (property)", async () => {
  const hasher = hashers[0];
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 140_000 }), { minLength: 1, maxLength: 4 }),
      fc.constantFrom(16_384, 32_768, 65_536),
      async (lengths, pieceLength) => {
        const t = await makeTestV2Torrent(lengths, pieceLength);
        try {
          const table = V2PieceHashes.from(t.spec)!;
          for (let p = 0; p * pieceLength < t.spec.totalLength; p++) {
            assert.equal(table.verify(p, new Uint8Array(t.piece(p)), hasher).verdict, "ok");
          }
        } finally {
          await t.dispose();
        }
      },
    ),
    { numRuns: 12 },
  );
});

Deno.test("V2PieceHashes.setPieceLayer() turns unknown pieces into checked ones", async () => {
  const t = await makeTestV2Torrent([100_000, 10_000], 32_768, { withoutLayers: true });
  try {
    const hasher = hashers[1];
    const table = V2PieceHashes.from(t.spec)!;
    const layer = t.layers.get(0)!;
    const root = t.spec.files[0].piecesRoot!;
    assert.equal(table.known(0), false);
    assert.equal(table.known(4), true, "a one-piece file's root is its piece hash");
    const unknown = table.verify(1, new Uint8Array(t.piece(1)), hasher);
    assert.deepEqual(unknown, { verdict: "unknown", pieceRoot: layer.slice(32, 64) });
    assert.throws(() => table.setPieceLayer(root, layer.subarray(32)), /128 expected/);
    const wrong = layer.slice();
    wrong[0] ^= 1;
    assert.throws(() => table.setPieceLayer(root, wrong), /does not lead/);
    assert.throws(
      () => table.setPieceLayer(t.spec.files[2].piecesRoot!, new Uint8Array(32)),
      /no file larger/,
    );
    table.setPieceLayer(root, layer);
    assert.equal(table.known(0), true);
    for (let p = 0; p < 4; p++) {
      assert.equal(table.verify(p, new Uint8Array(t.piece(p)), hasher).verdict, "ok");
    }
    const withLayers = V2PieceHashes.from({ ...t.spec, pieceLayers: new Map([[hex(root), layer]]) })!;
    assert.equal(withLayers.known(3), true, "layers given in the spec are used");
  } finally {
    await t.dispose();
  }
});

Deno.test("V2PieceHashes.from() is undefined for v1 and refuses a layout BEP 52 does not allow", () => {
  const root = new Uint8Array(32).fill(1);
  const base: StorageSpec = {
    files: [{ path: "/d/a", length: 40_000, offset: 0, piecesRoot: root }],
    pieceLength: 32_768,
    totalLength: 40_000,
    pieceHashes: new Uint8Array(0),
  };
  assert.equal(
    V2PieceHashes.from({ ...base, files: [{ path: "/d/a", length: 40_000, offset: 0 }] }),
    undefined,
  );
  assert.ok(V2PieceHashes.from(base));
  assert.throws(() => V2PieceHashes.from({ ...base, pieceLength: 3 * 16_384 }), /power of two/);
  assert.throws(
    () =>
      V2PieceHashes.from({
        ...base,
        files: [base.files[0], { path: "/d/b", length: 10, offset: 40_000, piecesRoot: root }],
        totalLength: 40_010,
      }),
    /starts at 40000, not a piece boundary/,
  );
  assert.throws(
    () =>
      V2PieceHashes.from({
        ...base,
        files: [base.files[0], { path: "/d/b", length: 10, offset: 40_000 }],
        totalLength: 40_010,
      }),
    /file 1 has no 32-byte pieces root/,
  );
});
