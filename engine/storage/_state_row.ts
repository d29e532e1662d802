/**
 * Converts between `TorrentRecord`s and rows of the `torrents` table, checking rows read back from disk as
 * strictly as records put by the engine.
 *
 * @module
 */

import type { SQLInputValue } from "node:sqlite";
import { checkRecord } from "./_state_record.ts";
import type { FileStamp, TorrentRecord } from "./_state_types.ts";

/** A row as read with `setReadBigInts(true)`: integers are `bigint`, blobs `Uint8Array`. */
export type StateRow = Record<string, unknown>;

/**
 * Named parameters (`$column`) for an insert of `record`.
 * @param record A record already checked by `checkRecord`.
 */
export function rowOfRecord(record: TorrentRecord): Record<string, SQLInputValue> {
  return {
    info_hash: record.infoHash,
    name: record.name,
    save_path: record.savePath,
    state: record.state,
    error: record.error ?? null,
    magnet: record.magnet ?? null,
    piece_count: record.pieceCount,
    total_length: record.totalLength,
    uploaded: record.uploaded,
    downloaded: record.downloaded,
    added_at: record.addedAt,
    last_active_at: record.lastActiveAt,
    completed_at: record.completedAt ?? null,
    have: record.have,
    files: encodeFiles(record.files),
    file_priorities: record.filePriorities === undefined ? null : JSON.stringify(record.filePriorities),
    metainfo: record.metainfo ?? null,
  };
}

/** `files` as stored: compact JSON `[[size, mtimeMs], ...]`. */
export function encodeFiles(files: readonly FileStamp[]): string {
  return JSON.stringify(files.map((stamp) => [stamp.size, stamp.mtimeMs]));
}

/**
 * The record a row holds (`metainfo` only when the row has that column).
 * @param row A row of `torrents`.
 * @param what The action for messages, e.g. `use saved state of torrent <hash>`.
 * @throws {TypeError} A column of the wrong type or shape, named in the message by its record field.
 * @throws {RangeError} A number out of range, or a bitfield or priority list of the wrong length.
 */
export function recordOfRow(row: StateRow, what: string): TorrentRecord {
  const record: TorrentRecord = {
    infoHash: row.info_hash as string,
    name: row.name as string,
    savePath: row.save_path as string,
    state: row.state as string,
    pieceCount: integer(row.piece_count),
    totalLength: integer(row.total_length),
    have: row.have as Uint8Array,
    files: decodeFiles(row.files, what),
    uploaded: integer(row.uploaded),
    downloaded: integer(row.downloaded),
    addedAt: integer(row.added_at),
    lastActiveAt: integer(row.last_active_at),
  };
  if (row.error !== null) record.error = row.error as string;
  if (row.magnet !== null) record.magnet = row.magnet as string;
  if (row.completed_at !== null) record.completedAt = integer(row.completed_at);
  if (row.file_priorities !== null) {
    record.filePriorities = decodeJson(row.file_priorities, "filePriorities", what) as number[];
  }
  if (row.metainfo !== null && row.metainfo !== undefined) record.metainfo = row.metainfo as Uint8Array;
  checkRecord(record, what);
  return record;
}

/** A `bigint` in the safe range as a number; anything else as `NaN`, which `checkRecord` rejects. */
function integer(value: unknown): number {
  if (
    typeof value === "bigint" && value >= BigInt(Number.MIN_SAFE_INTEGER) &&
    value <= BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    return Number(value);
  }
  return NaN;
}

function decodeFiles(value: unknown, what: string): FileStamp[] {
  const pairs = decodeJson(value, "files", what);
  if (!Array.isArray(pairs)) throw new TypeError(`Cannot ${what}: files is not a JSON array`);
  return pairs.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new TypeError(`Cannot ${what}: files[${i}] is not a [size, mtimeMs] pair`);
    }
    return { size: pair[0], mtimeMs: pair[1] };
  });
}

function decodeJson(value: unknown, field: string, what: string): unknown {
  if (typeof value !== "string") throw new TypeError(`Cannot ${what}: ${field} is not JSON text`);
  try {
    return JSON.parse(value);
  } catch {
    throw new TypeError(`Cannot ${what}: ${field} is not valid JSON`);
  }
}
