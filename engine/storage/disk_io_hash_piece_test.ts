/**
 * `DiskIo.hashPiece` on hash-only storages (torrent creation), run against `WorkerDiskIo`, `InlineDiskIo` (both
 * hash backends) and `FaultyDiskIo`: SHA-1 over the piece with padding as zeros, the BEP 52 piece root or pieces
 * root, read errors, and the refusals of a hash-only storage.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { StorageError } from "../errors.ts";
import { fileMerkle } from "../merkle/file_merkle.ts";
import type { DiskIo, HashBackend, StorageSpec } from "./disk_io.ts";
import { FaultyDiskIo } from "./faulty_disk_io.ts";
import { InlineDiskIo } from "./inline_disk_io.ts";
import { WorkerDiskIo } from "./worker_disk_io.ts";

const IMPLEMENTATIONS: { name: string; make: (hashBackend: HashBackend) => DiskIo }[] = [
  { name: "WorkerDiskIo", make: (hashBackend) => new WorkerDiskIo({ workers: 2, hashBackend }) },
  { name: "InlineDiskIo", make: (hashBackend) => new InlineDiskIo({ hashBackend }) },
  { name: "FaultyDiskIo", make: (hashBackend) => new FaultyDiskIo(new InlineDiskIo({ hashBackend })) },
];

const PIECE = 32_768;
// a.bin: pieces 0-2 (the last short, then 18,304 bytes of padding); empty: nothing; b.bin: piece 3 (two blocks,
// then padding); c.bin: 100 bytes, the short last piece 4.
const LENGTHS = [80_000, 0, 20_000, 100];
const NAMES = ["a.bin", "empty", "sub/b.bin", "c.bin"];

interface Fixture {
  dir: string;
  spec: StorageSpec;
  /** Each file's bytes. */
  data: Uint8Array[];
  /** The storage's bytes, padding as zeros. */
  stream: Uint8Array;
}

async function fixture(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hash_piece_" });
  await Deno.mkdir(`${dir}/src/sub`, { recursive: true });
  const files: StorageSpec["files"][number][] = [];
  const data: Uint8Array[] = [];
  const stream = new Uint8Array(4 * PIECE + 100);
  let offset = 0;
  LENGTHS.forEach((length, i) => {
    const bytes = new Uint8Array(length).map((_, k) => (k * 31 + i * 7) & 0xff);
    const path = `${dir}/src/${NAMES[i]}`;
    Deno.writeFileSync(path, bytes);
    data.push(bytes);
    stream.set(bytes, offset);
    files.push({ path, length, offset });
    offset += length;
    const gap = (PIECE - (offset % PIECE)) % PIECE;
    if (length > 0 && i < LENGTHS.length - 1 && gap > 0) {
      files.push({ path: `.pad/${gap}`, length: gap, offset, padding: true });
      offset += gap;
    }
  });
  assert.equal(offset, stream.length);
  const spec = {
    files,
    pieceLength: PIECE,
    totalLength: offset,
    pieceHashes: new Uint8Array(0),
    hashOnly: true,
  };
  return { dir, spec, data, stream };
}

function sha1(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha1").update(bytes).digest());
}

