/**
 * Test helper: a small random v2-only or hybrid torrent (BEP 52) laid out in a temp directory, with BEP 47 padding
 * files after every file but the last so each file starts on a piece boundary, its pieces roots, piece layers and
 * (hybrid) SHA-1 piece hashes over the padded piece space.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { fileMerkle } from "../merkle/file_merkle.ts";
import type { StorageFile, StorageSpec } from "./disk_io.ts";

/** A v2 torrent's spec and payload for tests. */
export interface TestV2Torrent {
  /** Temp directory holding the files (removed by `dispose`); also the spec's `saveDir`. */
  readonly dir: string;
  readonly spec: StorageSpec;
  /** The piece space, padding included (zeros). */
  readonly data: Uint8Array;
  /** Each real file's piece layer (empty for a file of at most one piece), by index into `spec.files`. */
  readonly layers: ReadonlyMap<number, Uint8Array>;
  /** A fresh copy of piece `index` in its own `ArrayBuffer`. */
  piece(index: number): ArrayBuffer;
  /** Removes `dir`. */
  dispose(): Promise<void>;
}

/** Options of `makeTestV2Torrent`. */
export interface TestV2Options {
  /** `v2` (no SHA-1, the default) or `hybrid`. */
  readonly kind?: "v2" | "hybrid";
  /** Leave the piece layers out of the spec, as for a magnet before the hashes arrive. */
  readonly withoutLayers?: boolean;
}

/**
 * Makes a torrent of files `lengths` (bytes, under `dir/t/`, padding files under `dir/t/.pad/`) with pieces of
 * `pieceLength` bytes. Files are not created.
 */
export async function makeTestV2Torrent(
  lengths: number[],
  pieceLength: number,
  options: TestV2Options = {},
): Promise<TestV2Torrent> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_v2_storage_" });
  const files: StorageFile[] = [];
  const chunks: Uint8Array[] = [];
  const layers = new Map<number, Uint8Array>();
  const pieceLayers = new Map<string, Uint8Array>();
  let offset = 0;
  let seed = 0x2545f491 ^ lengths.length;
  lengths.forEach((length, i) => {
    const content = new Uint8Array(length);
    for (let b = 0; b < length; b++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      content[b] = seed & 0xff;
    }
    const { piecesRoot, pieceLayer } = fileMerkle(content, pieceLength);
    layers.set(files.length, pieceLayer);
    if (pieceLayer.length > 0) pieceLayers.set(hex(piecesRoot!), pieceLayer);
    files.push({
      path: `${dir}/t/f${i}.bin`,
      length,
      offset,
      ...(piecesRoot === undefined ? {} : { piecesRoot }),
    });
    chunks.push(content);
    offset += length;
    const gap = (pieceLength - (offset % pieceLength)) % pieceLength;
    if (length > 0 && gap > 0 && i < lengths.length - 1) {
      files.push({ path: `${dir}/t/.pad/${gap}`, length: gap, offset, padding: true });
      chunks.push(new Uint8Array(gap));
      offset += gap;
    }
  });
  const data = new Uint8Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.length;
  }
  const slice = (index: number) =>
    data.slice(index * pieceLength, Math.min(offset, (index + 1) * pieceLength));
  const count = Math.ceil(offset / pieceLength);
  const pieceHashes = new Uint8Array(options.kind === "hybrid" ? count * 20 : 0);
  for (let i = 0; i < pieceHashes.length / 20; i++) {
    pieceHashes.set(createHash("sha1").update(slice(i)).digest(), i * 20);
  }
  return {
    dir,
    spec: {
      files,
      pieceLength,
      totalLength: offset,
      pieceHashes,
      ...(options.withoutLayers ? {} : { pieceLayers }),
      saveDir: dir,
    },
    data,
    layers,
    piece: (index) => slice(index).buffer,
    dispose: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Lowercase hex of `bytes`. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
