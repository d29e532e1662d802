/**
 * Making a .torrent from a file or a directory: v1 (BEP 3), v2-only or hybrid v1/v2 (BEP 52).
 *
 * @module
 */

import { type Encodable, encode } from "../bencode/mod.ts";
import { autoPieceLength } from "./auto_piece_length.ts";
import {
  MAX_FILE_COUNT,
  MAX_FILE_LENGTH,
  MAX_PATH_DEPTH,
  MAX_PIECE_COUNT,
  MAX_PIECE_LENGTH,
  MIN_PIECE_LENGTH,
} from "./limits.ts";
import { parseTorrent } from "./parse_torrent.ts";
import { buildInfo, buildPieceLayers, padAfter, type TorrentVersion } from "./_build_info.ts";
import { defaultWorkers, hashContent } from "./_hash_pieces.ts";
import type { DiskIo } from "../storage/disk_io.ts";
import { WorkerDiskIo } from "../storage/worker_disk_io.ts";
import { collectFiles } from "./_walk.ts";
import type { TorrentInfo } from "./types.ts";

export type { TorrentVersion } from "./_build_info.ts";

/** Options for {@link createTorrent}. */
export interface CreateTorrentOptions {
  /**
   * Which hashes to write: `v1` (BEP 3 SHA-1 pieces, the default), `v2` (BEP 52 SHA-256 Merkle trees and
   * `piece layers` only) or `hybrid` (both, with BEP 47 padding files in the v1 list so that every file starts on
   * a piece boundary, as libtorrent writes them).
   */
  version?: TorrentVersion;
  /**
   * Tracker URLs (http, https or udp). A flat list puts each URL in its own tier, in order (the backup order
   * mktorrent uses for repeated `-a`); a list of lists gives the tiers (BEP 12). The first URL becomes `announce`;
   * `announce-list` is written when there is more than one URL.
   */
  trackers?: readonly (readonly string[])[] | readonly string[];
  /**
   * Bytes per piece, from 16 KiB to 512 MiB: a multiple of 16 KiB for v1, a power of two for v2 and hybrid
   * (BEP 52). Default: `autoPieceLength(total)`, a power of two.
   */
  pieceLength?: number;
  /** Set the BEP 27 private flag. Default `false`. */
  private?: boolean;
  /** Free-text comment. */
  comment?: string;
  /** Creator name. Default `"ccbt/0.1.0"`. */
  createdBy?: string;
  /** Creation time in seconds since the Unix epoch. Default: now. */
  creationDate?: number;
  /** BEP 19 web seed URLs (http or https), written as `url-list`. */
  webSeeds?: readonly string[];
  /** Called as hashing goes (after each piece), with bytes hashed so far and total bytes (padding not counted). */
  onProgress?: (hashedBytes: number, totalBytes: number) => void;
  /**
   * The disk worker pool to hash in, e.g. a session's (it is left open). Default: a `WorkerDiskIo` of `workers`
   * workers, started for this call and closed at its end.
   */
  diskIo?: DiskIo;
  /**
   * Workers of the default pool, and (with `diskIo`) how many workers to keep busy: 3 pieces are kept in flight per
   * worker. Default: the cores, clamped to 1..4.
   */
  workers?: number;
}

/** What {@link createTorrent} made. */
export interface CreatedTorrent {
  /** The .torrent file contents. */
  bytes: Uint8Array;
  /** `parseTorrent(bytes)`. */
  info: TorrentInfo;
}

const VERSIONS: readonly TorrentVersion[] = ["v1", "v2", "hybrid"];

function checkUrl(url: string, protocols: readonly string[], what: string): string {
  if (typeof url !== "string" || !URL.canParse(url) || !protocols.includes(new URL(url).protocol)) {
    throw new RangeError(
      `Cannot create torrent: ${what} ${JSON.stringify(url)} is not a ${protocols.join(" or ")} URL`,
    );
  }
  return url;
}

