import assert from "node:assert/strict";
import * as fs from "node:fs";
import { StorageError } from "../errors.ts";
import { toStorageError } from "./_storage_error.ts";

Deno.test("toStorageError() names the operation, the file and the errno", () => {
  let caught: unknown;
  try {
    fs.openSync("/nonexistent-ccbt-dir/x", fs.constants.O_RDONLY);
  } catch (error) {
    caught = error;
  }
  const error = toStorageError("open", "/nonexistent-ccbt-dir/x", caught);
  assert.ok(error instanceof StorageError);
  assert.equal(error.op, "open");
  assert.equal(error.path, "/nonexistent-ccbt-dir/x");
  assert.equal(error.code, "ENOENT");
  assert.equal(error.message, "Cannot open /nonexistent-ccbt-dir/x: ENOENT (no such file or directory)");
  assert.equal(error.cause, caught);
});

Deno.test("toStorageError() formats node-style ENOSPC and code-less errors", () => {
  const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  assert.equal(
    toStorageError("write", "/x/y", enospc).message,
    "Cannot write /x/y: ENOSPC (no space left on device)",
  );
  const odd = Object.assign(new Error("something odd"), { code: "EWEIRD" });
  assert.equal(toStorageError("read", "/x", odd).message, "Cannot read /x: EWEIRD (something odd)");
  const plain = toStorageError("read", "/x", "boom");
  assert.equal(plain.code, "");
  assert.equal(plain.message, "Cannot read /x: boom");
});

Deno.test("toStorageError() passes a StorageError through", () => {
  const original = new StorageError("sync", "/x", "EIO", "Cannot sync /x: EIO (input/output error)");
  assert.equal(toStorageError("write", "/y", original), original);
});
