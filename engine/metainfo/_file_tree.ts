/**
 * The v2 `file tree` of an `info` dictionary (BEP 52): files in tree order, their pieces roots and BEP 47
 * attributes, and the piece-aligned layout of the v2 piece space.
 *
 * @module
 */

import type { BencodeDict } from "../bencode/mod.ts";
import { keyBytes } from "../bencode/mod.ts";
import { MetainfoError } from "../errors.ts";
import { MAX_FILE_COUNT, MAX_PATH_DEPTH } from "./limits.ts";
import { component } from "./_attributes.ts";
import { type Draft, draft, fileLength } from "./_files.ts";
import { lenientText } from "./_text.ts";

/** The v2 view of a torrent's files. */
export interface V2Files {
  /** The files in tree order (empty files included, no padding). */
  real: Draft[];
  /** Sanitised paths of `real` relative to the torrent's root directory, before renaming duplicates. */
  relative: string[][];
  /** Byte offset of each of `real` in the v2 piece space: every non-empty file starts on a piece boundary. */
  offsets: number[];
  /** `real` with padding files (`.pad/N`) between them, so that offsets add up: the v2 piece space as files. */
  layout: Draft[];
  /** Bytes in the piece space: from 0 to the end of the last non-empty file. */
  totalLength: number;
  /** Pieces in the piece space: the sum over files of `ceil(length / piece length)`. */
  pieceCount: number;
  /** Whether the files sit under a directory named after the torrent (not a lone file at the root). */
  multiFile: boolean;
}

function bad(detail: string): never {
  throw new MetainfoError(`Cannot parse torrent: ${detail}`);
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

interface Found {
  relative: string[];
  leaf: BencodeDict;
}

/** Walks the tree in key order (the order of the piece space), checking shapes and caps as it goes. */
function walk(tree: BencodeDict): Found[] {
  const found: Found[] = [];
  const visit = (node: BencodeDict, relative: string[]): void => {
    const leaf = node.get("");
    if (leaf !== undefined) {
      const where = relative.join("/");
      if (relative.length === 0) bad("the file tree root is a file");
      if (node.size !== 1) bad(`file tree entry ${JSON.stringify(where)} is a file with siblings under ""`);
      if (!(leaf instanceof Map)) bad(`file tree entry ${JSON.stringify(where)} is not a dictionary`);
      if (found.length === MAX_FILE_COUNT) bad(`more than ${MAX_FILE_COUNT} files`);
      found.push({ relative, leaf });
      return;
    }
    if (relative.length === MAX_PATH_DEPTH) bad(`the file tree is deeper than ${MAX_PATH_DEPTH} components`);
    for (const [key, child] of node) {
      const name = lenientText(keyBytes(key));
      if (!(child instanceof Map)) {
        bad(`file tree entry ${JSON.stringify([...relative, name].join("/"))} is not a dictionary`);
      }
      visit(child, [...relative, name]);
    }
  };
  visit(tree, []);
  if (found.length === 0) bad("the file tree holds no files");
  return found;
}

/**
 * Reads `file tree` (BEP 52). A tree with one entry that is a file describes a single-file torrent stored under
 * that entry's name; any other tree describes files under a directory named `name`. Every path component is
 * sanitised; non-empty files need a 32-byte, non-zero `pieces root`. Files are laid out in tree order, each
 * non-empty one starting on a piece boundary, with padding files between them.
 *
 * @param info The `info` dictionary, `meta version` 2.
 * @param name The sanitised torrent name.
 * @param pieceLength Bytes per piece (a power of two, checked by the caller).
 * @param maxTotal Largest piece space that can be valid, in bytes; checked while summing.
 * @throws {MetainfoError} When the tree is missing, malformed, empty, too deep or too large, or a file lacks a
 *   valid length or pieces root.
 */
export function parseFileTree(
  info: BencodeDict,
  name: string,
  pieceLength: number,
  maxTotal: number,
): V2Files {
  const tree = info.get("file tree");
  if (tree === undefined) bad("file tree is missing");
  if (!(tree instanceof Map)) bad("file tree is not a dictionary");
  const found = walk(tree);
  const multiFile = !(found.length === 1 && found[0].relative.length === 1);
  const prefix = multiFile ? [name] : [];
  const real: Draft[] = [];
  const relative: string[][] = [];
  const offsets: number[] = [];
  const layout: Draft[] = [];
  let end = 0;
  let pieceCount = 0;
  for (const { relative: texts, leaf } of found) {
    const where = JSON.stringify(texts.join("/"));
    const length = fileLength(leaf.get("length"), `file ${where}`);
    const path = texts.map(component);
    const file = draft([...prefix, ...path], length, leaf, prefix);
    file.padding = false;
    if (length > 0) {
      const root = leaf.get("pieces root");
      if (!(root instanceof Uint8Array)) bad(`file ${where} has no pieces root`);
      if (root.length !== 32) bad(`file ${where} has a pieces root of ${root.length} bytes, not 32`);
      if (isZero(root)) bad(`file ${where} has an all-zero pieces root`);
      file.piecesRoot = root;
      pieceCount += Math.ceil(length / pieceLength);
    }
    real.push(file);
    relative.push(path);
    offsets.push(end);
    layout.push(file);
    end += length;
    if (end > maxTotal) bad(`the files pass ${maxTotal} bytes of pieces at file ${where}`);
    const gap = (pieceLength - (end % pieceLength)) % pieceLength;
    // Like libtorrent, the last file is padded too: every v2 piece is `piece length` long on the wire, and a
    // peer may request the padding of the last piece (it is served as zeros).
    if (length > 0 && gap > 0) {
      layout.push({
        path: [...prefix, ".pad", String(gap)],
        length: gap,
        padding: true,
        executable: false,
        hidden: false,
      });
      end += gap;
    }
  }
  return { real, relative, offsets, layout, totalLength: end, pieceCount, multiFile };
}
