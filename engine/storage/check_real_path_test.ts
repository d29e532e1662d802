import { equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { StorageError } from "../errors.ts";
import { checkRealPathInside } from "./check_real_path.ts";

Deno.test("checkRealPathInside() accepts new and existing paths inside the root", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir());
  try {
    await checkRealPathInside(root, join(root, "a", "b", "c.bin"));
    await Deno.mkdir(join(root, "a"));
    await Deno.writeTextFile(join(root, "a", "x"), "x");
    await checkRealPathInside(root, join(root, "a", "x"));
    await Deno.symlink(join(root, "a"), join(root, "inner-link"));
    await checkRealPathInside(root, join(root, "inner-link", "y"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("checkRealPathInside() refuses symlinked files and directories that lead outside", async () => {
  const base = await Deno.realPath(await Deno.makeTempDir());
  const root = join(base, "save");
  const outside = join(base, "outside");
  await Deno.mkdir(root);
  await Deno.mkdir(outside);
  try {
    await Deno.writeTextFile(join(outside, "precious.txt"), "keep me");
    await Deno.symlink(join(outside, "precious.txt"), join(root, "victim.bin"));
    await Deno.symlink(outside, join(root, "dir"));
    await Deno.symlink(join(outside, "not-yet"), join(root, "dangling"));
    for (const path of [join(root, "victim.bin"), join(root, "dir", "new.bin"), join(root, "dangling")]) {
      const error = await rejects(checkRealPathInside(root, path), StorageError).then(() => true);
      ok(error);
    }
    equal(await Deno.readTextFile(join(outside, "precious.txt")), "keep me");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
