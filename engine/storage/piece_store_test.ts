import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import { StorageError } from "../errors.ts";
import { FileHandleCache } from "./file_handle_cache.ts";
import { createHasher } from "./hasher.ts";
import { PieceStore } from "./piece_store.ts";
import { makeTestTorrent } from "./_test_torrent.ts";

const hasher = await createHasher("native");

Deno.test("PieceStore.write() spreads pieces over files and read() gets them back", async () => {
  const t = await makeTestTorrent([100, 0, 7, 300, 0], 64);
  try {
    const store = new PieceStore(t.spec, { fds: new FileHandleCache({ maxOpen: 1 }) });
    store.prepare();
    for (let p = store.layout.pieceCount - 1; p >= 0; p--) store.write(p, new Uint8Array(t.piece(p)));
    store.sync();
    store.close();
    const files = t.spec.files.map((f) => fs.readFileSync(f.path));
    assert.deepEqual(files.map((f) => f.length), [100, 0, 7, 300, 0]);
    assert.deepEqual(new Uint8Array(Buffer.concat(files)), t.data);
    const block = new Uint8Array(20);
    store.read(1, block, 30);
    assert.deepEqual(block, t.data.subarray(94, 114));
  } finally {
    await t.dispose();
  }
});

Deno.test("PieceStore.hashAndWrite() writes a good piece and refuses a bad one", async () => {
  const t = await makeTestTorrent([50, 50], 32);
  try {
    const store = new PieceStore(t.spec);
    const bad = new Uint8Array(t.piece(1));
    bad[5] ^= 1;
    assert.deepEqual(store.hashAndWrite(1, bad, hasher), { verdict: "failed" });
    assert.equal(fs.existsSync(t.spec.files[0].path), false, "nothing written for a bad piece");
    assert.deepEqual(store.hashAndWrite(1, new Uint8Array(t.piece(1)), hasher), { verdict: "ok" });
    assert.equal(store.check(1, hasher), "ok");
    assert.throws(() => store.hashAndWrite(3, new Uint8Array(5), hasher), RangeError);
    store.close();
  } finally {
    await t.dispose();
  }
});

Deno.test("PieceStore.check() tells a missing file, a short file and changed data apart", async () => {
  const t = await makeTestTorrent([40, 40], 32);
  try {
    const store = new PieceStore(t.spec);
    assert.equal(store.check(0, hasher), "missing", "nothing on disk");
    assert.equal(fs.existsSync(t.spec.files[0].path), false, "check never creates files");
    for (let p = 0; p < 3; p++) store.write(p, new Uint8Array(t.piece(p)));
    assert.deepEqual([0, 1, 2].map((p) => store.check(p, hasher)), ["ok", "ok", "ok"]);
    fs.truncateSync(t.spec.files[1].path, 30);
    assert.deepEqual([0, 1, 2].map((p) => store.check(p, hasher)), ["ok", "ok", "missing"]);
    const fd = fs.openSync(t.spec.files[0].path, "r+");
    fs.writeSync(fd, new Uint8Array([t.data[3] ^ 1]), 0, 1, 3);
    fs.closeSync(fd);
    assert.deepEqual([0, 1, 2].map((p) => store.check(p, hasher)), ["failed", "ok", "missing"]);
    fs.unlinkSync(t.spec.files[0].path);
    assert.deepEqual([0, 1, 2].map((p) => store.check(p, hasher)), ["missing", "missing", "missing"]);
    store.close();
  } finally {
    await t.dispose();
  }
});

Deno.test("PieceStore.check() does not truncate a larger pre-existing file", async () => {
  const t = await makeTestTorrent([64], 32);
  try {
    fs.mkdirSync(`${t.dir}/t`, { recursive: true });
    fs.writeFileSync(t.spec.files[0].path, Buffer.concat([t.data, new Uint8Array(10)]));
    const store = new PieceStore(t.spec);
    assert.equal(store.check(0, hasher), "ok");
    store.write(1, new Uint8Array(t.piece(1)));
    store.close();
    assert.equal(fs.statSync(t.spec.files[0].path).size, 74);
  } finally {
    await t.dispose();
  }
});

Deno.test("PieceStore.read() reports missing and short files as StorageError", async () => {
  const t = await makeTestTorrent([40, 40], 32);
  try {
    const store = new PieceStore(t.spec);
    const dest = new Uint8Array(32);
    assert.throws(
      () => store.read(0, dest),
      (e: unknown) => e instanceof StorageError && e.code === "ENOENT" && e.path === t.spec.files[0].path,
    );
    store.write(0, new Uint8Array(t.piece(0)));
    store.write(1, new Uint8Array(t.piece(1)));
    fs.truncateSync(t.spec.files[1].path, 10);
    assert.throws(
      () => store.read(1, dest),
      (e: unknown) =>
        e instanceof StorageError && e.op === "read" && e.code === "ENODATA" &&
        e.path === t.spec.files[1].path,
    );
    store.close();
  } finally {
    await t.dispose();
  }
});

Deno.test("PieceStore.prepare() makes directories and zero-length files, keeping existing data", async () => {
  const t = await makeTestTorrent([0, 10, 0], 16);
  try {
    fs.mkdirSync(`${t.dir}/t`, { recursive: true });
    fs.writeFileSync(t.spec.files[2].path, "keep");
    const store = new PieceStore(t.spec);
    store.prepare();
    assert.equal(fs.statSync(t.spec.files[0].path).size, 0);
    assert.ok(fs.statSync(`${t.dir}/t/sub`).isDirectory());
    assert.equal(fs.existsSync(t.spec.files[1].path), false, "non-empty files wait for their first write");
    assert.equal(fs.readFileSync(t.spec.files[2].path, "utf8"), "keep");
  } finally {
    await t.dispose();
  }
});

Deno.test("PieceStore.write() fails with a StorageError naming the file when its parent is a file", async () => {
  const t = await makeTestTorrent([10, 10], 16);
  try {
    fs.mkdirSync(`${t.dir}/t`, { recursive: true });
    fs.writeFileSync(`${t.dir}/t/sub`, "a file where a directory should be");
    const store = new PieceStore(t.spec);
    assert.throws(
      () => store.write(0, new Uint8Array(t.piece(0))),
      (e: unknown) => e instanceof StorageError && e.code === "ENOTDIR" && e.path === t.spec.files[1].path,
    );
    store.close();
  } finally {
    await t.dispose();
  }
});

Deno.test("PieceStore.sync() fails when a written file was deleted before it was flushed", async () => {
  const t = await makeTestTorrent([32], 32);
  try {
    const store = new PieceStore(t.spec);
    store.write(0, new Uint8Array(t.piece(0)));
    store.sync();
    store.write(0, new Uint8Array(t.piece(0)));
    fs.unlinkSync(t.spec.files[0].path);
    assert.throws(
      () => store.sync(),
      (e: unknown) => e instanceof StorageError && e.op === "sync" && e.code === "ENOENT",
    );
    store.close();
  } finally {
    await t.dispose();
  }
});