function trackerTiers(trackers: CreateTorrentOptions["trackers"]): string[][] {
  if (trackers === undefined) return [];
  const tiers = (trackers as readonly (string | readonly string[])[]).map((
    t,
  ) => (typeof t === "string" ? [t] : [...t]));
  return tiers
    .map((tier) => tier.map((url) => checkUrl(url, ["http:", "https:", "udp:"], "tracker")))
    .filter((tier) => tier.length > 0);
}

function checkPieceLength(pieceLength: number, version: TorrentVersion): number {
  const inRange = Number.isSafeInteger(pieceLength) && pieceLength >= MIN_PIECE_LENGTH &&
    pieceLength <= MAX_PIECE_LENGTH;
  if (version === "v1" && (!inRange || pieceLength % MIN_PIECE_LENGTH !== 0)) {
    throw new RangeError(
      `Cannot create torrent: piece length ${pieceLength} is not a multiple of 16 KiB from 16 KiB to 512 MiB`,
    );
  }
  if (version !== "v1" && (!inRange || (pieceLength & (pieceLength - 1)) !== 0)) {
    throw new RangeError(
      `Cannot create torrent: piece length ${pieceLength} is not a power of two from 16 KiB to 512 MiB, ` +
        `as BitTorrent v2 requires`,
    );
  }
  return pieceLength;
}

