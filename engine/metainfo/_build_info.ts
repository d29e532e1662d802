/**
 * The `info` dictionary and `piece layers` of a new torrent: v1 (BEP 3), v2 (BEP 52) or hybrid, with BEP 47
 * attributes and padding files, laid out exactly as libtorrent's `create_torrent` does.
 *
 * @module
 */

import { type Encodable, textKey } from "../bencode/mod.ts";
import type { FileMerkle } from "../merkle/mod.ts";
import { latin1Key } from "./_hex.ts";
import type { SourceFile } from "./_walk.ts";

/**
 * Which hashes a torrent carries: `v1` (BEP 3 SHA-1 pieces), `v2` (BEP 52 SHA-256 Merkle trees only) or `hybrid`
 * (both, over the same piece-aligned files).
 */
export type TorrentVersion = "v1" | "v2" | "hybrid";

/** What goes into the info dictionary. */
export interface InfoParts {
  version: TorrentVersion;
  name: string;
  multiFile: boolean;
  files: readonly SourceFile[];
  pieceLength: number;
  private: boolean;
  /** v1 SHA-1 piece hashes (v1, hybrid). */
  pieces: Uint8Array;
  /** Per-file Merkle hashes (v2, hybrid). */
  merkle: readonly FileMerkle[];
  /** Padding after each file (hybrid), from {@linkcode padAfter}. */
  padAfter: readonly number[];
}

/**
 * The BEP 47 padding after each file of a hybrid torrent, as libtorrent 2.0 lays it out: in a torrent of more than
 * one file, every non-empty file that does not end on a piece boundary is followed by a padding file up to the
 * boundary, the last file included. A single-file torrent gets none.
 */
export function padAfter(files: readonly SourceFile[], pieceLength: number): number[] {
  let end = 0;
  return files.map((file) => {
    end += file.length;
    const gap = (pieceLength - (end % pieceLength)) % pieceLength;
    if (files.length < 2 || file.length === 0 || gap === 0) return 0;
    end += gap;
    return gap;
  });
}

function attr(file: SourceFile): { attr?: string } {
  return file.executable ? { attr: "x" } : {};
}

function v1Fields(parts: InfoParts): Record<string, Encodable> {
  if (!parts.multiFile) return { ...attr(parts.files[0]), length: parts.files[0].length };
  const list: Encodable[] = [];
  parts.files.forEach((file, i) => {
    list.push({ ...attr(file), length: file.length, path: file.path });
    const gap = parts.padAfter[i] ?? 0;
    if (gap > 0) list.push({ attr: "p", length: gap, path: [".pad", String(gap)] });
  });
  return { files: list };
}

type Tree = Map<string, Encodable>;

function fileTree(parts: InfoParts): Tree {
  const tree: Tree = new Map();
  parts.files.forEach((file, i) => {
    const { piecesRoot } = parts.merkle[i];
    const leaf = new Map<string, Encodable>([["length", file.length]]);
    if (file.executable) leaf.set("attr", "x");
    if (piecesRoot !== undefined) leaf.set("pieces root", piecesRoot);
    const path = parts.multiFile ? file.path : [parts.name];
    let node = tree;
    for (const component of path.slice(0, -1)) {
      const key = textKey(component);
      let child = node.get(key) as Tree | undefined;
      if (child === undefined) node.set(key, child = new Map());
      node = child;
    }
    node.set(textKey(path[path.length - 1]), new Map([["", leaf]]));
  });
  return tree;
}

/** The `info` dictionary. */
export function buildInfo(parts: InfoParts): Record<string, Encodable | undefined> {
  const v1 = parts.version !== "v2";
  const v2 = parts.version !== "v1";
  return {
    name: parts.name,
    "piece length": parts.pieceLength,
    private: parts.private ? 1 : undefined,
    ...(v1 ? { pieces: parts.pieces, ...v1Fields(parts) } : {}),
    ...(v2 ? { "file tree": fileTree(parts), "meta version": 2 } : {}),
  };
}

/** The top-level `piece layers` (BEP 52): the piece layer of every file larger than one piece. */
export function buildPieceLayers(parts: InfoParts): Map<string, Encodable> {
  const layers = new Map<string, Encodable>();
  parts.files.forEach((file, i) => {
    const { piecesRoot, pieceLayer } = parts.merkle[i];
    if (piecesRoot !== undefined && file.length > parts.pieceLength) {
      layers.set(latin1Key(piecesRoot), pieceLayer);
    }
  });
  return layers;
}
