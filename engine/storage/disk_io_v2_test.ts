/**
 * The `DiskIo` contract for v2 and hybrid storages (BEP 52 Merkle verification, BEP 47 padding), run against
 * `WorkerDiskIo` and `InlineDiskIo` with both hash backends.
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { DiskIo, HashBackend, StorageSpec } from "./disk_io.ts";
import { InlineDiskIo } from "./inline_disk_io.ts";
import { WorkerDiskIo } from "./worker_disk_io.ts";
import { makeTestV2Torrent } from "./_test_v2_torrent.ts";

const IMPLEMENTATIONS: { name: string; make: (hashBackend: HashBackend) => DiskIo }[] = [
  { name: "WorkerDiskIo", make: (hashBackend) => new WorkerDiskIo({ workers: 2, hashBackend }) },
  { name: "InlineDiskIo", make: (hashBackend) => new InlineDiskIo({ hashBackend }) },
];

// File 0 (f0.bin): pieces 0-2, the last one short (14464 bytes) then padding; file 1 (f1.bin): under one piece
// (piece 3, two blocks, then padding); file 2 (f2.bin): 100 bytes, the torrent's short last piece 4.
const LENGTHS = [80_000, 20_000, 100];
const PIECE = 32_768;

for (const { name, make } of IMPLEMENTATIONS) {
  for (const backend of ["native", "wasm"] as HashBackend[]) {
    const label = `${name} (${backend})`;

    Deno.test(`${label}.hashAndWrite() verifies v2 pieces by Merkle root and never writes padding`, async () => {
      const t = await makeTestV2Torrent(LENGTHS, PIECE);
      const io = make(backend);
      try {
        const id = await io.addStorage(t.spec);
        const real = t.spec.files.filter((file) => file.padding !== true);
        for (const p of [1, 2, 3, 4]) {
          const bad = new Uint8Array(t.piece(p));
          bad[7] ^= 0x10;
          const refused = await io.hashAndWrite(id, p, bad.buffer);
          assert.deepEqual([refused.ok, refused.verdict], [false, "failed"], `piece ${p}`);
        }
        assert.deepEqual(
          real.map((file) => fs.existsSync(file.path)),
          [false, false, false],
          "nothing written",
        );
        for (let p = 0; p < 5; p++) {
          const result = await io.hashAndWrite(id, p, t.piece(p));
          assert.deepEqual([result.ok, result.verdict], [true, "ok"], `piece ${p}`);
        }
        await io.sync(id);
        assert.equal(fs.existsSync(`${t.dir}/t/.pad`), false, "padding files are never created");
        assert.deepEqual(real.map((file) => fs.statSync(file.path).size), LENGTHS);
        assert.deepEqual(
          new Uint8Array(fs.readFileSync(real[1].path)),
          t.data.subarray(3 * PIECE, 3 * PIECE + 20_000),
        );
        assert.deepEqual(
          await io.read(id, 2, 14_000, 2_000),
          t.data.subarray(2 * PIECE + 14_000, 2 * PIECE + 16_000),
        );
        assert.deepEqual(
          await io.read(id, 3, 20_000, PIECE - 20_000),
          new Uint8Array(PIECE - 20_000),
          "padding",
        );
        assert.deepEqual(await io.read(id, 4, 0, 100), t.data.subarray(4 * PIECE));
      } finally {
        await io.close();
        await t.dispose();
      }
    });

    Deno.test(`${label}.verifyPiece() checks v2 data on disk: ok, failed, missing`, async () => {
      const t = await makeTestV2Torrent(LENGTHS, PIECE);
      const io = make(backend);
      try {
        const id = await io.addStorage(t.spec);
        const pieces = [0, 1, 2, 3, 4];
        assert.deepEqual(
          await Promise.all(pieces.map((p) => io.verifyPiece(id, p))),
          Array(5).fill("missing"),
        );
        for (const p of pieces) await io.hashAndWrite(id, p, t.piece(p));
        assert.deepEqual(await Promise.all(pieces.map((p) => io.checkPiece(id, p))), Array(5).fill(true));
        const fd = fs.openSync(t.spec.files[2].path, "r+");
        fs.writeSync(fd, new Uint8Array([t.data[3 * PIECE + 19_999] ^ 1]), 0, 1, 19_999);
        fs.closeSync(fd);
        fs.truncateSync(t.spec.files[4].path, 99);
        assert.deepEqual(await Promise.all(pieces.map((p) => io.verifyPiece(id, p))), [
          "ok",
          "ok",
          "ok",
          "failed",
          "missing",
        ]);
      } finally {
        await io.close();
        await t.dispose();
      }
    });

    Deno.test(`${label}.hashAndWrite() fails a hybrid piece when either its SHA-1 or its Merkle root differs`, async () => {
      const t = await makeTestV2Torrent(LENGTHS, PIECE, { kind: "hybrid" });
      const wrongRoot = t.spec.files.map((file, i) =>
        i === 2 ? { ...file, piecesRoot: new Uint8Array(32).fill(9) } : file
      );
      const wrongSha1 = t.spec.pieceHashes.slice();
      wrongSha1[0] ^= 1;
      const io = make(backend);
      try {
        const good = await io.addStorage(t.spec);
        const badV2 = await io.addStorage({ ...t.spec, files: wrongRoot });
        const badV1 = await io.addStorage({ ...t.spec, pieceHashes: wrongSha1 });
        for (let p = 0; p < 5; p++) {
          assert.equal((await io.hashAndWrite(good, p, t.piece(p))).ok, true, `piece ${p}`);
        }
        // One hash right and the other wrong: the torrent's hashes disagree (BEP 52), not the data.
        const v2Wrong = await io.hashAndWrite(badV2, 3, t.piece(3));
        assert.equal(v2Wrong.verdict, "failed", "SHA-1 right, root wrong");
        assert.equal(v2Wrong.inconsistent, true);
        assert.equal((await io.hashAndWrite(badV2, 4, t.piece(4))).verdict, "ok");
        const v1Wrong = await io.hashAndWrite(badV1, 0, t.piece(0));
        assert.equal(v1Wrong.verdict, "failed", "root right, SHA-1 wrong");
        assert.equal(v1Wrong.inconsistent, true);
        // Bad data is bad data: both hashes fail, or only the SHA-1 over padding that is not zeros.
        const garbage = new Uint8Array(t.piece(0)).map((b) => b ^ 0xff);
        const bad = await io.hashAndWrite(good, 0, garbage.buffer);
        assert.deepEqual([bad.verdict, bad.inconsistent], ["failed", undefined]);
        const padFlipped = new Uint8Array(t.piece(2));
        padFlipped[20_000] = 1;
        const padded = await io.hashAndWrite(good, 2, padFlipped.buffer);
        assert.deepEqual(
          [padded.verdict, padded.inconsistent],
          ["failed", undefined],
          "SHA-1 covers padding",
        );
        assert.equal(fs.existsSync(`${t.dir}/t/.pad`), false);
        assert.deepEqual(await io.read(good, 2, 14_464, 100), new Uint8Array(100));
        assert.equal(await io.verifyPiece(good, 2), "ok", "padding reads as zeros for the SHA-1");
      } finally {
        await io.close();
        await t.dispose();
      }
    });

    Deno.test(`${label}.setPieceLayer() lets pieces written before their layer be checked`, async () => {
      const t = await makeTestV2Torrent(LENGTHS, PIECE, { withoutLayers: true });
      const hybrid = await makeTestV2Torrent(LENGTHS, PIECE, { kind: "hybrid", withoutLayers: true });
      const io = make(backend);
      try {
        const id = await io.addStorage(t.spec);
        const layer = t.layers.get(0)!;
        const written = await io.hashAndWrite(id, 1, t.piece(1));
        assert.deepEqual([written.ok, written.verdict], [false, "unknown"]);
        assert.deepEqual(written.pieceRoot, layer.subarray(32, 64), "the computed root comes back");
        assert.deepEqual(
          new Uint8Array(fs.readFileSync(t.spec.files[0].path)).subarray(PIECE),
          t.data.subarray(PIECE, 2 * PIECE),
        );
        assert.equal(
          (await io.hashAndWrite(id, 3, t.piece(3))).verdict,
          "ok",
          "a one-piece file needs no layer",
        );
        assert.equal(await io.verifyPiece(id, 1), "unknown");
        assert.equal(await io.checkPiece(id, 1), false);
        const wrong = layer.slice();
        wrong[40] ^= 1;
        await assert.rejects(() => io.setPieceLayer(id, t.spec.files[0].piecesRoot!, wrong), RangeError);
        await assert.rejects(() => io.setPieceLayer(id, new Uint8Array(32), layer), RangeError);
        await io.setPieceLayer(id, t.spec.files[0].piecesRoot!, layer);
        assert.deepEqual(await Promise.all([1, 1, 1].map((p) => io.verifyPiece(id, p))), ["ok", "ok", "ok"]);
        const bad = new Uint8Array(t.piece(0));
        bad[0] ^= 1;
        assert.equal((await io.hashAndWrite(id, 0, bad.buffer)).verdict, "failed");
        const h = await io.addStorage(hybrid.spec);
        assert.equal((await io.hashAndWrite(h, 1, hybrid.piece(1))).verdict, "ok", "the SHA-1 decides");
      } finally {
        await io.close();
        await t.dispose();
        await hybrid.dispose();
      }
    });
  }

  Deno.test(`${name}.applyAttributes() makes executables and links inside the save directory`, async () => {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "ccbt_v2_attr_" }));
    const io = make("native");
    try {
      const data = new TextEncoder().encode("#!/bin/sh\n");
      const spec: StorageSpec = {
        files: [
          { path: `${dir}/t/run.sh`, length: data.length, offset: 0, executable: true },
          { path: `${dir}/t/link`, length: 0, offset: data.length, symlinkTarget: `${dir}/t/run.sh` },
          { path: `${dir}/t/out`, length: 0, offset: data.length, symlinkTarget: `${dir}/../elsewhere` },
        ],
        pieceLength: 16_384,
        totalLength: data.length,
        pieceHashes: new Uint8Array(await crypto.subtle.digest("SHA-1", data)),
        saveDir: dir,
      };
      const id = await io.addStorage(spec);
      assert.equal(fs.existsSync(`${dir}/t/link`), false, "a link entry is not created as a file");
      assert.equal((await io.hashAndWrite(id, 0, data.slice().buffer)).ok, true);
      await io.applyAttributes(id, 0);
      assert.equal(fs.statSync(`${dir}/t/run.sh`).mode & 0o777, 0o755);
      await io.applyAttributes(id, 1);
      assert.equal(fs.readlinkSync(`${dir}/t/link`), "run.sh");
      assert.deepEqual(new Uint8Array(fs.readFileSync(`${dir}/t/link`)), data);
      await assert.rejects(() => io.applyAttributes(id, 2), /ESCAPE|outside|not inside/);
      assert.equal(fs.existsSync(`${dir}/t/out`), false);
      await assert.rejects(() => io.applyAttributes(id, 3), RangeError);
    } finally {
      await io.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
