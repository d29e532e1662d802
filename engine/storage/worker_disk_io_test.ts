import assert from "node:assert/strict";
import * as fs from "node:fs";
import { StorageError } from "../errors.ts";
import { WorkerDiskIo } from "./worker_disk_io.ts";
import { makeTestTorrent } from "./_test_torrent.ts";

Deno.test("WorkerDiskIo.read() serves the blocks of a piece from one cached worker read", async () => {
  const t = await makeTestTorrent([4096], 1024);
  const io = new WorkerDiskIo({ workers: 2 });
  try {
    const id = await io.addStorage(t.spec);
    for (let p = 0; p < 4; p++) await io.hashAndWrite(id, p, t.piece(p));
    const blocks = await Promise.all(Array.from({ length: 16 }, (_, b) => io.read(id, 1, b * 64, 64)));
    assert.deepEqual(blocks.map((b) => b.length), Array(16).fill(64));
    fs.unlinkSync(t.spec.files[0].path);
    // The file is gone, yet piece 1 still reads: it came from the cache, not from disk.
    assert.deepEqual(await io.read(id, 1, 100, 10), t.data.subarray(1124, 1134));
    await assert.rejects(() => io.read(id, 2, 0, 10), StorageError);
  } finally {
    await io.close();
    await t.dispose();
  }
});

Deno.test("WorkerDiskIo.read() without a cache reads from disk every time", async () => {
  const t = await makeTestTorrent([2048], 1024);
  const io = new WorkerDiskIo({ workers: 1, readCacheBytes: 0 });
  try {
    const id = await io.addStorage(t.spec);
    await io.hashAndWrite(id, 0, t.piece(0));
    assert.deepEqual(await io.read(id, 0, 1000, 24), t.data.subarray(1000, 1024));
    fs.unlinkSync(t.spec.files[0].path);
    await assert.rejects(
      () => io.read(id, 0, 0, 10),
      (e: unknown) => e instanceof StorageError && e.op === "read" && e.code === "ENOENT",
    );
  } finally {
    await io.close();
    await t.dispose();
  }
});

Deno.test("WorkerDiskIo.hashAndWrite() drops a stale cached piece once the piece is written", async () => {
  const t = await makeTestTorrent([1024], 512);
  const io = new WorkerDiskIo({ workers: 2 });
  try {
    const id = await io.addStorage(t.spec);
    await io.hashAndWrite(id, 1, t.piece(1));
    // Piece 0 is a hole in the file: it reads as zeros and lands in the cache.
    assert.deepEqual(await io.read(id, 0, 0, 4), new Uint8Array(4));
    await io.hashAndWrite(id, 0, t.piece(0));
    assert.deepEqual(await io.read(id, 0, 0, 4), t.data.subarray(0, 4));
  } finally {
    await io.close();
    await t.dispose();
  }
});

Deno.test("WorkerDiskIo.pendingBytes counts hashAndWrite bytes in flight", async () => {
  const t = await makeTestTorrent([3000], 1000);
  const io = new WorkerDiskIo({ workers: 2 });
  try {
    const id = await io.addStorage(t.spec);
    const jobs = [0, 1, 2].map((p) => io.hashAndWrite(id, p, t.piece(p)));
    assert.equal(io.pendingBytes, 3000);
    const results = await Promise.all(jobs);
    assert.ok(results.every((r) => r.ok));
    assert.equal(io.pendingBytes, 0);
  } finally {
    await io.close();
    await t.dispose();
  }
});

Deno.test("WorkerDiskIo.checkPiece() rechecks many pieces in parallel across workers", async () => {
  const t = await makeTestTorrent([5000, 3000, 2000], 256);
  const io = new WorkerDiskIo({ workers: 3 });
  try {
    const id = await io.addStorage(t.spec);
    const count = Math.ceil(10000 / 256);
    const even = Array.from({ length: count }, (_, p) => p).filter((p) => p % 2 === 0);
    await Promise.all(even.map((p) => io.hashAndWrite(id, p, t.piece(p))));
    await io.sync(id);
    const checks = await Promise.all(Array.from({ length: count }, (_, p) => io.checkPiece(id, p)));
    assert.deepEqual(checks, Array.from({ length: count }, (_, p) => p % 2 === 0));
  } finally {
    await io.close();
    await t.dispose();
  }
});

Deno.test("WorkerDiskIo.close() rejects later jobs and is idempotent", async () => {
  const t = await makeTestTorrent([16], 16);
  const io = new WorkerDiskIo({ workers: 1 });
  try {
    const id = await io.addStorage(t.spec);
    const write = io.hashAndWrite(id, 0, t.piece(0));
    await io.close();
    assert.equal((await write).ok, true, "queued jobs finish before the workers stop");
    await assert.rejects(() => io.addStorage(t.spec), /closed/);
    await io.close();
  } finally {
    await t.dispose();
  }
});

Deno.test("WorkerDiskIo lets the process exit once closed", async () => {
  const t = await makeTestTorrent([64], 64);
  try {
    const script = `${t.dir}/exit.ts`;
    await Deno.writeTextFile(
      `${t.dir}/spec.json`,
      JSON.stringify({ ...t.spec, pieceHashes: [...t.spec.pieceHashes] }),
    );
    await Deno.writeFile(`${t.dir}/piece.bin`, t.data);
    await Deno.writeTextFile(
      script,
      `import { WorkerDiskIo } from ${JSON.stringify(new URL("./worker_disk_io.ts", import.meta.url).href)};
const spec = JSON.parse(await Deno.readTextFile(${JSON.stringify(`${t.dir}/spec.json`)}));
spec.pieceHashes = new Uint8Array(spec.pieceHashes);
const io = new WorkerDiskIo({ workers: 2, hashBackend: "wasm" });
const id = await io.addStorage(spec);
const piece = await Deno.readFile(${JSON.stringify(`${t.dir}/piece.bin`)});
const { ok } = await io.hashAndWrite(id, 0, piece.buffer);
await io.close();
console.log(ok ? "written" : "refused");
`,
    );
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "--config", config, script],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Guards against a hang only; nothing is timed.
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const { code, stdout, stderr } = await child.output();
    clearTimeout(guard);
    assert.equal(new TextDecoder().decode(stderr), "");
    assert.equal(new TextDecoder().decode(stdout).trim(), "written");
    assert.equal(code, 0, "the process exited by itself: no worker kept it alive");
  } finally {
    await t.dispose();
  }
});
