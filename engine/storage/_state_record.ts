/**
 * Shape checks shared by the state store (records put by the engine, rows read back from disk) and the
 * checkpoint JSON importer, so the three agree on what a valid torrent record is.
 *
 * @module
 */

import type { FileStamp, ProgressUpdate, TorrentRecord } from "./_state_types.ts";

const INFO_HASH = /^[0-9a-f]{40}$/;

/** Highest file priority (libtorrent's `top_priority`). */
export const MAX_FILE_PRIORITY = 7;

/** Bytes in a bitfield of `pieceCount` pieces (BEP 3): `ceil(pieceCount / 8)`. */
export function haveLength(pieceCount: number): number {
  return Math.ceil(pieceCount / 8);
}

/**
 * Checks every field of a torrent record.
 * @param record The record to check.
 * @param what The action for messages, e.g. `save torrent state` gives "Cannot save torrent state: ...".
 * @throws {TypeError} A field of the wrong type or shape, named in the message.
 * @throws {RangeError} A number out of range, or a bitfield or priority list of the wrong length.
 */
export function checkRecord(record: TorrentRecord, what: string): void {
  if (typeof record !== "object" || record === null) fail(what, "the record is not an object");
  if (typeof record.infoHash !== "string" || !INFO_HASH.test(record.infoHash)) {
    fail(what, "infoHash is not 40 lowercase hex digits");
  }
  text(what, record.name, "name");
  text(what, record.savePath, "savePath");
  text(what, record.state, "state");
  if (record.error !== undefined) text(what, record.error, "error");
  if (record.magnet !== undefined) text(what, record.magnet, "magnet");
  if (record.metainfo !== undefined && !(record.metainfo instanceof Uint8Array)) {
    fail(what, "metainfo is not a Uint8Array");
  }
  count(what, record.pieceCount, "pieceCount");
  count(what, record.totalLength, "totalLength");
  count(what, record.addedAt, "addedAt");
  if (record.filePriorities !== undefined) {
    checkPriorities(what, record.filePriorities, Array.isArray(record.files) ? record.files.length : 0);
  }
  checkProgress(record, record.pieceCount, what);
}

/**
 * Checks the fields a checkpoint writes, for a torrent of `pieceCount` pieces.
 * @throws {TypeError} A field of the wrong type or shape, named in the message.
 * @throws {RangeError} A number out of range, or a bitfield of the wrong length.
 */
export function checkProgress(update: ProgressUpdate, pieceCount: number, what: string): void {
  if (typeof update !== "object" || update === null) fail(what, "the update is not an object");
  checkHave(what, update.have, pieceCount);
  checkFiles(what, update.files);
  count(what, update.uploaded, "uploaded");
  count(what, update.downloaded, "downloaded");
  text(what, update.state, "state");
  if (update.error !== undefined) text(what, update.error, "error");
  count(what, update.lastActiveAt, "lastActiveAt");
  if (update.completedAt !== undefined) count(what, update.completedAt, "completedAt");
}

function checkHave(what: string, have: unknown, pieceCount: number): void {
  if (!(have instanceof Uint8Array)) fail(what, "have is not a Uint8Array");
  const expected = haveLength(pieceCount);
  if (have.length !== expected) {
    fail(what, `have is ${have.length} bytes, not ${expected} for ${pieceCount} pieces`, RangeError);
  }
  const spare = expected * 8 - pieceCount;
  if (spare > 0 && (have[expected - 1] & ((1 << spare) - 1)) !== 0) {
    fail(what, "have has spare bits set past the last piece", RangeError);
  }
}

function checkFiles(what: string, files: unknown): asserts files is FileStamp[] {
  if (!Array.isArray(files)) fail(what, "files is not an array");
  for (let i = 0; i < files.length; i++) {
    const stamp = files[i] as FileStamp;
    if (typeof stamp !== "object" || stamp === null) fail(what, `files[${i}] is not an object`);
    if (!Number.isSafeInteger(stamp.size)) fail(what, `files[${i}].size is not an integer`);
    if (stamp.size < -1) fail(what, `files[${i}].size ${stamp.size} is below -1`, RangeError);
    if (typeof stamp.mtimeMs !== "number" || !Number.isFinite(stamp.mtimeMs)) {
      fail(what, `files[${i}].mtimeMs is not a finite number`);
    }
  }
}

function checkPriorities(what: string, priorities: unknown, fileCount: number): void {
  if (!Array.isArray(priorities)) fail(what, "filePriorities is not an array");
  if (priorities.length !== fileCount) {
    fail(
      what,
      `filePriorities has ${priorities.length} entries, not one per file (${fileCount})`,
      RangeError,
    );
  }
  for (let i = 0; i < priorities.length; i++) {
    const p = priorities[i];
    if (!Number.isInteger(p)) fail(what, `filePriorities[${i}] is not an integer`);
    if (p < 0 || p > MAX_FILE_PRIORITY) {
      fail(what, `filePriorities[${i}] ${p} is not in 0..${MAX_FILE_PRIORITY}`, RangeError);
    }
  }
}

function text(what: string, value: unknown, field: string): void {
  if (typeof value !== "string") fail(what, `${field} is not a string`);
}

function count(what: string, value: unknown, field: string): void {
  if (typeof value !== "number" || !Number.isInteger(value)) fail(what, `${field} is not an integer`);
  if (value < 0 || !Number.isSafeInteger(value)) {
    fail(what, `${field} ${value} is not a non-negative safe integer`, RangeError);
  }
}

function fail(what: string, detail: string, Kind: ErrorConstructor = TypeError): never {
  throw new Kind(`Cannot ${what}: ${detail}`);
}
