/**
 * The final path guard against symbolic links (HOSTILE_INPUTS.md case 21): a file path that is inside the save
 * directory as text can still lead outside it through a symlink already on disk.
 *
 * @module
 */

import { dirname, sep } from "node:path";
import { StorageError } from "../errors.ts";

/**
 * Checks that `path`, resolved through every symbolic link that exists so far, stays inside `root`.
 * The deepest existing part of `path` (the file itself, or its nearest existing parent) is resolved.
 *
 * @param root The save directory, already a real path (no symlinks).
 * @param path Absolute path of a file under `root`.
 * @throws {StorageError} With code `ESCAPE` when the real path leaves `root`.
 */
export async function checkRealPathInside(root: string, path: string): Promise<void> {
  let existing = path;
  while (true) {
    try {
      await Deno.lstat(existing);
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      const parent = dirname(existing);
      if (parent === existing) return;
      existing = parent;
    }
  }
  let real: string;
  try {
    real = await Deno.realPath(existing);
  } catch (error) {
    // A dangling symlink: refuse it, since writing would create its target wherever it points.
    if (error instanceof Deno.errors.NotFound) real = "";
    else throw error;
  }
  if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new StorageError(
      "open",
      path,
      "ESCAPE",
      `Cannot use ${path}: it leads outside the save directory ${root} through a symbolic link`,
    );
  }
}
