/**
 * BEP 47 file attributes (`attr`: `p` padding, `x` executable, `h` hidden, `l` symbolic link) and symbolic link
 * targets (`symlink path`), shared by v1 file lists and the v2 file tree.
 *
 * @module
 */

import type { BencodeDict, BencodeValue } from "../bencode/mod.ts";
import { MAX_PATH_DEPTH } from "./limits.ts";
import { resolveInside } from "./resolve_inside.ts";
import { sanitizeOrEmpty } from "./_sanitize.ts";
import { lenientText } from "./_text.ts";

/** The BEP 47 flags of one file. */
export interface FileAttributes {
  padding: boolean;
  executable: boolean;
  hidden: boolean;
  symlink: boolean;
}

const NONE: FileAttributes = Object.freeze({
  padding: false,
  executable: false,
  hidden: false,
  symlink: false,
});

/** Reads an `attr` byte string; anything else (missing, not a string) means no flags. Unknown letters are ignored. */
export function parseAttr(value: BencodeValue | undefined): FileAttributes {
  if (!(value instanceof Uint8Array) || value.length === 0) return NONE;
  return {
    padding: value.includes(0x70), // p
    executable: value.includes(0x78), // x
    hidden: value.includes(0x68), // h
    symlink: value.includes(0x6c), // l
  };
}

/** One sanitised path component: never empty, `.` or `..` (those become `_`). */
export function component(text: string): string {
  const s = sanitizeOrEmpty(text);
  return s === "" ? "_" : s;
}

/**
 * The target of a BEP 47 symbolic link: `symlink path` components relative to the torrent's root directory, each
 * sanitised like a file path, prefixed with `prefix` (the torrent's directory name for a multi-file torrent) so
 * it joins onto the save directory like `TorrentFile.path`. `undefined` when the list is missing, empty, too deep,
 * malformed, or would leave the torrent's directory: the file is then an ordinary (empty) file, never a link
 * pointing outside (HOSTILE_INPUTS.md case 21).
 */
export function symlinkTarget(entry: BencodeDict, prefix: readonly string[]): string[] | undefined {
  const list = entry.get("symlink path");
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_PATH_DEPTH) return undefined;
  const target = [...prefix];
  for (const item of list) {
    if (!(item instanceof Uint8Array)) return undefined;
    target.push(component(lenientText(item)));
  }
  try {
    resolveInside("/torrent", target);
  } catch {
    return undefined;
  }
  return target;
}
