/**
 * The checkpoint JSON format: a documented, versioned export of one torrent's saved state, for people and
 * tools (`ccbt checkpoints export` / `import`).
 *
 * @module
 */

import { isAbsolute } from "node:path";
import { parseTorrent } from "../metainfo/mod.ts";
import { checkRecord } from "./_state_record.ts";
import type { FileStamp, TorrentRecord } from "./_state_types.ts";

/** The `format` field of every checkpoint JSON. */
export const CHECKPOINT_FORMAT = "ccbt-checkpoint";
/** The `version` of the checkpoint JSON this code writes and the only one it reads. */
export const CHECKPOINT_VERSION = 1;

/**
 * One torrent's checkpoint as plain JSON (version 1). Numbers are JSON numbers (integers unless noted); byte
 * strings are standard base64 with padding (RFC 4648 section 4). Optional fields are left out, never `null`.
 *
 * ```json
 * { "format": "ccbt-checkpoint", "version": 1, "infoHash": "<40 hex>", "name": "ubuntu.iso",
 *   "savePath": "/home/me/Downloads", "state": "seeding", "pieceCount": 3, "totalLength": 40000,
 *   "have": "4A==", "files": [{ "size": 40000, "mtimeMs": 1700000000000 }], "uploaded": 0,
 *   "downloaded": 40000, "addedAt": 1700000000000, "lastActiveAt": 1700000000000, "magnet": "magnet:?..." }
 * ```
 */
export interface CheckpointJson {
  /** Always `"ccbt-checkpoint"` ({@linkcode CHECKPOINT_FORMAT}). */
  format: "ccbt-checkpoint";
  /** Always `1` ({@linkcode CHECKPOINT_VERSION}); a reader rejects other versions. */
  version: 1;
  /** The v1 info-hash (BEP 3): 40 lowercase hex digits. */
  infoHash: string;
  /** Display name. */
  name: string;
  /** Absolute path of the directory the torrent's files are saved under. */
  savePath: string;
  /** `downloading`, `seeding`, `paused`, `error` or `checking` (free text). */
  state: string;
  /** What went wrong, when `state` is `error`. */
  error?: string;
  /** Number of pieces; `0` for a magnet whose metadata is not known yet. */
  pieceCount: number;
  /** Sum of the file lengths, in bytes. */
  totalLength: number;
  /**
   * Base64 of the have-bitfield (BEP 3 layout: high bit of the first byte is piece 0), exactly
   * `ceil(pieceCount / 8)` bytes, spare bits zero: the pieces verified and durable on disk.
   */
  have: string;
  /**
   * One entry per torrent file, in torrent order: `size` in bytes (`-1` when the file was missing) and
   * `mtimeMs`, its modification time in ms since the Unix epoch (may be fractional), at the checkpoint.
   */
  files: FileStamp[];
  /** One priority per file, `0` (skip) to `7`. */
  filePriorities?: number[];
  /** Payload bytes uploaded, total over all sessions. */
  uploaded: number;
  /** Payload bytes downloaded, total over all sessions. */
  downloaded: number;
  /** When the torrent was added, in ms since the Unix epoch. */
  addedAt: number;
  /** When the torrent was last active, in ms since the Unix epoch. */
  lastActiveAt: number;
  /** When the torrent first completed, in ms since the Unix epoch. */
  completedAt?: number;
  /** Base64 of the .torrent file; the SHA-1 of its raw `info` value must equal `infoHash`. */
  metainfo?: string;
  /** The magnet URI (BEP 9). At least one of `metainfo` and `magnet` is present. */
  magnet?: string;
}

const FIELDS = new Set([
  "format",
  "version",
  "infoHash",
  "name",
  "savePath",
  "state",
  "error",
  "pieceCount",
  "totalLength",
  "have",
  "files",
  "filePriorities",
  "uploaded",
  "downloaded",
  "addedAt",
  "lastActiveAt",
  "completedAt",
  "metainfo",
  "magnet",
]);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const WHAT = "import checkpoint";

