/**
 * The bench payload: one file of pseudo-random bytes and its v1 .torrent (made with ccbt's `createTorrent`),
 * kept between runs when it still matches, since writing and hashing 1 GiB costs seconds.
 *
 * @module
 */

import { createTorrent } from "../mod.ts";

/** A payload ready to seed. */
export interface Payload {
  /** Directory holding the payload file (the seeder's data directory). */
  dataDir: string;
  /** The payload file (`dataDir/name`). */
  path: string;
  /** File name, which is also the torrent's `name`. */
  name: string;
  /** The .torrent file. */
  torrentPath: string;
  /** Size in bytes. */
  size: number;
  /** v1 info-hash, 40 lowercase hex digits. */
  infoHash: string;
  /** Whether an existing payload was reused. */
  reused: boolean;
}

/** What `meta.json` records, to tell whether a payload on disk is the one we made. */
interface PayloadMeta {
  size: number;
  pieceLength: number;
  mtimeMs: number;
  infoHash: string;
}

const CHUNK_BYTES = 16 * 1024 * 1024;
/** `crypto.getRandomValues` fills at most 64 KiB per call. */
const RANDOM_CALL_BYTES = 65_536;

/**
 * Returns the payload of `size` bytes under `dir`, reusing the file and torrent found there when their
 * recorded size, piece length and mtime still match, else writing new random bytes and a new torrent.
 *
 * @param dir Bench work directory (created if missing).
 * @param options Size in bytes and piece length in bytes.
 * @returns The payload.
 * @throws {RangeError} For a piece length `createTorrent` refuses.
 */
export async function preparePayload(
  dir: string,
  options: { size: number; pieceLength: number },
): Promise<Payload> {
  const { size, pieceLength } = options;
  const name = `payload-${size}.bin`;
  const dataDir = `${dir}/seed`;
  const path = `${dataDir}/${name}`;
  const torrentPath = `${dir}/${name}.torrent`;
  const metaPath = `${dir}/${name}.json`;
  await Deno.mkdir(dataDir, { recursive: true });

  const meta = await readMeta(metaPath);
  const stat = await Deno.stat(path).catch(() => null);
  const torrentExists = await Deno.stat(torrentPath).then(() => true, () => false);
  if (
    meta !== null && stat !== null && torrentExists && meta.size === size && stat.size === size &&
    meta.pieceLength === pieceLength && meta.mtimeMs === stat.mtime?.getTime()
  ) {
    return { dataDir, path, name, torrentPath, size, infoHash: meta.infoHash, reused: true };
  }

  await writeRandomFile(path, size);
  const { bytes, info } = await createTorrent(path, { pieceLength, createdBy: "ccbt bench" });
  await Deno.writeFile(torrentPath, bytes);
  const written = await Deno.stat(path);
  const fresh: PayloadMeta = {
    size,
    pieceLength,
    mtimeMs: written.mtime?.getTime() ?? 0,
    infoHash: info.infoHashHex,
  };
  await Deno.writeTextFile(metaPath, JSON.stringify(fresh));
  return { dataDir, path, name, torrentPath, size, infoHash: info.infoHashHex, reused: false };
}

/**
 * Reads a file to the end, so later readers find it in the page cache.
 *
 * @param path The file.
 * @throws {Deno.errors.NotFound} When it is missing.
 */
export async function readThrough(path: string): Promise<void> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(CHUNK_BYTES);
  while ((await file.read(buffer)) !== null) { /* discard */ }
}

async function readMeta(path: string): Promise<PayloadMeta | null> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    return typeof value === "object" && value !== null ? value as PayloadMeta : null;
  } catch {
    return null;
  }
}

async function writeRandomFile(path: string, size: number): Promise<void> {
  const chunk = new Uint8Array(CHUNK_BYTES);
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  let left = size;
  while (left > 0) {
    const n = Math.min(left, CHUNK_BYTES);
    for (let at = 0; at < n; at += RANDOM_CALL_BYTES) {
      crypto.getRandomValues(chunk.subarray(at, Math.min(n, at + RANDOM_CALL_BYTES)));
    }
    let written = 0;
    while (written < n) written += await file.write(chunk.subarray(written, n));
    left -= n;
  }
}
