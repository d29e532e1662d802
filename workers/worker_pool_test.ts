import assert from "node:assert/strict";
import { WorkerPool } from "./worker_pool.ts";

Deno.test("WorkerPool.broadcast() runs a job on every worker", async () => {
  const pool = new WorkerPool({ workers: 3, hashBackend: "wasm" });
  try {
    assert.equal(pool.size, 3);
    const results = await pool.broadcast((i) => ({
      type: "addStorage",
      storage: 1,
      spec: { files: [], pieceLength: 16, totalLength: 0, pieceHashes: new Uint8Array(0) },
      prepare: i === 0,
    }));
    assert.deepEqual(results.map((r) => r.type), ["done", "done", "done"]);
  } finally {
    await pool.close();
  }
});

Deno.test("WorkerPool.run() rebuilds a worker's error as a typed error", async () => {
  const pool = new WorkerPool({ workers: 1, hashBackend: "native" });
  try {
    await assert.rejects(() => pool.run({ type: "checkPiece", storage: 5, piece: 0 }), RangeError);
    await assert.rejects(
      () => pool.run({ type: "sync", storage: (() => 1) as unknown as number }),
      (e: unknown) => e instanceof DOMException && e.name === "DataCloneError",
    );
    assert.deepEqual((await pool.broadcast(() => ({ type: "removeStorage", storage: 5 }))).length, 1);
  } finally {
    await pool.close();
  }
});

Deno.test("WorkerPool.close() rejects later jobs", async () => {
  const pool = new WorkerPool({ workers: 2, hashBackend: "native" });
  await pool.close();
  await pool.close();
  await assert.rejects(
    () => pool.run({ type: "sync", storage: 1 }),
    /Cannot run sync: the worker pool is closed/,
  );
  await assert.rejects(() => pool.broadcast(() => ({ type: "sync", storage: 1 })), /closed/);
  assert.throws(() => new WorkerPool({ workers: 0, hashBackend: "native" }), RangeError);
});