/**
 * Creates a torrent of a file or a directory: v1 (BEP 3) by default, or v2-only or hybrid (BEP 52). A directory is
 * walked recursively, files are sorted by path (UTF-8 byte order, component by component, which is also the order
 * of the v2 `file tree`) and nothing is skipped; symbolic links are followed when they point inside the directory.
 * Files the owner may execute get the BEP 47 attribute `x`, as libtorrent gives them.
 *
 * The files are laid out as the torrent has them and hashed piece by piece in the disk worker pool
 * (`DiskIo.hashPiece`, a few pieces in flight per worker, each piece read whole with positional reads, files opened
 * read-only): SHA-1 pieces across file boundaries (v1; for hybrids the BEP 47 padding counts as zeros) and each
 * piece's SHA-256 Merkle root from 16 KiB blocks (v2). The main thread joins them into `pieces` and each file's
 * piece layer and pieces root, so memory stays bounded (a piece per worker and 52 bytes per piece) whatever the
 * size. v2 and hybrid torrents get `piece layers` for every file larger than one piece. The same files and piece
 * length give the same info-hashes as libtorrent's `create_torrent`.
 *
 * Note: `info.files` holds the sanitised paths `parseTorrent` gives; a name that sanitising changes (a trailing
 * dot, a Windows device name, ...) differs there from the name on disk.
 *
 * @param path A file or directory.
 * @param options Version, trackers, piece length, private flag, comment, creator, date, web seeds, progress, pool.
 * @returns The .torrent bytes and their parse.
 * @throws {RangeError} For a bad option (version, URL, piece length, date, workers), or when the content breaks a
 *   metainfo cap (empty, more than 2,097,152 pieces, 1,000,000 files, paths deeper than 100, a file over 16 TiB).
 * @throws {Error} When the path has no name, contains no files, holds a symbolic link pointing outside it or
 *   looping, or holds something that is not a regular file or directory.
 * @throws {StorageError} When a file cannot be read or shrinks while being hashed.
 *
 * @example Create and parse a hybrid torrent of one file
 * ```ts
 * import { createTorrent } from "./create_torrent.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/hello.txt`, new TextEncoder().encode("hello"));
 * const { info } = await createTorrent(`${dir}/hello.txt`, { version: "hybrid", trackers: ["udp://127.0.0.1:6969"] });
 * assert.equal(info.version, "hybrid");
 * assert.equal(info.name, "hello.txt");
 * assert.equal(info.totalLength, 5);
 * assert.equal(info.infoHashV2Hex?.length, 64);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function createTorrent(
  path: string,
  options: CreateTorrentOptions = {},
): Promise<CreatedTorrent> {
  const version = options.version ?? "v1";
  if (!VERSIONS.includes(version)) {
    throw new RangeError(`Cannot create torrent: version ${JSON.stringify(version)} is not v1, v2 or hybrid`);
  }
  const tiers = trackerTiers(options.trackers);
  const webSeeds = (options.webSeeds ?? []).map((url) => checkUrl(url, ["http:", "https:"], "web seed"));
  const creationDate = options.creationDate ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(creationDate) || creationDate < 0) {
    throw new RangeError(
      `Cannot create torrent: creation date ${creationDate} is not a whole number of seconds`,
    );
  }
  if (options.pieceLength !== undefined) checkPieceLength(options.pieceLength, version);
  const workers = options.workers;
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 64)) {
    throw new RangeError(`Cannot create torrent: ${workers} workers is not a whole number from 1 to 64`);
  }
  // The pool starts while the files are listed.
  const diskIo = options.diskIo ??
    new WorkerDiskIo({ workers: workers ?? defaultWorkers(), readCacheBytes: 0 });
  try {
    return await create(path, options, { version, tiers, webSeeds, creationDate, diskIo });
  } finally {
    if (options.diskIo === undefined) await diskIo.close();
  }
}

interface Checked {
  version: TorrentVersion;
  tiers: string[][];
  webSeeds: string[];
  creationDate: number;
  diskIo: DiskIo;
}

async function create(
  path: string,
  options: CreateTorrentOptions,
  checked: Checked,
): Promise<CreatedTorrent> {
  const { version, tiers, webSeeds, creationDate, diskIo } = checked;

  const { name, multiFile, files } = await collectFiles(path);
  if (files.length > MAX_FILE_COUNT) {
    throw new RangeError(`Cannot create torrent: ${files.length} files, more than ${MAX_FILE_COUNT}`);
  }
  let total = 0;
  for (const file of files) {
    if (file.length > MAX_FILE_LENGTH) {
      throw new RangeError(`Cannot create torrent: ${file.absolute} is larger than 16 TiB`);
    }
    if (file.path.length > MAX_PATH_DEPTH) {
      throw new RangeError(
        `Cannot create torrent: ${file.absolute} is deeper than ${MAX_PATH_DEPTH} directories`,
      );
    }
    total += file.length;
  }
  if (total === 0) throw new RangeError(`Cannot create torrent: ${path} holds 0 bytes`);
  const pieceLength = options.pieceLength ?? autoPieceLength(total);
  const pads = version === "hybrid" ? padAfter(files, pieceLength) : files.map(() => 0);
  const span = total + pads.reduce((sum, n) => sum + n, 0);
  const pieceCount = version === "v2"
    ? files.reduce((n, f) => n + Math.ceil(f.length / pieceLength), 0)
    : Math.ceil(span / pieceLength);
  if (pieceCount > MAX_PIECE_COUNT) {
    throw new RangeError(
      `Cannot create torrent: ${total} bytes in pieces of ${pieceLength} makes more than ${MAX_PIECE_COUNT} pieces`,
    );
  }

  const { pieces, merkle } = await hashContent(files, {
    pieceLength,
    v1: version !== "v2",
    v2: version !== "v1",
    padAfter: pads,
    onProgress: options.onProgress,
    diskIo,
    workers: options.workers ?? defaultWorkers(),
  });
  const parts = {
    version,
    name,
    multiFile,
    files,
    pieceLength,
    private: options.private === true,
    pieces,
    merkle,
    padAfter: pads,
  };
  const layers = version === "v1" ? undefined : buildPieceLayers(parts);
  const urlCount = tiers.reduce((n, tier) => n + tier.length, 0);
  const root: Record<string, Encodable | undefined> = {
    announce: tiers.length > 0 ? tiers[0][0] : undefined,
    "announce-list": urlCount > 1 ? tiers : undefined,
    comment: options.comment,
    "created by": options.createdBy ?? "ccbt/0.1.0",
    "creation date": creationDate,
    info: buildInfo(parts),
    "piece layers": layers,
    "url-list": webSeeds.length > 0 ? webSeeds : undefined,
  };
  const bytes = encode(root);
  return { bytes, info: parseTorrent(bytes) };
}
