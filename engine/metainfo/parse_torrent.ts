/**
 * Parsing .torrent files: v1 (BEP 3), v2-only and hybrid (BEP 52).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type BencodeDict, decodeWithSpans } from "../bencode/mod.ts";
import { BencodeError, MetainfoError } from "../errors.ts";
import { MAX_PIECE_COUNT, MAX_PIECE_LENGTH, MAX_TORRENT_BYTES, MIN_PIECE_LENGTH } from "./limits.ts";
import { finishFiles, parseFiles } from "./_files.ts";
import { parseFileTree } from "./_file_tree.ts";
import { hex } from "./_hex.ts";
import { checkHybrid } from "./_hybrid.ts";
import { parsePieceLayers } from "./_piece_layers.ts";
import { sanitizeOrEmpty } from "./_sanitize.ts";
import { preferUtf8 } from "./_text.ts";
import { parseAnnounceList, parseUrlList } from "./_trackers.ts";
import type { TorrentFile, TorrentInfo } from "./types.ts";

function bad(detail: string): never {
  throw new MetainfoError(`Cannot parse torrent: ${detail}`);
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

/** BEP 52: `meta version` is checked before anything else, so a newer format is reported as such. */
function versionOf(info: BencodeDict): TorrentInfo["version"] {
  const metaVersion = info.get("meta version");
  if (metaVersion === undefined) return "v1";
  if (typeof metaVersion !== "number") bad("meta version is not an integer");
  if (metaVersion === 1) return "v1";
  if (metaVersion !== 2) bad(`unsupported meta version ${metaVersion}`);
  return info.has("pieces") ? "hybrid" : "v2";
}

function checkPieceLength(info: BencodeDict, version: TorrentInfo["version"]): number {
  const pieceLength = info.get("piece length");
  if (typeof pieceLength !== "number") bad("piece length is missing or not an integer");
  if (pieceLength < MIN_PIECE_LENGTH || pieceLength > MAX_PIECE_LENGTH) {
    bad(`piece length ${pieceLength} is outside ${MIN_PIECE_LENGTH}..${MAX_PIECE_LENGTH}`);
  }
  if (version !== "v1" && (pieceLength & (pieceLength - 1)) !== 0) {
    bad(`piece length ${pieceLength} is not a power of two, as BitTorrent v2 requires`);
  }
  return pieceLength;
}

function checkPieces(info: BencodeDict): Uint8Array {
  const pieces = info.get("pieces");
  if (!(pieces instanceof Uint8Array)) bad("pieces is missing or not a byte string");
  if (pieces.length % 20 !== 0) bad(`pieces is ${pieces.length} bytes, not a multiple of 20`);
  if (pieces.length / 20 > MAX_PIECE_COUNT) {
    bad(`more than ${MAX_PIECE_COUNT} pieces (${pieces.length / 20})`);
  }
  return pieces;
}

interface Content {
  files: TorrentFile[];
  totalLength: number;
  multiFile: boolean;
  pieceHashes: Uint8Array;
  pieceLayers?: Map<string, Uint8Array>;
}

function content(
  root: BencodeDict,
  info: BencodeDict,
  version: TorrentInfo["version"],
  name: string,
  pieceLength: number,
): Content {
  const maxTotal = pieceLength * MAX_PIECE_COUNT;
  const pieces = version === "v2" ? new Uint8Array(0) : checkPieces(info);
  const v1 = version === "v2" ? undefined : parseFiles(info, name, maxTotal);
  if (v1 !== undefined) {
    if (v1.totalLength === 0) bad("the total length is 0 bytes");
    const pieceCount = Math.ceil(v1.totalLength / pieceLength);
    if (pieces.length !== pieceCount * 20) {
      bad(`pieces holds ${pieces.length / 20} hashes but ${v1.totalLength} bytes need ${pieceCount}`);
    }
  }
  const v2 = version === "v1" ? undefined : parseFileTree(info, name, pieceLength, maxTotal);
  if (v2 !== undefined && v2.totalLength === 0) bad("the total length is 0 bytes");
  if (v1 !== undefined && v2 !== undefined) checkHybrid(v1, v2, pieceLength);
  const pieceLayers = v2 === undefined ? undefined : parsePieceLayers(root, v2.real, pieceLength);
  const chosen = v1 ?? { drafts: v2!.layout, totalLength: v2!.totalLength, multiFile: v2!.multiFile };
  return {
    files: finishFiles(chosen.drafts),
    totalLength: chosen.totalLength,
    multiFile: chosen.multiFile,
    pieceHashes: pieces,
    ...(pieceLayers === undefined ? {} : { pieceLayers }),
  };
}

