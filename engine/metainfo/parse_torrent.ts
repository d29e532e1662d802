/**
 * Parsing .torrent files (BEP 3 v1; hybrids are read through their v1 fields).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type BencodeDict, decodeWithSpans } from "../bencode/mod.ts";
import { BencodeError, MetainfoError } from "../errors.ts";
import { MAX_PIECE_COUNT, MAX_PIECE_LENGTH, MAX_TORRENT_BYTES, MIN_PIECE_LENGTH } from "./limits.ts";
import { parseFiles } from "./_files.ts";
import { sanitizeOrEmpty } from "./_sanitize.ts";
import { preferUtf8 } from "./_text.ts";
import { parseAnnounceList, parseUrlList } from "./_trackers.ts";
import type { TorrentInfo } from "./types.ts";

function bad(detail: string): never {
  throw new MetainfoError(`Cannot parse torrent: ${detail}`);
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

function decodeTorrent(bytes: Uint8Array): { root: BencodeDict; info: BencodeDict; infoBytes: Uint8Array } {
  let decoded;
  try {
    decoded = decodeWithSpans(bytes);
  } catch (error) {
    if (error instanceof BencodeError) {
      throw new MetainfoError(`Cannot parse torrent: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const root = decoded.value;
  if (!(root instanceof Map)) bad("the top level is not a dictionary");
  const info = root.get("info");
  if (info === undefined) bad("info is missing");
  if (!(info instanceof Map)) bad("info is not a dictionary");
  const span = decoded.spans.get("info")!;
  return { root, info, infoBytes: bytes.subarray(span.start, span.end) };
}

/**
 * Parses a v1 .torrent file (BEP 3) with multitracker tiers (BEP 12), the private flag (BEP 27), web seeds
 * (BEP 19) and BEP 47 padding files. A hybrid v1/v2 torrent (BEP 52) is read through its v1 fields; a v2-only
 * torrent is refused for now.
 *
 * Rules and caps (DESIGN.md section 8, HOSTILE_INPUTS.md cases 5–11, 14–20):
 * - at most 10,000,000 bytes; strict bencode (sorted unique keys, no trailing bytes);
 * - the info-hash is SHA-1 of the `info` value's bytes exactly as found, never of a re-encoding;
 * - `piece length` is an integer from 16 KiB to 512 MiB. BEP 3 calls powers of two conventional, not required,
 *   so other values in range are accepted, as libtorrent does;
 * - `pieces` is a multiple of 20 bytes, holding exactly `ceil(total / piece length)` hashes, at most 2,097,152;
 * - the total length is above 0; each file is 0..16 TiB; at most 1,000,000 files of at most 100 path components;
 * - each path component is sanitised (see `sanitizePathComponent`); a missing, empty, `.` or `..` name becomes the
 *   info-hash in hex; files whose sanitised path repeats an earlier file or names a directory of the torrent are
 *   renamed deterministically by inserting `.1`, `.2`, ... before the extension (`a.txt` → `a.1.txt`);
 * - `files` wins over `length` when both are present (libtorrent does the same);
 * - malformed trackers, web seeds, comment or dates are ignored rather than fatal.
 *
 * The result's byte arrays are views into one private copy of `bytes`.
 *
 * @param bytes The .torrent file contents.
 * @returns The parsed torrent; its arrays are frozen.
 * @throws {MetainfoError} When the bytes are not valid bencode (the `BencodeError` is the `cause`) or not a
 *   valid v1 torrent, or a cap is exceeded.
 *
 * @example Parse a single-file torrent
 * ```ts
 * import { parseTorrent } from "./parse_torrent.ts";
 * import { encode } from "../bencode/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const info = { length: 5, name: "a.txt", "piece length": 16384, pieces: new Uint8Array(20) };
 * const torrent = parseTorrent(encode({ announce: "udp://127.0.0.1:6969", info }));
 * assert.equal(torrent.name, "a.txt");
 * assert.equal(torrent.pieceCount, 1);
 * assert.deepEqual(torrent.announceList, [["udp://127.0.0.1:6969"]]);
 * ```
 */
export function parseTorrent(bytes: Uint8Array): TorrentInfo {
  if (bytes.length > MAX_TORRENT_BYTES) {
    bad(`the file is ${bytes.length} bytes, more than the ${MAX_TORRENT_BYTES} allowed`);
  }
  const { root, info, infoBytes } = decodeTorrent(bytes.slice());

  const metaVersion = info.get("meta version");
  if (metaVersion !== undefined) {
    if (typeof metaVersion !== "number") bad("meta version is not an integer");
    if (metaVersion < 1 || metaVersion > 2) bad(`unsupported meta version ${metaVersion}`);
    if (metaVersion === 2 && !info.has("pieces")) {
      bad("BitTorrent v2-only torrents are not supported yet");
    }
  }

  const pieceLength = info.get("piece length");
  if (typeof pieceLength !== "number") bad("piece length is missing or not an integer");
  if (pieceLength < MIN_PIECE_LENGTH || pieceLength > MAX_PIECE_LENGTH) {
    bad(`piece length ${pieceLength} is outside ${MIN_PIECE_LENGTH}..${MAX_PIECE_LENGTH}`);
  }
  const pieces = info.get("pieces");
  if (!(pieces instanceof Uint8Array)) bad("pieces is missing or not a byte string");
  if (pieces.length % 20 !== 0) bad(`pieces is ${pieces.length} bytes, not a multiple of 20`);
  if (pieces.length / 20 > MAX_PIECE_COUNT) {
    bad(`more than ${MAX_PIECE_COUNT} pieces (${pieces.length / 20})`);
  }

  const infoHash = new Uint8Array(createHash("sha1").update(infoBytes).digest());
  const infoHashHex = hex(infoHash);
  const rawName = preferUtf8(info, "name");
  const name = (rawName === undefined ? "" : sanitizeOrEmpty(rawName)) || infoHashHex;

  const { files, totalLength, multiFile } = parseFiles(info, name, pieceLength * MAX_PIECE_COUNT);
  if (totalLength === 0) bad("the total length is 0 bytes");
  const pieceCount = Math.ceil(totalLength / pieceLength);
  if (pieces.length !== pieceCount * 20) {
    bad(`pieces holds ${pieces.length / 20} hashes but ${totalLength} bytes need ${pieceCount}`);
  }

  const creationDate = root.get("creation date");
  const comment = preferUtf8(root, "comment");
  const createdBy = preferUtf8(root, "created by");
  return Object.freeze({
    infoHash,
    infoHashHex,
    name,
    pieceLength,
    pieceCount,
    totalLength,
    pieceHashes: pieces,
    files: Object.freeze(files),
    multiFile,
    announceList: Object.freeze(parseAnnounceList(root).map((tier) => Object.freeze(tier))),
    private: info.get("private") === 1,
    ...(comment === undefined ? {} : { comment }),
    ...(createdBy === undefined ? {} : { createdBy }),
    ...(typeof creationDate === "number" && creationDate >= 0 ? { creationDate } : {}),
    urlList: Object.freeze(parseUrlList(root)),
    infoBytes,
  });
}
