/**
 * The state database's schema, version 1. A later version adds its migration from the previous one here; a
 * database whose `user_version` has no migration path is kept aside (see `_state_open.ts`).
 *
 * Column order puts the small scalars first and the large blobs last, so `list()` (which skips `metainfo`)
 * never walks a torrent's overflow pages.
 *
 * @module
 */

/** Schema version of the state database, stored as SQLite's `PRAGMA user_version`. */
export const STATE_SCHEMA_VERSION = 1;

/** File name of the state database inside the state directory. */
export const STATE_DB_NAME = "ccbt.db";

/** The `torrents` columns without `metainfo`, in table order (what `list()` reads). */
export const LIST_COLUMNS = [
  "info_hash",
  "name",
  "save_path",
  "state",
  "error",
  "magnet",
  "piece_count",
  "total_length",
  "uploaded",
  "downloaded",
  "added_at",
  "last_active_at",
  "completed_at",
  "have",
  "files",
  "file_priorities",
] as const;

/** Every `torrents` column, in table order. */
export const TORRENT_COLUMNS = [...LIST_COLUMNS, "metainfo"] as const;

/** The tables a version-1 database must have, with the columns each must have. */
export const REQUIRED_TABLES: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ["torrents", TORRENT_COLUMNS],
  ["torrents_rejected", [...TORRENT_COLUMNS, "rejected_at", "reason"]],
]);

/**
 * Creates the version-1 schema. Integers are ms since the epoch or bytes; `have` is the BEP 3 bitfield;
 * `files` is compact JSON `[[size, mtimeMs], ...]`; `file_priorities` is JSON `[p, ...]`. The rejected table
 * has no constraints: it keeps whatever a bad row held, for a person to look at.
 */
export const CREATE_SCHEMA_SQL = `
CREATE TABLE torrents (
  info_hash TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  save_path TEXT NOT NULL,
  state TEXT NOT NULL,
  error TEXT,
  magnet TEXT,
  piece_count INTEGER NOT NULL,
  total_length INTEGER NOT NULL,
  uploaded INTEGER NOT NULL,
  downloaded INTEGER NOT NULL,
  added_at INTEGER NOT NULL,
  last_active_at INTEGER NOT NULL,
  completed_at INTEGER,
  have BLOB NOT NULL,
  files TEXT NOT NULL,
  file_priorities TEXT,
  metainfo BLOB
);
CREATE TABLE torrents_rejected (
  info_hash, name, save_path, state, error, magnet, piece_count, total_length, uploaded, downloaded, added_at,
  last_active_at, completed_at, have, files, file_priorities, metainfo,
  rejected_at INTEGER,
  reason TEXT
);
PRAGMA user_version = ${STATE_SCHEMA_VERSION};
`;