for (const { name, make } of IMPLEMENTATIONS) {
  for (const backend of ["native", "wasm"] as HashBackend[]) {
    const label = `${name} (${backend})`;

    Deno.test(`${label}.hashPiece() gives SHA-1 with padding as zeros and each piece's v2 root`, async () => {
      const t = await fixture();
      const io = make(backend);
      try {
        const id = await io.addStorage(t.spec);
        const a = fileMerkle(t.data[0], PIECE);
        const expectedRoots = [
          ...[0, 1, 2].map((p) => a.pieceLayer.subarray(p * 32, p * 32 + 32)),
          fileMerkle(t.data[2], PIECE).piecesRoot,
          fileMerkle(t.data[3], PIECE).piecesRoot,
        ];
        const results = await Promise.all(
          [0, 1, 2, 3, 4].map((p) => io.hashPiece(id, p, { sha1: true, v2: true })),
        );
        results.forEach((result, p) => {
          const piece = t.stream.subarray(p * PIECE, (p + 1) * PIECE);
          assert.deepEqual(result.sha1, sha1(piece), `SHA-1 of piece ${p}`);
          assert.deepEqual(result.root, expectedRoots[p], `root of piece ${p}`);
        });
        assert.deepEqual(await io.hashPiece(id, 3, { sha1: false, v2: true }), { root: expectedRoots[3] });
        assert.deepEqual(await io.hashPiece(id, 4, { sha1: true, v2: false }), {
          sha1: sha1(t.stream.subarray(4 * PIECE)),
        });
        assert.deepEqual(await io.hashPiece(id, 0, { sha1: false, v2: false }), {});
      } finally {
        await io.close();
        await Deno.remove(t.dir, { recursive: true });
      }
    });
  }

  Deno.test(`${name}.hashPiece() reports missing and short files and refuses v2 across files`, async () => {
    const t = await fixture();
    const io = make("native");
    try {
      const id = await io.addStorage(t.spec);
      await Deno.remove(t.spec.files[0].path);
      const missing = await io.hashPiece(id, 1, { sha1: true, v2: false }).catch((e) => e);
      assert.ok(missing instanceof StorageError, String(missing));
      assert.equal(missing.code, "ENOENT");
      const c = t.spec.files.find((file) => file.path.endsWith("/c.bin"))!.path;
      await Deno.truncate(c, 50);
      const short = await io.hashPiece(id, 4, { sha1: true, v2: true }).catch((e) => e);
      assert.ok(short instanceof StorageError, String(short));
      assert.equal(short.code, "ENODATA");
      assert.equal(short.path, c);
      await assert.rejects(() => io.hashPiece(id, 5, { sha1: true, v2: false }), RangeError);

      // Back to back (v1 layout): piece 0 holds one file only, piece 1 two files.
      const files = [
        { path: `${t.dir}/src/sub/b.bin`, length: 20_000, offset: 0 },
        { path: `${t.dir}/src/sub/b.bin`, length: 20_000, offset: 20_000 },
      ];
      const v1 = await io.addStorage({ ...t.spec, files, totalLength: 40_000 });
      const both = await io.hashPiece(v1, 0, { sha1: true, v2: false });
      assert.deepEqual(both.sha1, sha1(new Uint8Array([...t.data[2], ...t.data[2]]).subarray(0, PIECE)));
      await assert.rejects(() => io.hashPiece(v1, 0, { sha1: false, v2: true }), /more than one file/);
      await assert.rejects(() => io.hashPiece(v1, 1, { sha1: false, v2: true }), /not starting on a piece/);
    } finally {
      await io.close();
      await Deno.remove(t.dir, { recursive: true });
    }
  });

  Deno.test(`${name}.addStorage() of a hash-only storage creates nothing and refuses writes and checks`, async () => {
    const t = await fixture();
    const io = make("native");
    try {
      const elsewhere = `${t.dir}/not/made`;
      const files = [
        ...t.spec.files,
        { path: `${elsewhere}/empty`, length: 0, offset: t.spec.totalLength },
      ];
      const id = await io.addStorage({ ...t.spec, files });
      assert.equal(fs.existsSync(elsewhere), false, "no directory or zero-length file is made");
      await assert.rejects(() => io.hashAndWrite(id, 0, new ArrayBuffer(PIECE)), /hash-only/);
      await assert.rejects(() => io.verifyPiece(id, 0), /hash-only/);
      assert.deepEqual(new Uint8Array(fs.readFileSync(t.spec.files[0].path)), t.data[0], "nothing written");
    } finally {
      await io.close();
      await Deno.remove(t.dir, { recursive: true });
    }
  });
}

Deno.test("FaultyDiskIo.hashPiece() fails reads of failReadsOf with EIO", async () => {
  const t = await fixture();
  const io = new FaultyDiskIo(new InlineDiskIo(), { failReadsOf: t.spec.files[0].path });
  try {
    const id = await io.addStorage(t.spec);
    const error = await io.hashPiece(id, 2, { sha1: true, v2: true }).catch((e) => e);
    assert.ok(error instanceof StorageError && error.code === "EIO", String(error));
    assert.ok((await io.hashPiece(id, 3, { sha1: true, v2: true })).root !== undefined);
  } finally {
    await io.close();
    await Deno.remove(t.dir, { recursive: true });
  }
});
