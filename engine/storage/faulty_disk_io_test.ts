import assert from "node:assert/strict";
import { StorageError } from "../errors.ts";
import { FaultyDiskIo } from "./faulty_disk_io.ts";
import { InlineDiskIo } from "./inline_disk_io.ts";
import { makeTestTorrent } from "./_test_torrent.ts";
import { makeTestV2Torrent } from "./_test_v2_torrent.ts";

const BLOCK = 16 * 1024;

Deno.test("FaultyDiskIo diskFullAfterBytes rejects with ENOSPC naming the file, until the disk is freed", async () => {
  // Files of 1.5 and 2.5 pieces: piece 1 starts in file 0 and ends in file 1.
  const t = await makeTestTorrent([BLOCK * 3, BLOCK * 5], BLOCK * 2);
  const io = new FaultyDiskIo(new InlineDiskIo(), { diskFullAfterBytes: BLOCK * 2.5 });
  try {
    const id = await io.addStorage(t.spec);
    assert.equal((await io.hashAndWrite(id, 0, t.piece(0))).ok, true);
    await assert.rejects(
      () => io.hashAndWrite(id, 1, t.piece(1)),
      (e: unknown) =>
        e instanceof StorageError && e.op === "write" && e.code === "ENOSPC" &&
        e.path === t.spec.files[0].path &&
        e.message === `Cannot write ${t.spec.files[0].path}: ENOSPC (no space left on device)`,
    );
    await assert.rejects(
      () => io.hashAndWrite(id, 2, t.piece(2)),
      (e: unknown) => e instanceof StorageError && e.path === t.spec.files[1].path,
    );
    assert.equal(io.bytesWritten, BLOCK * 2);
    assert.equal(io.pendingBytes, 0);
    io.faults = {};
    assert.equal((await io.hashAndWrite(id, 1, t.piece(1))).ok, true);
    assert.equal(await io.checkPiece(id, 0), true, "verified data survived the full disk");
  } finally {
    await io.close();
    await t.dispose();
  }
});

Deno.test("FaultyDiskIo corruptAfterBlocks makes later pieces fail their hash", async () => {
  const t = await makeTestTorrent([BLOCK * 6], BLOCK * 2);
  const io = new FaultyDiskIo(new InlineDiskIo(), { corruptAfterBlocks: 3 });
  try {
    const id = await io.addStorage(t.spec);
    const results = [];
    for (let p = 0; p < 3; p++) results.push((await io.hashAndWrite(id, p, t.piece(p))).ok);
    assert.deepEqual(results, [true, false, false]);
    assert.equal(io.blocksSeen, 6);
    assert.deepEqual(await Promise.all([0, 1, 2].map((p) => io.checkPiece(id, p))), [true, false, false]);
  } finally {
    await io.close();
    await t.dispose();
  }
});

Deno.test("FaultyDiskIo failReadsOf fails reads and checks that touch the file", async () => {
  const t = await makeTestTorrent([100, 100], 64);
  const io = new FaultyDiskIo(new InlineDiskIo());
  try {
    const id = await io.addStorage(t.spec);
    for (let p = 0; p < 4; p++) await io.hashAndWrite(id, p, t.piece(p));
    io.faults = { failReadsOf: t.spec.files[1].path };
    assert.deepEqual(await io.read(id, 1, 0, 36), t.data.subarray(64, 100), "bytes of file 0 only");
    await assert.rejects(
      () => io.read(id, 1, 30, 10),
      (e: unknown) =>
        e instanceof StorageError && e.op === "read" && e.code === "EIO" && e.path === t.spec.files[1].path,
    );
    assert.equal(await io.checkPiece(id, 0), true);
    assert.equal(await io.verifyPiece(id, 0), "ok");
    await assert.rejects(() => io.checkPiece(id, 3), StorageError);
    await assert.rejects(() => io.verifyPiece(id, 3), StorageError);
  } finally {
    await io.close();
    await t.dispose();
  }
});

Deno.test("FaultyDiskIo slowMs delays jobs and counts them as pending", async () => {
  const t = await makeTestTorrent([64], 64);
  const io = new FaultyDiskIo(new InlineDiskIo(), { slowMs: 5 });
  try {
    const id = await io.addStorage(t.spec);
    const write = io.hashAndWrite(id, 0, t.piece(0));
    assert.equal(io.pendingBytes, 64);
    assert.equal((await write).ok, true);
    assert.equal(io.pendingBytes, 0);
    await io.sync(id);
    assert.deepEqual(await io.read(id, 0, 0, 64), t.data);
  } finally {
    await io.close();
    await t.dispose();
  }
});

Deno.test("FaultyDiskIo passes v2 piece layers and attributes through to the wrapped DiskIo", async () => {
  const t = await makeTestV2Torrent([40_000], 16_384, { withoutLayers: true });
  const io = new FaultyDiskIo(new InlineDiskIo());
  try {
    const id = await io.addStorage({ ...t.spec, files: [{ ...t.spec.files[0], executable: true }] });
    assert.equal((await io.hashAndWrite(id, 0, t.piece(0))).verdict, "unknown");
    await io.setPieceLayer(id, t.spec.files[0].piecesRoot!, t.layers.get(0)!);
    assert.equal(await io.verifyPiece(id, 0), "ok");
    await io.applyAttributes(id, 0);
    assert.equal((await Deno.stat(t.spec.files[0].path)).mode! & 0o777, 0o755);
  } finally {
    await io.close();
    await t.dispose();
  }
});
