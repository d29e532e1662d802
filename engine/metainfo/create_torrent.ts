/**
 * Making a v1 .torrent (BEP 3) from a file or a directory.
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
import { hashPieces } from "./_hash_pieces.ts";
import { collectFiles } from "./_walk.ts";
import type { TorrentInfo } from "./types.ts";

/** Options for {@link createTorrent}. */
export interface CreateTorrentOptions {
  /**
   * Tracker URLs (http, https or udp). A flat list puts each URL in its own tier, in order (the backup order
   * mktorrent uses for repeated `-a`); a list of lists gives the tiers (BEP 12). The first URL becomes `announce`;
   * `announce-list` is written when there is more than one URL.
   */
  trackers?: readonly (readonly string[])[] | readonly string[];
  /** Bytes per piece: a multiple of 16 KiB from 16 KiB to 512 MiB. Default: `autoPieceLength(total)`. */
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
  /** Called as hashing goes, with bytes hashed so far and total bytes. */
  onProgress?: (hashedBytes: number, totalBytes: number) => void;
}

/** What {@link createTorrent} made. */
export interface CreatedTorrent {
  /** The .torrent file contents. */
  bytes: Uint8Array;
  /** `parseTorrent(bytes)`. */
  info: TorrentInfo;
}

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

function checkPieceLength(pieceLength: number): number {
  if (
    !Number.isSafeInteger(pieceLength) || pieceLength < MIN_PIECE_LENGTH || pieceLength > MAX_PIECE_LENGTH ||
    pieceLength % MIN_PIECE_LENGTH !== 0
  ) {
    throw new RangeError(
      `Cannot create torrent: piece length ${pieceLength} is not a multiple of 16 KiB from 16 KiB to 512 MiB`,
    );
  }
  return pieceLength;
}

/**
 * Creates a v1 torrent (BEP 3) of a file or a directory. A directory is walked recursively, files are sorted by
 * path (UTF-8 byte order, component by component) and nothing is skipped; symbolic links are followed when they
 * point inside the directory. Pieces are hashed with SHA-1 (`node:crypto`) from large positional reads, pieces
 * spanning file boundaries. The name is the last component of `path`.
 *
 * Note: `info.files` holds the sanitised paths `parseTorrent` gives; a name that sanitising changes (a trailing
 * dot, a Windows device name, ...) differs there from the name on disk.
 *
 * @param path A file or directory.
 * @param options Trackers, piece length, private flag, comment, creator, date, web seeds, progress callback.
 * @returns The .torrent bytes and their parse.
 * @throws {RangeError} For a bad option (URL, piece length, date), or when the content breaks a metainfo cap
 *   (empty, more than 2,097,152 pieces, 1,000,000 files, paths deeper than 100, a file over 16 TiB).
 * @throws {Error} When the path has no name, contains no files, holds a symbolic link pointing outside it or
 *   looping, or holds something that is not a regular file or directory.
 * @throws {StorageError} When a file cannot be read or shrinks while being hashed.
 *
 * @example Create and parse a torrent of one file
 * ```ts
 * import { createTorrent } from "./create_torrent.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/hello.txt`, new TextEncoder().encode("hello"));
 * const { info } = await createTorrent(`${dir}/hello.txt`, { trackers: ["udp://127.0.0.1:6969"] });
 * assert.equal(info.name, "hello.txt");
 * assert.equal(info.totalLength, 5);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function createTorrent(
  path: string,
  options: CreateTorrentOptions = {},
): Promise<CreatedTorrent> {
  const tiers = trackerTiers(options.trackers);
  const webSeeds = (options.webSeeds ?? []).map((url) => checkUrl(url, ["http:", "https:"], "web seed"));
  const creationDate = options.creationDate ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(creationDate) || creationDate < 0) {
    throw new RangeError(
      `Cannot create torrent: creation date ${creationDate} is not a whole number of seconds`,
    );
  }
  if (options.pieceLength !== undefined) checkPieceLength(options.pieceLength);

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
  if (Math.ceil(total / pieceLength) > MAX_PIECE_COUNT) {
    throw new RangeError(
      `Cannot create torrent: ${total} bytes in pieces of ${pieceLength} makes more than ${MAX_PIECE_COUNT} pieces`,
    );
  }

  const pieces = await hashPieces(files, pieceLength, options.onProgress);
  const info: Record<string, Encodable | undefined> = {
    name,
    "piece length": pieceLength,
    pieces,
    private: options.private === true ? 1 : undefined,
    ...(multiFile
      ? { files: files.map((file) => ({ length: file.length, path: file.path })) }
      : { length: files[0].length }),
  };
  const urlCount = tiers.reduce((n, tier) => n + tier.length, 0);
  const bytes = encode({
    announce: tiers.length > 0 ? tiers[0][0] : undefined,
    "announce-list": urlCount > 1 ? tiers : undefined,
    comment: options.comment,
    "created by": options.createdBy ?? "ccbt/0.1.0",
    "creation date": creationDate,
    info,
    "url-list": webSeeds.length > 0 ? webSeeds : undefined,
  });
  return { bytes, info: parseTorrent(bytes) };
}
