/**
 * The `piece layers` of a v2 torrent (BEP 52): one layer of each large file's Merkle tree, checked against the
 * file's pieces root.
 *
 * @module
 */

import type { BencodeDict } from "../bencode/mod.ts";
import { MetainfoError } from "../errors.ts";
import { hex, latin1Key } from "./_hex.ts";
import { pieceLayerRoot } from "../merkle/mod.ts";
import type { Draft } from "./_files.ts";

function bad(detail: string): never {
  throw new MetainfoError(`Cannot parse torrent: ${detail}`);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Reads `piece layers` from the top-level dictionary: for every file larger than one piece, the value under its
 * pieces root must hold exactly `ceil(length / piece length)` 32-byte hashes that lead to that root. Entries for
 * other roots are ignored. An absent `piece layers` gives `undefined`: metadata fetched from peers (BEP 9) has none,
 * and the layers then come from peers through hash requests.
 *
 * @returns Layers keyed by the pieces root in lowercase hex, or `undefined`.
 * @throws {MetainfoError} When `piece layers` is not a dictionary, or a layer is missing, of the wrong size, not a
 *   byte string, or does not match its pieces root.
 */
export function parsePieceLayers(
  root: BencodeDict,
  files: readonly Draft[],
  pieceLength: number,
): Map<string, Uint8Array> | undefined {
  const layers = root.get("piece layers");
  if (layers === undefined) return undefined;
  if (!(layers instanceof Map)) bad("piece layers is not a dictionary");
  const out = new Map<string, Uint8Array>();
  for (const file of files) {
    if (file.piecesRoot === undefined || file.length <= pieceLength) continue;
    const key = hex(file.piecesRoot);
    if (out.has(key)) continue;
    const where = JSON.stringify(file.path.join("/"));
    const layer = layers.get(latin1Key(file.piecesRoot));
    if (layer === undefined) bad(`piece layers has no layer for file ${where}`);
    if (!(layer instanceof Uint8Array)) bad(`the piece layer of file ${where} is not a byte string`);
    const pieces = Math.ceil(file.length / pieceLength);
    if (layer.length !== pieces * 32) {
      bad(
        `the piece layer of file ${where} is ${layer.length} bytes where ${pieces} hashes need ${
          pieces * 32
        }`,
      );
    }
    if (!equal(pieceLayerRoot(layer, pieceLength), file.piecesRoot)) {
      bad(`the piece layer of file ${where} does not match its pieces root`);
    }
    out.set(key, layer);
  }
  return out;
}
