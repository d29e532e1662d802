/**
 * The state database's schema, version 2, and the migrations from earlier versions. A later version adds its
 * migration from the previous one to {@linkcode MIGRATIONS}; a database whose `user_version` has no migration
 * path is kept aside (see `_state_open.ts`).
 *
 * Versions: 1 torrents; 2 adds the DHT node id and nodes (`dht_state`, `dht_nodes`).
 *
 * Column order puts the small scalars first and the large blobs last, so `list()` (which skips `metainfo`)
 * never walks a torrent's overflow pages.
 *
 * @module
 */

/** Schema version of the state database, stored as SQLite's `PRAGMA user_version`. */
export const STATE_SCHEMA_VERSION = 2;

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

/** The tables a database of the current version must have, with the columns each must have. */
export const REQUIRED_TABLES: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ["torrents", TORRENT_COLUMNS],
  ["torrents_rejected", [...TORRENT_COLUMNS, "rejected_at", "reason"]],
  ["dht_state", ["node_id", "saved_at"]],
  ["dht_nodes", ["node_id", "address", "last_seen"]],
]);

/**
 * The DHT tables (version 2). `dht_state` holds at most one row: our node id (BEP 5, 20 bytes) and when it was
 * saved (ms since the epoch). `dht_nodes` holds good nodes of the routing table: the node's 20-byte id, its
 * address in compact form (4-byte IPv4 or 16-byte IPv6, then the 2-byte big-endian UDP port: BEP 5 and BEP 32)
 * and when it was last heard from (ms since the epoch). No constraints: rows are checked when read, and a bad
 * one is skipped.
 */
const DHT_TABLES_SQL = `
CREATE TABLE dht_state (
  node_id BLOB NOT NULL,
  saved_at INTEGER NOT NULL
);
CREATE TABLE dht_nodes (
  node_id BLOB NOT NULL,
  address BLOB NOT NULL,
  last_seen INTEGER NOT NULL
);
`;

/**
 * Creates the current schema. Integers are ms since the epoch or bytes; `have` is the BEP 3 bitfield;
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
${DHT_TABLES_SQL}
PRAGMA user_version = ${STATE_SCHEMA_VERSION};
`;

/**
 * The statements that upgrade a database of version `v` to version `v + 1`, keyed by `v`; run one by one in one
 * transaction with the check of the upgraded tables. Version 1 to 2 adds the DHT tables and keeps every
 * torrent row.
 */
export const MIGRATIONS: ReadonlyMap<number, readonly string[]> = new Map([
  [1, [...statements(DHT_TABLES_SQL), "PRAGMA user_version = 2"]],
]);

/** The statements of a script of `CREATE TABLE`s (no `;` inside a statement). */
function statements(script: string): string[] {
  return script.split(";").map((s) => s.trim()).filter((s) => s !== "");
}
