import assert from "node:assert/strict";
import * as fs from "node:fs";
import { StorageError } from "../errors.ts";
import { applyFileAttributes } from "./apply_file_attributes.ts";
import type { StorageFile, StorageSpec } from "./disk_io.ts";

/** A spec of `files` (lengths summed into offsets) under the real temp dir `dir`. */
function specOf(
  dir: string,
  files: Omit<StorageFile, "offset">[],
  saveDir: string | undefined = dir,
): StorageSpec {
  let offset = 0;
  const laid = files.map((file) => {
    const out = { ...file, offset };
    offset += file.length;
    return out;
  });
  return {
    files: laid,
    pieceLength: 16_384,
    totalLength: offset,
    pieceHashes: new Uint8Array(20 * Math.ceil(offset / 16_384)),
    ...(saveDir === undefined ? {} : { saveDir }),
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "ccbt_attr_" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function code(expected: string): (error: unknown) => boolean {
  return (error) => error instanceof StorageError && error.code === expected;
}

Deno.test("applyFileAttributes() sets the x bits of an executable file and nothing else", async () => {
  await withDir(async (dir) => {
    fs.mkdirSync(`${dir}/t`);
    fs.writeFileSync(`${dir}/t/run`, "x", { mode: 0o644 });
    fs.writeFileSync(`${dir}/t/plain`, "x", { mode: 0o600 });
    fs.writeFileSync(`${dir}/t/.hidden`, "x", { mode: 0o600 });
    const spec = specOf(dir, [
      { path: `${dir}/t/run`, length: 1, executable: true },
      { path: `${dir}/t/plain`, length: 1 },
      { path: `${dir}/t/.hidden`, length: 1, hidden: true },
      { path: `${dir}/t/missing`, length: 1, executable: true },
      { path: `${dir}/t/.pad/3`, length: 3, padding: true, executable: true },
    ]);
    for (const i of [0, 0, 1, 2, 4]) await applyFileAttributes(spec, i);
    assert.equal(fs.statSync(`${dir}/t/run`).mode & 0o777, 0o755);
    assert.equal(fs.statSync(`${dir}/t/plain`).mode & 0o777, 0o600);
    assert.equal(fs.statSync(`${dir}/t/.hidden`).mode & 0o777, 0o600, "hidden changes nothing on Linux");
    assert.equal(fs.existsSync(`${dir}/t/.pad`), false);
    await assert.rejects(() => applyFileAttributes(spec, 3), code("ENOENT"));
    await assert.rejects(() => applyFileAttributes(spec, 5), RangeError);
  });
});

Deno.test("applyFileAttributes() does not chmod through a link planted at an executable's path", async () => {
  await withDir(async (dir) => {
    fs.writeFileSync(`${dir}/victim`, "x", { mode: 0o600 });
    fs.mkdirSync(`${dir}/t`);
    fs.symlinkSync(`${dir}/victim`, `${dir}/t/run`);
    const spec = specOf(dir, [{ path: `${dir}/t/run`, length: 1, executable: true }]);
    await assert.rejects(() => applyFileAttributes(spec, 0), code("ELOOP"));
    assert.equal(fs.statSync(`${dir}/victim`).mode & 0o777, 0o600);
  });
});

Deno.test("applyFileAttributes() creates a relative link inside the save directory, idempotently", async () => {
  await withDir(async (dir) => {
    const spec = specOf(dir, [
      { path: `${dir}/t/a/data.bin`, length: 4 },
      { path: `${dir}/t/b/c/link`, length: 0, symlinkTarget: `${dir}/t/a/data.bin` },
      { path: `${dir}/t/dirlink`, length: 0, symlinkTarget: `${dir}/t/a` },
    ]);
    await applyFileAttributes(spec, 1);
    assert.equal(
      fs.readlinkSync(`${dir}/t/b/c/link`),
      "../../a/data.bin",
      "dangling until the target is written",
    );
    fs.mkdirSync(`${dir}/t/a`);
    fs.writeFileSync(`${dir}/t/a/data.bin`, "data");
    assert.equal(fs.readFileSync(`${dir}/t/b/c/link`, "utf8"), "data");
    await applyFileAttributes(spec, 1);
    await applyFileAttributes(spec, 2);
    assert.equal(fs.readFileSync(`${dir}/t/dirlink/data.bin`, "utf8"), "data");
    // A zero-length file made for the entry earlier, or a stale link, gives way to the link.
    fs.unlinkSync(`${dir}/t/b/c/link`);
    fs.writeFileSync(`${dir}/t/b/c/link`, "");
    await applyFileAttributes(spec, 1);
    assert.ok(fs.lstatSync(`${dir}/t/b/c/link`).isSymbolicLink());
    fs.unlinkSync(`${dir}/t/dirlink`);
    fs.symlinkSync(`${dir}/t/b`, `${dir}/t/dirlink`);
    await applyFileAttributes(spec, 2);
    assert.equal(fs.readlinkSync(`${dir}/t/dirlink`), "a");
  });
});

Deno.test("applyFileAttributes() refuses links that lead outside the save directory", async () => {
  await withDir(async (dir) => {
    const save = `${dir}/save`;
    fs.mkdirSync(`${save}/t`, { recursive: true });
    fs.mkdirSync(`${dir}/outside`);
    fs.symlinkSync(`${dir}/outside`, `${save}/t/escape`);
    const spec = specOf(save, [
      { path: `${save}/t/l1`, length: 0, symlinkTarget: `${dir}/outside/x` },
      { path: `${save}/t/l2`, length: 0, symlinkTarget: `${save}/t/escape/x` },
      { path: `${save}/t/escape/l3`, length: 0, symlinkTarget: `${save}/t/l1` },
      { path: `${save}/t/d`, length: 0, symlinkTarget: `${save}/t/other` },
      { path: `${save}/t/d/file`, length: 3 },
      { path: `${save}/t/full`, length: 0, symlinkTarget: `${save}/t/other` },
      { path: `${save}/t/self`, length: 0, symlinkTarget: `${save}/t/self` },
    ]);
    await assert.rejects(() => applyFileAttributes(spec, 0), code("ESCAPE"), "target outside as text");
    await assert.rejects(() => applyFileAttributes(spec, 1), code("ESCAPE"), "target outside through a link");
    await assert.rejects(() => applyFileAttributes(spec, 2), code("ESCAPE"), "link outside through a link");
    await assert.rejects(
      () => applyFileAttributes(spec, 3),
      code("ESCAPE"),
      "a link over another file's directory",
    );
    fs.writeFileSync(`${save}/t/full`, "data");
    await assert.rejects(() => applyFileAttributes(spec, 5), code("EEXIST"), "a non-empty file is kept");
    await assert.rejects(() => applyFileAttributes(spec, 6), code("ESCAPE"));
    assert.deepEqual(fs.readdirSync(`${dir}/outside`), [], "nothing created outside");
    assert.deepEqual(fs.readdirSync(`${save}/t`).sort(), ["escape", "full"]);
    await assert.rejects(() => applyFileAttributes({ ...spec, saveDir: undefined }, 3), RangeError);
  });
});
