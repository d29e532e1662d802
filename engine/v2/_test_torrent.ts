/**
 * Helpers for the v2 tests: synthetic v2 torrents, and a reference Merkle tree built naively from the data (not
 * with engine/merkle), with the `hashes` payload libtorrent's `merkle_tree::get_hashes` would send.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { TorrentFile } from "../metainfo/mod.ts";
import { fileMerkle } from "../merkle/mod.ts";
import type { HashRequestRef } from "../wire/mod.ts";

/** SHA-256 of the concatenated parts. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Lowercase hex. */
export function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** A synthetic v2 torrent: files aligned to pieces with BEP 47 padding files between them, as parseTorrent gives. */
export interface TestTorrent {
  files: TorrentFile[];
  pieceLength: number;
  pieceLayers: Map<string, Uint8Array>;
  /** Each file's data, by index in `files` (empty for padding files). */
  data: Uint8Array[];
}

/** Builds a v2 torrent of files with the given contents (empty files allowed). */
export function testTorrent(contents: Uint8Array[], pieceLength: number): TestTorrent {
  const files: TorrentFile[] = [];
  const data: Uint8Array[] = [];
  const pieceLayers = new Map<string, Uint8Array>();
  let offset = 0;
  contents.forEach((content, i) => {
    if (offset % pieceLength !== 0) {
      const pad = pieceLength - (offset % pieceLength);
      files.push({ path: [".pad", String(pad)], length: pad, offset, padding: true });
      data.push(new Uint8Array(0));
      offset += pad;
    }
    const { piecesRoot, pieceLayer } = fileMerkle(content, pieceLength);
    files.push({ path: [`file${i}`], length: content.length, offset, piecesRoot });
    data.push(content);
    if (piecesRoot !== undefined && content.length > pieceLength) {
      pieceLayers.set(hex(piecesRoot), pieceLayer);
    }
    offset += content.length;
  });
  return { files, pieceLength, pieceLayers, data };
}

/** A full Merkle tree of a file's data: `layers[h][i]` is node `i` at height `h` (0 = leaves, zero-padded). */
export function referenceTree(data: Uint8Array): Uint8Array[][] {
  const blocks = Math.ceil(data.length / 16_384);
  let slots = 1;
  while (slots < blocks) slots *= 2;
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < slots; i++) {
    leaves.push(i < blocks ? sha256(data.subarray(i * 16_384, (i + 1) * 16_384)) : new Uint8Array(32));
  }
  const layers = [leaves];
  while (layers[layers.length - 1].length > 1) {
    const below = layers[layers.length - 1];
    const up: Uint8Array[] = [];
    for (let i = 0; i < below.length; i += 2) up.push(sha256(below[i], below[i + 1]));
    layers.push(up);
  }
  return layers;
}

/**
 * The `hashes` payload libtorrent 2.0 sends for a request (`merkle_tree::get_hashes`): `length` nodes of the base
 * layer, then walking `proofLayers` layers up, the sibling of each ancestor past the first `log2(length) - 1`.
 */
export function libtorrentAnswer(tree: Uint8Array[][], r: Omit<HashRequestRef, "piecesRoot">): Uint8Array {
  const out: Uint8Array[] = [];
  for (let j = 0; j < r.length; j++) out.push(tree[r.baseLayer][r.index + j]);
  const baseTreeLayers = Math.log2(r.length) - 1;
  let layer = r.baseLayer;
  let position = r.index;
  for (let i = 0; i < r.proofLayers; i++) {
    layer++;
    position >>= 1;
    if (i >= baseTreeLayers) out.push(tree[layer][position ^ 1]);
  }
  const payload = new Uint8Array(out.length * 32);
  out.forEach((h, i) => payload.set(h, i * 32));
  return payload;
}

/** SHA-256 of each 16 KiB block of one piece of `data`. */
export function pieceBlockHashes(data: Uint8Array, pieceLength: number, piece: number): Uint8Array {
  const slice = data.subarray(piece * pieceLength, (piece + 1) * pieceLength);
  const n = Math.ceil(slice.length / 16_384);
  const out = new Uint8Array(n * 32);
  for (let i = 0; i < n; i++) out.set(sha256(slice.subarray(i * 16_384, (i + 1) * 16_384)), i * 32);
  return out;
}
