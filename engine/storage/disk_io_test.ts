/**
 * The `DiskIo` contract, run against `WorkerDiskIo` and `InlineDiskIo` with both hash backends.
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { StorageError } from "../errors.ts";
import type { DiskIo, HashBackend } from "./disk_io.ts";
import { InlineDiskIo } from "./inline_disk_io.ts";
import { WorkerDiskIo } from "./worker_disk_io.ts";
import { isRoot, makeTestTorrent } from "./_test_torrent.ts";

const IMPLEMENTATIONS: { name: string; make: (hashBackend: HashBackend) => DiskIo }[] = [
  { name: "WorkerDiskIo", make: (hashBackend) => new WorkerDiskIo({ workers: 2, hashBackend }) },
  { name: "InlineDiskIo", make: (hashBackend) => new InlineDiskIo({ hashBackend }) },
];

for (const { name, make } of IMPLEMENTATIONS) {
  for (const backend of ["native", "wasm"] as HashBackend[]) {
    const label = `${name} (${backend})`;

    Deno.test(`${label}.hashAndWrite() writes good pieces, refuses bad ones, and read() gets them back`, async () => {
      // Piece 1 of 64 bytes spans files 1, 2 and 3; the last piece is short.
      const t = await makeTestTorrent([70, 20, 0, 30, 11], 64);
      const io = make(backend);
      try {
        const id = await io.addStorage(t.spec);
        const bad = new Uint8Array(t.piece(1));
        bad[63] ^= 0x80;
        const refused = await io.hashAndWrite(id, 1, bad.buffer);
        assert.equal(refused.ok, false);
        assert.equal(fs.existsSync(t.spec.files[1].path), false, "a bad piece is not written");
        for (let p = 0; p < 3; p++) {
          const result = await io.hashAndWrite(id, p, t.piece(p));
          assert.equal(result.ok, true, `piece ${p}`);
          assert.equal(result.buffer?.byteLength, p < 2 ? 64 : 3, "the buffer comes back whole");
        }
        assert.equal(io.pendingBytes, 0);
        await io.sync(id);
        assert.deepEqual(await io.read(id, 1, 0, 64), t.data.subarray(64, 128));
        assert.deepEqual(await io.read(id, 1, 5, 16), t.data.subarray(69, 85));
        assert.deepEqual(await io.read(id, 2, 1, 2), t.data.subarray(129, 131));
        assert.equal(fs.statSync(t.spec.files[2].path).size, 0, "zero-length file created");
        const onDisk = t.spec.files.map((f) => fs.readFileSync(f.path));
        assert.deepEqual(onDisk.map((b) => b.length), [70, 20, 0, 30, 11]);
        await assert.rejects(() => io.read(id, 2, 2, 2), RangeError);
        await assert.rejects(() => io.hashAndWrite(id, 0, new ArrayBuffer(10)), RangeError);
        await assert.rejects(() => io.hashAndWrite(id + 100, 0, t.piece(0)), RangeError);
      } finally {
        await io.close();
        await t.dispose();
      }
    });

    Deno.test(`${label}.checkPiece() is true for good data, false for changed, missing or short data`, async () => {
      const t = await makeTestTorrent([40, 40, 40], 32);
      const io = make(backend);
      try {
        const id = await io.addStorage(t.spec);
        assert.deepEqual(await Promise.all([0, 1, 2, 3].map((p) => io.checkPiece(id, p))), [
          false,
          false,
          false,
          false,
        ]);
        await Promise.all([0, 1, 2, 3].map((p) => io.hashAndWrite(id, p, t.piece(p))));
        assert.deepEqual(await Promise.all([0, 1, 2, 3].map((p) => io.checkPiece(id, p))), [
          true,
          true,
          true,
          true,
        ]);
        const fd = fs.openSync(t.spec.files[0].path, "r+");
        fs.writeSync(fd, new Uint8Array([0xee]), 0, 1, 33);
        fs.closeSync(fd);
        fs.truncateSync(t.spec.files[2].path, 39);
        assert.deepEqual(await Promise.all([0, 1, 2, 3].map((p) => io.checkPiece(id, p))), [
          true,
          false,
          true,
          false,
        ]);
        fs.unlinkSync(t.spec.files[1].path);
        assert.deepEqual(await Promise.all([0, 1, 2, 3].map((p) => io.checkPiece(id, p))), [
          true,
          false,
          false,
          false,
        ]);
        await assert.rejects(
          () => io.read(id, 2, 0, 16),
          (e: unknown) => e instanceof StorageError && e.code === "ENOENT" && e.path === t.spec.files[1].path,
        );
      } finally {
        await io.close();
        await t.dispose();
      }
    });
  }

  Deno.test(`${name}.hashAndWrite() detaches the caller's buffer and hands it back`, async () => {
    const t = await makeTestTorrent([64], 64);
    const io = make("native");
    try {
      const id = await io.addStorage(t.spec);
      const buffer = t.piece(0);
      const pending = io.hashAndWrite(id, 0, buffer);
      assert.equal(buffer.byteLength, 0, "detached as soon as it is handed over");
      const { ok, buffer: back } = await pending;
      assert.equal(ok, true);
      assert.ok(back instanceof ArrayBuffer);
      assert.deepEqual(new Uint8Array(back), t.data);
    } finally {
      await io.close();
      await t.dispose();
    }
  });

  Deno.test(`${name}.hashAndWrite() rejects an unwritable file with a StorageError and carries on`, async () => {
    const t = await makeTestTorrent([16, 16], 16);
    const io = make("native");
    const sub = `${t.dir}/t/sub`;
    try {
      const id = await io.addStorage(t.spec);
      // Root ignores permission bits, so there a regular file in place of the directory makes the fault.
      if (isRoot()) {
        fs.rmdirSync(sub);
        fs.writeFileSync(sub, "");
      } else {
        fs.chmodSync(sub, 0o555);
      }
      await assert.rejects(
        () => io.hashAndWrite(id, 1, t.piece(1)),
        (e: unknown) =>
          e instanceof StorageError && e.op === "open" && e.path === t.spec.files[1].path &&
          ["EACCES", "ENOTDIR"].includes(e.code) &&
          e.message.startsWith(`Cannot open ${t.spec.files[1].path}: E`),
      );
      assert.equal(io.pendingBytes, 0);
      assert.equal((await io.hashAndWrite(id, 0, t.piece(0))).ok, true, "other files still work");
      assert.equal(await io.checkPiece(id, 0), true);
    } finally {
      if (!isRoot()) fs.chmodSync(sub, 0o755);
      await io.close();
      await t.dispose();
    }
  });

  Deno.test(`${name}.removeStorage() forgets the storage`, async () => {
    const t = await makeTestTorrent([16], 16);
    const io = make("native");
    try {
      const id = await io.addStorage(t.spec);
      const other = await io.addStorage(t.spec);
      assert.notEqual(id, other);
      await io.removeStorage(id);
      await assert.rejects(() => io.checkPiece(id, 0), RangeError);
      assert.equal((await io.hashAndWrite(other, 0, t.piece(0))).ok, true);
    } finally {
      await io.close();
      await t.dispose();
    }
  });

  Deno.test(`${name}.addStorage() rejects with a StorageError when a directory cannot be made`, async () => {
    const t = await makeTestTorrent([16, 16], 16);
    const io = make("native");
    try {
      fs.writeFileSync(`${t.dir}/t`, "");
      await assert.rejects(
        () => io.addStorage(t.spec),
        (e: unknown) => e instanceof StorageError && e.op === "mkdir" && e.path.startsWith(`${t.dir}/t`),
      );
    } finally {
      await io.close();
      await t.dispose();
    }
  });
}
