import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { JobRunner } from "./_job_runner.ts";
import type { StorageSpec } from "../engine/storage/disk_io.ts";

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_runner_" });
  const data = new Uint8Array(48).map((_, i) => i * 7);
  const pieceHashes = new Uint8Array(40);
  pieceHashes.set(createHash("sha1").update(data.subarray(0, 32)).digest(), 0);
  pieceHashes.set(createHash("sha1").update(data.subarray(32)).digest(), 20);
  const spec: StorageSpec = {
    files: [{ path: `${dir}/a/x.bin`, length: 20, offset: 0 }, {
      path: `${dir}/b/y.bin`,
      length: 28,
      offset: 20,
    }],
    pieceLength: 32,
    totalLength: 48,
    pieceHashes,
  };
  return { dir, data, spec, runner: await JobRunner.create("native") };
}

Deno.test("JobRunner.run() answers each job with its typed result", async () => {
  const { dir, data, spec, runner } = await setup();
  try {
    assert.deepEqual(runner.run({ type: "init", id: 1, hashBackend: "native" }).result, {
      type: "done",
      id: 1,
    });
    runner.run({ type: "addStorage", id: 2, storage: 7, spec, prepare: true });
    const buffer = data.slice(0, 32).buffer;
    const written = runner.run({ type: "hashAndWrite", id: 3, storage: 7, piece: 0, buffer });
    assert.deepEqual(written.result, { type: "hashAndWrite", id: 3, verdict: "ok", buffer });
    assert.deepEqual(written.transfer, [buffer], "the piece buffer goes back by transfer");
    const read = runner.run({ type: "read", id: 4, storage: 7, piece: 0, begin: 18, length: 4 });
    assert.equal(read.result.type, "read");
    if (read.result.type === "read") {
      assert.deepEqual(new Uint8Array(read.result.buffer), data.subarray(18, 22));
    }
    assert.deepEqual(read.transfer.length, 1);
    assert.deepEqual(runner.run({ type: "checkPiece", id: 5, storage: 7, piece: 1 }).result, {
      type: "checkPiece",
      id: 5,
      verdict: "missing",
    });
    assert.deepEqual(runner.run({ type: "sync", id: 6, storage: 7 }).result, { type: "done", id: 6 });
    runner.run({ type: "removeStorage", id: 7, storage: 7 });
    assert.deepEqual(runner.run({ type: "close", id: 8 }).result, { type: "done", id: 8 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JobRunner.run() turns failures into error results", async () => {
  const { dir, data, spec, runner } = await setup();
  try {
    const missing = runner.run({ type: "sync", id: 1, storage: 99 }).result;
    assert.equal(missing.type, "error");
    if (missing.type === "error") assert.equal(missing.error.name, "RangeError");
    runner.run({ type: "addStorage", id: 2, storage: 1, spec, prepare: false });
    await Deno.writeTextFile(`${dir}/a`, "");
    const failed =
      runner.run({ type: "hashAndWrite", id: 3, storage: 1, piece: 0, buffer: data.slice(0, 32).buffer })
        .result;
    assert.equal(failed.type, "error");
    if (failed.type === "error") {
      assert.equal(failed.error.name, "StorageError");
      assert.equal(failed.error.path, `${dir}/a/x.bin`);
      assert.equal(failed.error.code, "ENOTDIR");
    }
    runner.run({ type: "close", id: 4 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JobRunner.run() hashes a piece of a hash-only storage and answers with its hashes", async () => {
  const { dir, data, spec, runner } = await setup();
  try {
    runner.run({ type: "addStorage", id: 1, storage: 3, spec, prepare: true });
    runner.run({ type: "hashAndWrite", id: 2, storage: 3, piece: 0, buffer: data.slice(0, 32).buffer });
    runner.run({ type: "hashAndWrite", id: 3, storage: 3, piece: 1, buffer: data.slice(32).buffer });
    const hashOnly = { ...spec, pieceHashes: new Uint8Array(0), hashOnly: true };
    runner.run({ type: "addStorage", id: 4, storage: 4, spec: hashOnly, prepare: false });
    const { result, transfer } = runner.run({
      type: "hashPiece",
      id: 5,
      storage: 4,
      piece: 1,
      sha1: true,
      v2: false,
    });
    assert.deepEqual(result, { type: "hashPiece", id: 5, sha1: spec.pieceHashes.subarray(20) });
    assert.deepEqual(transfer, []);
    const refused =
      runner.run({ type: "hashPiece", id: 6, storage: 4, piece: 0, sha1: false, v2: true }).result;
    assert.equal(refused.type === "error" && refused.error.name, "RangeError", "piece 0 spans two files");
    runner.run({ type: "close", id: 7 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
