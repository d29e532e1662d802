import assert from "node:assert/strict";
import * as fs from "node:fs";
import { StorageError } from "../errors.ts";
import { FileHandleCache } from "./file_handle_cache.ts";
import { isRoot } from "./_test_torrent.ts";

async function withDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_fds_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FileHandleCache.openForWrite() creates parents and never truncates", () =>
  withDir((dir) => {
    const cache = new FileHandleCache();
    fs.mkdirSync(`${dir}/a`);
    fs.writeFileSync(`${dir}/a/old.bin`, "hello world");
    const fd = cache.openForWrite(`${dir}/a/old.bin`);
    fs.writeSync(fd, new TextEncoder().encode("J"), 0, 1, 0);
    const created = cache.openForWrite(`${dir}/x/y/new.bin`);
    fs.writeSync(created, new Uint8Array([1, 2]), 0, 2, 4);
    assert.equal(cache.openForWrite(`${dir}/a/old.bin`), fd, "cached descriptor reused");
    cache.closeAll();
    assert.equal(fs.readFileSync(`${dir}/a/old.bin`, "utf8"), "Jello world");
    assert.deepEqual([...fs.readFileSync(`${dir}/x/y/new.bin`)], [0, 0, 0, 0, 1, 2]);
  }));

Deno.test("FileHandleCache keeps at most maxOpen descriptors, closing the least recently used", () =>
  withDir((dir) => {
    const cache = new FileHandleCache({ maxOpen: 2 });
    const a = cache.openForWrite(`${dir}/a`);
    cache.openForWrite(`${dir}/b`);
    cache.openForWrite(`${dir}/a`);
    cache.openForWrite(`${dir}/c`);
    assert.equal(cache.size, 2);
    assert.equal(cache.has(`${dir}/b`), false, "b was the least recently used");
    assert.equal(cache.openForWrite(`${dir}/a`), a, "a was used recently and stays open");
    cache.openForRead(`${dir}/b`);
    assert.deepEqual([cache.has(`${dir}/a`), cache.has(`${dir}/b`), cache.has(`${dir}/c`)], [
      true,
      true,
      false,
    ]);
    cache.closeAll();
    assert.equal(cache.size, 0);
    assert.throws(() => new FileHandleCache({ maxOpen: 0 }), RangeError);
  }));

Deno.test("FileHandleCache.openForRead() never creates and notices deleted files", () =>
  withDir((dir) => {
    const cache = new FileHandleCache();
    assert.equal(cache.openForRead(`${dir}/missing`), undefined);
    assert.equal(cache.openForRead(`${dir}/missing/deeper`), undefined);
    assert.equal(fs.existsSync(`${dir}/missing`), false);
    cache.openForWrite(`${dir}/f`);
    assert.notEqual(cache.openForRead(`${dir}/f`), undefined);
    fs.unlinkSync(`${dir}/f`);
    assert.equal(cache.openForRead(`${dir}/f`), undefined);
    assert.equal(cache.size, 0);
  }));

Deno.test("FileHandleCache.openForWrite() fails with a StorageError naming the file", () =>
  withDir((dir) => {
    const cache = new FileHandleCache();
    fs.writeFileSync(`${dir}/plain`, "");
    assert.throws(
      () => cache.openForWrite(`${dir}/plain/f.bin`),
      (error: unknown) =>
        error instanceof StorageError && error.op === "open" && error.code === "ENOTDIR" &&
        error.path === `${dir}/plain/f.bin` &&
        error.message.startsWith(`Cannot open ${dir}/plain/f.bin: ENOTDIR`),
    );
    fs.mkdirSync(`${dir}/plain2`);
    fs.writeFileSync(`${dir}/plain2/sub`, "");
    assert.throws(
      () => cache.openForWrite(`${dir}/plain2/sub/deeper/f.bin`),
      (error: unknown) => error instanceof StorageError && error.code === "ENOTDIR",
    );
  }));

/** Makes `path` unwritable: chmod for a normal user; for root (CI), the ext4 immutable flag, which binds root too. */
async function makeUnwritable(path: string): Promise<() => Promise<void>> {
  if (!isRoot()) {
    fs.chmodSync(path, 0o444);
    return () => Promise.resolve();
  }
  const chattr = (flag: string) => new Deno.Command("chattr", { args: [flag, path] }).output();
  const { code, stderr } = await chattr("+i");
  if (code !== 0) throw new Error(`chattr +i failed: ${new TextDecoder().decode(stderr)}`);
  return async () => void await chattr("-i");
}

Deno.test("FileHandleCache.openForRead() falls back to read-only for a file it may not write", () =>
  withDir(async (dir) => {
    fs.writeFileSync(`${dir}/ro`, "data");
    const restore = await makeUnwritable(`${dir}/ro`);
    try {
      const cache = new FileHandleCache();
      const fd = cache.openForRead(`${dir}/ro`)!;
      const buf = new Uint8Array(4);
      assert.equal(fs.readSync(fd, buf, 0, 4, 0), 4);
      assert.throws(() => cache.openForWrite(`${dir}/ro`), StorageError);
      cache.closeAll();
    } finally {
      await restore();
    }
  }));

Deno.test("FileHandleCache.openForWrite() and openForRead() never follow a link at the file's path", () =>
  withDir((dir) => {
    const cache = new FileHandleCache();
    fs.writeFileSync(`${dir}/victim`, "precious");
    fs.symlinkSync(`${dir}/victim`, `${dir}/link`);
    fs.symlinkSync(`${dir}/nowhere`, `${dir}/dangling`);
    for (const path of [`${dir}/link`, `${dir}/dangling`]) {
      assert.throws(
        () => cache.openForWrite(path),
        (e: unknown) => e instanceof StorageError && e.code === "ELOOP" && e.op === "open",
      );
      assert.throws(
        () => cache.openForRead(path),
        (e: unknown) => e instanceof StorageError && e.code === "ELOOP",
      );
    }
    assert.equal(fs.readFileSync(`${dir}/victim`, "utf8"), "precious");
    assert.equal(fs.existsSync(`${dir}/nowhere`), false, "a dangling link's target is not created");
    cache.closeAll();
  }));
