/**
 * The file list of a v1 `info` dictionary (BEP 3, BEP 47 attributes), and what every file list ends with: lengths,
 * offsets, sanitised paths, and deterministic renaming of paths that collide after sanitising (HOSTILE_INPUTS.md
 * case 11).
 *
 * @module
 */

import type { BencodeDict, BencodeValue } from "../bencode/mod.ts";
import { MetainfoError } from "../errors.ts";
import { MAX_FILE_COUNT, MAX_FILE_LENGTH, MAX_PATH_DEPTH } from "./limits.ts";
import { component, parseAttr, symlinkTarget } from "./_attributes.ts";
import { withCounter } from "./_sanitize.ts";
import { lenientText, strictText } from "./_text.ts";
import type { TorrentFile } from "./types.ts";

/** A file on its way into `TorrentInfo.files`. */
export interface Draft {
  /** Sanitised components, the torrent's directory name first for a multi-file torrent. */
  path: string[];
  /** Size in bytes. */
  length: number;
  padding: boolean;
  executable: boolean;
  hidden: boolean;
  symlinkPath?: string[];
  piecesRoot?: Uint8Array;
}

/** The v1 files of a torrent and their total size. */
export interface V1Files {
  drafts: Draft[];
  totalLength: number;
  multiFile: boolean;
}

function bad(detail: string): never {
  throw new MetainfoError(`Cannot parse torrent: ${detail}`);
}

/** A file length: an integer from 0 to 16 TiB. */
export function fileLength(value: BencodeValue | undefined, what: string): number {
  if (typeof value !== "number") bad(`${what} has no integer length`);
  if (value < 0) bad(`${what} has negative length ${value}`);
  if (value > MAX_FILE_LENGTH) bad(`${what} is larger than 16 TiB (${value} bytes)`);
  return value;
}

/** The raw path texts of file `i`: `path.utf-8` when it is a valid list of valid UTF-8, else `path`. */
function rawPath(entry: BencodeDict, i: number): string[] {
  const twin = entry.get("path.utf-8");
  if (Array.isArray(twin) && twin.length > 0 && twin.length <= MAX_PATH_DEPTH) {
    const texts = twin.map((c) => (c instanceof Uint8Array ? strictText(c) : undefined));
    if (texts.every((t) => t !== undefined)) return texts as string[];
  }
  const path = entry.get("path");
  if (!Array.isArray(path)) bad(`file ${i} has no path list`);
  if (path.length === 0) bad(`file ${i} has an empty path`);
  if (path.length > MAX_PATH_DEPTH) bad(`file ${i} path is deeper than ${MAX_PATH_DEPTH} components`);
  return path.map((c) => {
    if (!(c instanceof Uint8Array)) bad(`file ${i} path has a component that is not a byte string`);
    return lenientText(c);
  });
}

/** A draft with the BEP 47 attributes of `entry` (a file entry, or the info dict of a single-file torrent). */
export function draft(path: string[], length: number, entry: BencodeDict, prefix: readonly string[]): Draft {
  const attr = parseAttr(entry.get("attr"));
  const symlinkPath = attr.symlink ? symlinkTarget(entry, prefix) : undefined;
  return {
    path,
    length,
    padding: attr.padding,
    executable: attr.executable,
    hidden: attr.hidden,
    ...(symlinkPath === undefined ? {} : { symlinkPath }),
  };
}

/**
 * Renames files whose sanitised path equals an earlier file's path or any directory of the torrent, by inserting
 * `.n` before the extension (`a.txt` → `a.1.txt`, then `a.2.txt`), in metainfo order. Padding files are never
 * written, so they take no part.
 */
function dedupe(drafts: Draft[]): void {
  const directories = new Set<string>();
  for (const draft of drafts) {
    if (draft.padding) continue;
    let prefix = "";
    for (let i = 0; i < draft.path.length - 1; i++) {
      prefix = i === 0 ? draft.path[0] : `${prefix}/${draft.path[i]}`;
      directories.add(prefix);
    }
  }
  const taken = new Set<string>();
  const nextCounter = new Map<string, number>();
  for (const draft of drafts) {
    if (draft.padding) continue;
    let key = draft.path.join("/");
    if (taken.has(key) || directories.has(key)) {
      const parent = draft.path.slice(0, -1);
      const last = draft.path[draft.path.length - 1];
      let n = nextCounter.get(key) ?? 1;
      let renamed: string;
      do {
        renamed = withCounter(last, n++);
        key = [...parent, renamed].join("/");
      } while (taken.has(key) || directories.has(key));
      nextCounter.set(draft.path.join("/"), n);
      draft.path = [...parent, renamed];
    }
    taken.add(key);
  }
}

/**
 * Turns drafts, in data order, into frozen `TorrentFile`s: duplicate paths renamed, offsets summed. Optional
 * fields appear only when set, so a plain v1 file is `{ path, length, offset }`.
 */
export function finishFiles(drafts: Draft[]): TorrentFile[] {
  dedupe(drafts);
  const files: TorrentFile[] = [];
  let offset = 0;
  for (const d of drafts) {
    files.push(Object.freeze({
      path: Object.freeze(d.path),
      length: d.length,
      offset,
      ...(d.padding ? { padding: true } : {}),
      ...(d.executable ? { executable: true } : {}),
      ...(d.hidden ? { hidden: true } : {}),
      ...(d.symlinkPath === undefined ? {} : { symlinkPath: Object.freeze(d.symlinkPath) }),
      ...(d.piecesRoot === undefined ? {} : { piecesRoot: d.piecesRoot }),
    }));
    offset += d.length;
  }
  return files;
}

/**
 * Reads `files` (multi-file) or `length` (single file) from a v1 `info` dictionary. Like libtorrent, `files`
 * wins when both are present.
 *
 * @param info The `info` dictionary.
 * @param name The sanitised torrent name (first component of every path).
 * @param maxTotal Largest total size that can be valid, in bytes; checked while summing, before more work.
 * @throws {MetainfoError} On a missing or malformed length or path, or a cap exceeded.
 */
export function parseFiles(info: BencodeDict, name: string, maxTotal: number): V1Files {
  const list = info.get("files");
  if (list === undefined) {
    const length = fileLength(info.get("length"), "the torrent");
    if (length > maxTotal) bad(`total length ${length} needs more than the allowed number of pieces`);
    const single = draft([name], length, info, []);
    // A lone padding file would never be written; the only file of a torrent is always real.
    single.padding = false;
    return { drafts: [single], totalLength: length, multiFile: false };
  }
  if (!Array.isArray(list)) bad("files is not a list");
  if (list.length === 0) bad("files is empty");
  if (list.length > MAX_FILE_COUNT) bad(`more than ${MAX_FILE_COUNT} files (${list.length})`);
  const drafts: Draft[] = [];
  let total = 0;
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    if (!(entry instanceof Map)) bad(`file ${i} is not a dictionary`);
    const length = fileLength(entry.get("length"), `file ${i}`);
    total += length;
    if (total > maxTotal) bad(`total length passes ${maxTotal} bytes at file ${i}`);
    drafts.push(draft([name, ...rawPath(entry, i).map(component)], length, entry, [name]));
  }
  return { drafts, totalLength: total, multiFile: true };
}