/**
 * A torrent record as checkpoint JSON (see {@linkcode CheckpointJson} for the format).
 *
 * @param record A record, e.g. from `StateStore.get` (with `metainfo`) or `StateStore.list` (without).
 * @returns A new plain object; `JSON.stringify` it to write the file.
 *
 * @example Export and import again
 * ```ts
 * import { exportCheckpoint, importCheckpoint } from "./checkpoint_json.ts";
 * import assert from "node:assert/strict";
 *
 * const record = {
 *   infoHash: "ab".repeat(20), name: "a.bin", magnet: `magnet:?xt=urn:btih:${"ab".repeat(20)}`,
 *   savePath: "/tmp/dl", state: "paused", pieceCount: 3, totalLength: 40_000, have: new Uint8Array([0xa0]),
 *   files: [{ size: 40_000, mtimeMs: 5 }], uploaded: 0, downloaded: 16_384, addedAt: 1, lastActiveAt: 5,
 * };
 * const json = exportCheckpoint(record);
 * assert.equal(json.have, "oA==");
 * assert.deepEqual(importCheckpoint(JSON.parse(JSON.stringify(json))), record);
 * ```
 */
export function exportCheckpoint(record: TorrentRecord): CheckpointJson {
  const json: CheckpointJson = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    infoHash: record.infoHash,
    name: record.name,
    savePath: record.savePath,
    state: record.state,
    pieceCount: record.pieceCount,
    totalLength: record.totalLength,
    have: record.have.toBase64(),
    files: record.files.map((stamp) => ({ size: stamp.size, mtimeMs: stamp.mtimeMs })),
    uploaded: record.uploaded,
    downloaded: record.downloaded,
    addedAt: record.addedAt,
    lastActiveAt: record.lastActiveAt,
  };
  if (record.error !== undefined) json.error = record.error;
  if (record.filePriorities !== undefined) json.filePriorities = [...record.filePriorities];
  if (record.completedAt !== undefined) json.completedAt = record.completedAt;
  if (record.metainfo !== undefined) json.metainfo = record.metainfo.toBase64();
  if (record.magnet !== undefined) json.magnet = record.magnet;
  return json;
}

/**
 * Checks checkpoint JSON strictly and turns it into a torrent record (the info-hash lowercased).
 *
 * @param json The parsed JSON (`JSON.parse` of a file written from {@linkcode exportCheckpoint}).
 * @returns A new record, ready for `StateStore.put`.
 * @throws {TypeError} When `json` is not an object, `format` is not `"ccbt-checkpoint"`, a field is unknown,
 *   missing or of the wrong type (named in the message), base64 is malformed, `savePath` is not absolute,
 *   neither `metainfo` nor `magnet` is given, or `metainfo` is not a torrent whose info-hash, piece count and
 *   total length match the checkpoint's.
 * @throws {RangeError} When `version` is not 1 ("Cannot import checkpoint: version 2 is not supported"), a
 *   count is negative or unsafe, `have` is not `ceil(pieceCount / 8)` bytes or has spare bits set, or a file
 *   priority is outside 0..7 or not one per file.
 */
