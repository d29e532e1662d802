/**
 * Opening a file without following a symbolic link at its own path, even where `O_NOFOLLOW` is not honoured.
 *
 * @module
 */

import * as fs from "node:fs";

const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/**
 * `fs.openSync(path, flags | O_NOFOLLOW, mode)`, then a check that the descriptor is the file at `path` itself:
 * Deno, when run with path-scoped `--allow-read`/`--allow-write` rather than `-A`, resolves links to check its
 * permissions and opens the resolved path, so `O_NOFOLLOW` alone does not stop it (measured with Deno 2.9.6).
 * Comparing `lstat(path)` with `fstat(fd)` catches it before any byte is read or written.
 *
 * @param path The file.
 * @param flags `fs.constants` open flags.
 * @param mode Mode of a created file.
 * @returns The descriptor.
 * @throws The `node:fs` error of the open (with `code`), or an error with code `ELOOP` when `path` is a link.
 */
export function openNoFollow(path: string, flags: number, mode?: number): number {
  let fd: number;
  try {
    fd = fs.openSync(path, flags | O_NOFOLLOW, mode);
  } catch (error) {
    // A dangling link fails as ENOENT where the path was resolved first.
    if ((error as { code?: string }).code === "ENOENT" && isLink(path)) throw loop(path);
    throw error;
  }
  let link: boolean;
  try {
    const entry = fs.lstatSync(path);
    const opened = fs.fstatSync(fd);
    link = entry.isSymbolicLink() || entry.ino !== opened.ino || entry.dev !== opened.dev;
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  if (link) {
    fs.closeSync(fd);
    throw loop(path);
  }
  return fd;
}

function isLink(path: string): boolean {
  try {
    return fs.lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function loop(path: string): Error {
  return Object.assign(new Error(`ELOOP: it is a symbolic link, which is never followed, open '${path}'`), {
    code: "ELOOP",
  });
}
