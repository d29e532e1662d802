/**
 * Helpers for the metainfo tests.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type Encodable, encode, textKey } from "../bencode/mod.ts";
import { fileMerkle } from "../merkle/mod.ts";

/** Builds .torrent bytes: an info dict (defaults: one 20,000-byte file in two 16 KiB pieces) and root extras. */
export function torrentBytes(
  info: Record<string, Encodable | undefined> = {},
  root: Record<string, Encodable | undefined> = {},
): Uint8Array {
  return encode({
    info: {
      length: 20_000,
      name: "file.bin",
      "piece length": 16_384,
      pieces: new Uint8Array(40).fill(1),
      ...info,
    },
    ...root,
  });
}

/** A multi-file info dict with the given file entries and enough zero hashes for their total size. */
export function multiFileInfo(
  files: { length: number; path: Encodable; [key: string]: Encodable }[],
  pieceLength = 16_384,
): Record<string, Encodable> {
  const total = files.reduce((n, f) => n + f.length, 0);
  return {
    files,
    name: "dir",
    "piece length": pieceLength,
    pieces: new Uint8Array(20 * Math.ceil(total / pieceLength)),
  };
}

/** Runs `/usr/bin/python3 -c code args...` and returns its stdout; throws with stderr on failure. */
export async function python(code: string, ...args: string[]): Promise<string> {
  const output = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!output.success) throw new Error(`python3 failed: ${new TextDecoder().decode(output.stderr)}`);
  return new TextDecoder().decode(output.stdout);
}

/** One file of a v2 test torrent: path relative to the torrent root, and content. */
export interface V2TestFile {
  path: string[];
  data: Uint8Array;
  /** BEP 47 `attr` for the v2 leaf and the v1 entry. */
  attr?: string;
}

/** The parts of a v2 or hybrid test torrent, as plain values to tweak before `encode`. */
export interface V2TestTorrent {
  info: Record<string, Encodable | undefined>;
  fileTree: Map<string, Encodable>;
  pieceLayers: Map<string, Encodable>;
  /** Pieces roots of the files, in order (`undefined` for empty files). */
  roots: (Uint8Array | undefined)[];
  /** `encode({ info, "piece layers": pieceLayers, ...root })`. */
  bytes(root?: Record<string, Encodable | undefined>): Uint8Array;
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/**
 * Builds a v2 (or, with `hybrid`, a hybrid) torrent of in-memory files independently of `createTorrent`: Merkle
 * hashes from `fileMerkle`, libtorrent's padding for the v1 list, SHA-1 over the padded stream. A `path` of one
 * component with `single` makes a single-file torrent.
 */
export function v2TestTorrent(
  files: V2TestFile[],
  options: { pieceLength?: number; name?: string; hybrid?: boolean; single?: boolean } = {},
): V2TestTorrent {
  const pieceLength = options.pieceLength ?? 16_384;
  const name = options.name ?? "dir";
  const fileTree = new Map<string, Encodable>();
  const pieceLayers = new Map<string, Encodable>();
  const roots: (Uint8Array | undefined)[] = [];
  const v1: Record<string, Encodable>[] = [];
  const stream: Uint8Array[] = [];
  let end = 0;
  for (const file of files) {
    const { piecesRoot, pieceLayer } = fileMerkle(file.data, pieceLength);
    roots.push(piecesRoot);
    const leaf = new Map<string, Encodable>([["length", file.data.length]]);
    if (piecesRoot !== undefined) leaf.set("pieces root", piecesRoot);
    if (file.attr !== undefined) leaf.set("attr", file.attr);
    if (pieceLayer.length > 0) pieceLayers.set(latin1(piecesRoot!), pieceLayer);
    let node = fileTree;
    for (const component of file.path.slice(0, -1)) {
      const key = textKey(component);
      if (!node.has(key)) node.set(key, new Map());
      node = node.get(key) as Map<string, Encodable>;
    }
    node.set(textKey(file.path.at(-1)!), new Map([["", leaf]]));
    v1.push({ length: file.data.length, path: file.path, ...(file.attr ? { attr: file.attr } : {}) });
    stream.push(file.data);
    end += file.data.length;
    const gap = (pieceLength - (end % pieceLength)) % pieceLength;
    if (files.length > 1 && file.data.length > 0 && gap > 0) {
      v1.push({ attr: "p", length: gap, path: [".pad", String(gap)] });
      stream.push(new Uint8Array(gap));
      end += gap;
    }
  }
  const info: Record<string, Encodable | undefined> = {
    name,
    "piece length": pieceLength,
    "meta version": 2,
    "file tree": fileTree,
  };
  if (options.hybrid) {
    const all = new Uint8Array(end);
    let at = 0;
    for (const part of stream) {
      all.set(part, at);
      at += part.length;
    }
    const pieces = new Uint8Array(Math.ceil(end / pieceLength) * 20);
    for (let i = 0; i * pieceLength < end; i++) {
      pieces.set(
        createHash("sha1").update(all.subarray(i * pieceLength, (i + 1) * pieceLength)).digest(),
        i * 20,
      );
    }
    info.pieces = pieces;
    if (options.single) info.length = files[0].data.length;
    else info.files = v1;
  }
  return {
    info,
    fileTree,
    pieceLayers,
    roots,
    bytes: (root = {}) => encode({ info, "piece layers": pieceLayers, ...root }),
  };
}
