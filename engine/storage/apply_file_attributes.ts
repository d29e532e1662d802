/**
 * BEP 47 file attributes on disk: executable files get mode 0o755, symbolic links are created inside the save
 * directory, hidden files are left as they are (Linux has no hidden flag; a leading dot in the name is the only
 * convention, and the name is the torrent's).
 *
 * @module
 */

import * as fs from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { StorageError } from "../errors.ts";
import type { StorageFile, StorageSpec } from "./disk_io.ts";
import { checkRealPathInside } from "./check_real_path.ts";
import { openNoFollow } from "./_open_no_follow.ts";
import { toStorageError } from "./_storage_error.ts";

/**
 * Applies the BEP 47 attributes of `spec.files[fileIndex]`. Idempotent: run it when a file completes (executable)
 * and at any time for a link, which holds no data.
 *
 * A link is made only when the link and its target are inside `spec.saveDir` as text and through every link
 * already on disk, and the link does not stand where another file of the storage or one of its directories goes
 * (so no data write ever passes through it). Its target is written relative to the link's real directory, so the
 * download directory can move. An existing link at the path is replaced, an empty regular file too (a zero-length
 * file made before its attributes were known); anything else there is refused.
 *
 * @param spec The storage; `saveDir` is needed for links.
 * @param fileIndex Index into `spec.files`.
 * @throws {RangeError} When `fileIndex` is out of range, or the file is a link and `saveDir` is missing.
 * @throws {StorageError} Code `ENOENT` when an executable file is missing, `ELOOP` when it is a link, `ESCAPE`
 *   when a link or its target leads outside the save directory or over another file's path, `EEXIST` when a
 *   non-empty file or a directory stands where a link goes; else the errno of the failing call.
 *
 * @example Make a file executable
 * ```ts
 * import { applyFileAttributes } from "./apply_file_attributes.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/run.sh`, "#!/bin/sh\n");
 * await applyFileAttributes({
 *   files: [{ path: `${dir}/run.sh`, length: 10, offset: 0, executable: true }],
 *   pieceLength: 16384,
 *   totalLength: 10,
 *   pieceHashes: new Uint8Array(20),
 * }, 0);
 * if (((await Deno.stat(`${dir}/run.sh`)).mode! & 0o111) === 0) throw new Error("it is executable");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function applyFileAttributes(spec: StorageSpec, fileIndex: number): Promise<void> {
  const file = spec.files[fileIndex];
  if (!Number.isInteger(fileIndex) || file === undefined) {
    throw new RangeError(
      `Cannot apply attributes: file index ${fileIndex} is outside 0..${spec.files.length - 1}`,
    );
  }
  if (file.padding === true) return;
  if (file.symlinkTarget !== undefined) return await makeLink(spec, file);
  if (file.executable === true) makeExecutable(file.path);
}

/** chmod through a descriptor opened without following a link, so a link planted at the path is not changed. */
function makeExecutable(path: string): void {
  let fd: number;
  try {
    fd = openNoFollow(path, fs.constants.O_RDONLY);
  } catch (error) {
    throw toStorageError("chmod", path, error);
  }
  try {
    fs.fchmodSync(fd, 0o755);
  } catch (error) {
    throw toStorageError("chmod", path, error);
  } finally {
    fs.closeSync(fd);
  }
}

async function makeLink(spec: StorageSpec, file: StorageFile): Promise<void> {
  const link = file.path;
  const target = file.symlinkTarget!;
  if (spec.saveDir === undefined) {
    throw new RangeError(`Cannot create symbolic link ${link}: the storage has no save directory`);
  }
  const base = resolve(spec.saveDir);
  for (const path of [link, target]) {
    if (!strictlyInside(base, resolve(path))) throw escape(link, `${path} is not inside ${base}`);
  }
  if (resolve(target) === resolve(link)) throw escape(link, "it would point at itself");
  for (const other of spec.files) {
    if (other !== file && (other.path === link || strictlyInside(link, other.path))) {
      throw escape(link, `another file of the torrent goes at or under it (${other.path})`);
    }
  }
  const root = await realPath(base);
  // The target as it will be reached from the real root, so a relative link resolves the same way.
  const realTarget = resolve(root, relative(base, resolve(target)));
  await checkRealPathInside(root, realTarget);
  if (await replaceable(link, realTarget)) return;
  await checkRealPathInside(root, link);
  const parent = dirname(link);
  try {
    await Deno.mkdir(parent, { recursive: true });
  } catch (error) {
    throw toStorageError("mkdir", parent, error);
  }
  const realParent = await realPath(parent);
  if (!strictlyInside(root, realParent) && realParent !== root) {
    throw escape(link, `its directory leads to ${realParent}`);
  }
  try {
    await Deno.symlink(relative(realParent, realTarget) || ".", link);
  } catch (error) {
    throw toStorageError("symlink", link, error);
  }
}

/**
 * Clears the way for the link: `true` when the right link is already there; removes another link or an empty
 * regular file; refuses anything else.
 */
async function replaceable(link: string, realTarget: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(link);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw toStorageError("lstat", link, error);
  }
  if (info.isSymlink) {
    const current = await Deno.readLink(link);
    const realParent = await realPath(dirname(link));
    if (resolve(realParent, current) === realTarget) return true;
  } else if (!info.isFile || info.size > 0) {
    throw new StorageError(
      "symlink",
      link,
      "EEXIST",
      `Cannot create symbolic link ${link}: a ${info.isFile ? "non-empty file" : "directory"} is there`,
    );
  }
  try {
    await Deno.remove(link);
  } catch (error) {
    throw toStorageError("unlink", link, error);
  }
  return false;
}

async function realPath(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch (error) {
    throw toStorageError("realpath", path, error);
  }
}

function strictlyInside(root: string, path: string): boolean {
  const prefix = root.endsWith(sep) ? root : root + sep;
  return path.startsWith(prefix) && path.length > prefix.length;
}

function escape(link: string, why: string): StorageError {
  return new StorageError("symlink", link, "ESCAPE", `Cannot create symbolic link ${link}: ${why}`);
}