export function importCheckpoint(json: unknown): TorrentRecord {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TypeError(`Cannot ${WHAT}: it is not a JSON object`);
  }
  const input = json as Record<string, unknown>;
  if (input.format !== CHECKPOINT_FORMAT) {
    throw new TypeError(`Cannot ${WHAT}: format is not "${CHECKPOINT_FORMAT}"`);
  }
  if (typeof input.version !== "number" || !Number.isInteger(input.version)) {
    throw new TypeError(`Cannot ${WHAT}: version is not an integer`);
  }
  if (input.version !== CHECKPOINT_VERSION) {
    throw new RangeError(`Cannot ${WHAT}: version ${input.version} is not supported`);
  }
  for (const key of Object.keys(input)) {
    if (!FIELDS.has(key)) throw new TypeError(`Cannot ${WHAT}: unknown field ${JSON.stringify(key)}`);
    if (input[key] === null) throw new TypeError(`Cannot ${WHAT}: ${key} is null`);
  }
  if (typeof input.infoHash !== "string") throw new TypeError(`Cannot ${WHAT}: infoHash is not a string`);
  const record = {
    infoHash: input.infoHash.toLowerCase(),
    name: input.name,
    savePath: input.savePath,
    state: input.state,
    pieceCount: input.pieceCount,
    totalLength: input.totalLength,
    have: base64(input.have, "have"),
    files: stamps(input.files),
    uploaded: input.uploaded,
    downloaded: input.downloaded,
    addedAt: input.addedAt,
    lastActiveAt: input.lastActiveAt,
  } as TorrentRecord;
  if (input.error !== undefined) record.error = input.error as string;
  if (input.filePriorities !== undefined) record.filePriorities = input.filePriorities as number[];
  if (input.completedAt !== undefined) record.completedAt = input.completedAt as number;
  if (input.metainfo !== undefined) record.metainfo = base64(input.metainfo, "metainfo");
  if (input.magnet !== undefined) record.magnet = input.magnet as string;
  checkRecord(record, WHAT);
  if (!isAbsolute(record.savePath)) throw new TypeError(`Cannot ${WHAT}: savePath is not an absolute path`);
  if (record.magnet !== undefined && !record.magnet.startsWith("magnet:")) {
    throw new TypeError(`Cannot ${WHAT}: magnet is not a magnet URI`);
  }
  if (record.metainfo === undefined) {
    if (record.magnet === undefined) {
      throw new TypeError(`Cannot ${WHAT}: neither metainfo nor magnet is given`);
    }
  } else {
    checkMetainfo(record);
  }
  return record;
}

function checkMetainfo(record: TorrentRecord): void {
  let torrent;
  try {
    torrent = parseTorrent(record.metainfo!);
  } catch (error) {
    throw new TypeError(`Cannot ${WHAT}: metainfo is not a valid torrent: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (torrent.infoHashHex !== record.infoHash) {
    throw new TypeError(
      `Cannot ${WHAT}: metainfo has info-hash ${torrent.infoHashHex}, not infoHash ${record.infoHash}`,
    );
  }
  if (torrent.pieceCount !== record.pieceCount || torrent.totalLength !== record.totalLength) {
    throw new TypeError(
      `Cannot ${WHAT}: metainfo has ${torrent.pieceCount} pieces of ${torrent.totalLength} bytes in all, ` +
        `not pieceCount ${record.pieceCount} and totalLength ${record.totalLength}`,
    );
  }
}

function base64(value: unknown, field: string): Uint8Array {
  if (typeof value !== "string") throw new TypeError(`Cannot ${WHAT}: ${field} is not a string`);
  if (!BASE64.test(value)) throw new TypeError(`Cannot ${WHAT}: ${field} is not valid base64`);
  try {
    return Uint8Array.fromBase64(value, { lastChunkHandling: "strict" });
  } catch (error) {
    throw new TypeError(`Cannot ${WHAT}: ${field} is not valid base64`, { cause: error });
  }
}

function stamps(value: unknown): FileStamp[] {
  if (!Array.isArray(value)) throw new TypeError(`Cannot ${WHAT}: files is not an array`);
  return value.map((stamp, i) => {
    if (typeof stamp !== "object" || stamp === null || Array.isArray(stamp)) {
      throw new TypeError(`Cannot ${WHAT}: files[${i}] is not an object`);
    }
    const extra = Object.keys(stamp).find((key) => key !== "size" && key !== "mtimeMs");
    if (extra !== undefined) {
      throw new TypeError(`Cannot ${WHAT}: files[${i}] has unknown field ${JSON.stringify(extra)}`);
    }
    return { size: stamp.size, mtimeMs: stamp.mtimeMs };
  });
}