/**
 * Parses a .torrent file: v1 (BEP 3), v2-only or hybrid v1/v2 (BEP 52), with multitracker tiers (BEP 12), the
 * private flag (BEP 27), web seeds (BEP 19) and BEP 47 file attributes (padding, executable, hidden, symbolic
 * links).
 *
 * Rules and caps (DESIGN.md section 8, HOSTILE_INPUTS.md cases 5–12, 14–21):
 * - at most 10,000,000 bytes; strict bencode (sorted unique keys, no trailing bytes);
 * - `meta version` is read first: absent (or 1) means v1, 2 means v2 (hybrid when `pieces` is present too), any
 *   other value is refused as unsupported before any other check;
 * - the info-hashes are SHA-1 (v1) and SHA-256 (v2) of the `info` value's bytes exactly as found, never of a
 *   re-encoding; `infoHash` is the 20 bytes used on the wire: SHA-1 for v1 and hybrid, the truncated SHA-256 for
 *   v2-only;
 * - `piece length` is an integer from 16 KiB to 512 MiB; v2 and hybrid need a power of two. For v1, BEP 3 calls
 *   powers of two conventional, not required, so other values in range are accepted, as libtorrent does;
 * - v1 `pieces` is a multiple of 20 bytes, holding exactly `ceil(total / piece length)` hashes, at most 2,097,152;
 * - v2 `file tree`: nested dictionaries, a file being `{"": {length, pieces root, attr, symlink path}}` with no
 *   siblings; non-empty files need a 32-byte non-zero pieces root; files are laid out piece-aligned in tree order;
 * - v2 `piece layers` (top level): for each file larger than one piece, exactly its piece count of hashes, leading
 *   to its pieces root. Absent altogether is accepted (metadata from a magnet link has none);
 * - hybrid: the v1 files (with BEP 47 padding files) and the v2 files must be the same files, in the same order, at
 *   the same piece-aligned offsets; the v1 list is used for `files`;
 * - the total length is above 0; each file is 0..16 TiB; at most 1,000,000 files of at most 100 path components;
 * - each path component is sanitised (see `sanitizePathComponent`); a missing, empty, `.` or `..` name becomes the
 *   info-hash in hex; files whose sanitised path repeats an earlier file or names a directory of the torrent are
 *   renamed deterministically by inserting `.1`, `.2`, ... before the extension (`a.txt` → `a.1.txt`); BEP 47
 *   `symlink path` components are sanitised the same way;
 * - v1 `files` wins over `length` when both are present (libtorrent does the same);
 * - malformed trackers, web seeds, comment or dates are ignored rather than fatal.
 *
 * A v2-only torrent parses, but the session cannot download it yet.
 *
 * The result's byte arrays are views into one private copy of `bytes`.
 *
 * @param bytes The .torrent file contents.
 * @returns The parsed torrent; its arrays are frozen.
 * @throws {MetainfoError} When the bytes are not valid bencode (the `BencodeError` is the `cause`) or not a
 *   valid torrent, or a cap is exceeded.
 *
 * @example Parse a single-file torrent
 * ```ts
 * import { parseTorrent } from "./parse_torrent.ts";
 * import { encode } from "../bencode/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const info = { length: 5, name: "a.txt", "piece length": 16384, pieces: new Uint8Array(20) };
 * const torrent = parseTorrent(encode({ announce: "udp://127.0.0.1:6969", info }));
 * assert.equal(torrent.version, "v1");
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
  const version = versionOf(info);
  const pieceLength = checkPieceLength(info, version);

  const infoHashV2 = version === "v1"
    ? undefined
    : new Uint8Array(createHash("sha256").update(infoBytes).digest());
  const infoHash = version === "v2"
    ? infoHashV2!.slice(0, 20)
    : new Uint8Array(createHash("sha1").update(infoBytes).digest());
  const infoHashHex = hex(infoHash);
  const rawName = preferUtf8(info, "name");
  const name = (rawName === undefined ? "" : sanitizeOrEmpty(rawName)) || infoHashHex;

  const { files, totalLength, multiFile, pieceHashes, pieceLayers } = content(
    root,
    info,
    version,
    name,
    pieceLength,
  );
  const creationDate = root.get("creation date");
  const comment = preferUtf8(root, "comment");
  const createdBy = preferUtf8(root, "created by");
  return Object.freeze({
    version,
    infoHash,
    infoHashHex,
    ...(infoHashV2 === undefined ? {} : { infoHashV2, infoHashV2Hex: hex(infoHashV2) }),
    name,
    pieceLength,
    pieceCount: Math.ceil(totalLength / pieceLength),
    totalLength,
    pieceHashes,
    files: Object.freeze(files),
    multiFile,
    ...(pieceLayers === undefined ? {} : { pieceLayers }),
    announceList: Object.freeze(parseAnnounceList(root).map((tier) => Object.freeze(tier))),
    private: info.get("private") === 1,
    ...(comment === undefined ? {} : { comment }),
    ...(createdBy === undefined ? {} : { createdBy }),
    ...(typeof creationDate === "number" && creationDate >= 0 ? { creationDate } : {}),
    urlList: Object.freeze(parseUrlList(root)),
    infoBytes,
  });
}
