/**
 * Test helper: a small random torrent laid out in a temp directory, with its pieces and their SHA-1s.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { StorageSpec } from "./disk_io.ts";

/** A torrent's spec and payload for tests. */
export interface TestTorrent {
  /** Temp directory holding the files (removed by `dispose`). */
  readonly dir: string;
  readonly spec: StorageSpec;
  /** The whole payload, in torrent order. */
  readonly data: Uint8Array;
  /** A fresh copy of piece `index` in its own `ArrayBuffer`. */
  piece(index: number): ArrayBuffer;
  /** Removes `dir`. */
  dispose(): Promise<void>;
}

/**
 * Makes a torrent of files `lengths` (bytes, under `dir/t/`) and pieces of `pieceLength` bytes, filled with
 * seeded pseudo-random bytes. Files are not created.
 */
export async function makeTestTorrent(lengths: number[], pieceLength: number): Promise<TestTorrent> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_storage_" });
  let offset = 0;
  const files = lengths.map((length, i) => {
    const file = { path: `${dir}/t/${i % 2 === 0 ? "" : "sub/"}f${i}.bin`, length, offset };
    offset += length;
    return file;
  });
  const data = new Uint8Array(offset);
  let seed = 0x9e3779b9 ^ offset;
  for (let i = 0; i < data.length; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    data[i] = seed & 0xff;
  }
  const count = Math.ceil(offset / pieceLength);
  const pieceHashes = new Uint8Array(count * 20);
  const slice = (index: number) =>
    data.slice(index * pieceLength, Math.min(offset, (index + 1) * pieceLength));
  for (let i = 0; i < count; i++) pieceHashes.set(createHash("sha1").update(slice(i)).digest(), i * 20);
  return {
    dir,
    spec: { files, pieceLength, totalLength: offset, pieceHashes },
    data,
    piece: (index) => slice(index).buffer,
    dispose: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Whether this process runs as root, where permission bits do not stop writes. */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}
