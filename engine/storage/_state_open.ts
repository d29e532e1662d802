/**
 * Opens the state database, keeping aside (never overwriting) one that is not a database, is corrupt, is of
 * another schema version, or lacks our tables (HOSTILE_INPUTS.md cases 63 and 64).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import * as fs from "node:fs";
import { join } from "node:path";
import { StorageError } from "../errors.ts";
import { toStorageError } from "./_storage_error.ts";
import {
  CREATE_SCHEMA_SQL,
  MIGRATIONS,
  REQUIRED_TABLES,
  STATE_DB_NAME,
  STATE_SCHEMA_VERSION,
} from "./_state_schema.ts";

/** How long a statement waits for another process's lock before failing, in ms. */
const BUSY_TIMEOUT_MS = 5000;
/** The WAL file is truncated back to this size (bytes) after a checkpoint. */
const JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024;

// SQLite primary result codes (https://www.sqlite.org/rescode.html) that mean the file itself is bad. Every
// other failure (locked, I/O error, disk full, permission) is raised: the file may be fine.
const SQLITE_CORRUPT = 11;
/** The generic SQL error (e.g. "table already exists"): a migration that hits it does not fit the file. */
const SQLITE_ERROR = 1;
const SQLITE_NOTADB = 26;
/** Errno-style codes for `StorageError.code` of the SQLite results that have one. */
const ERRNO_OF_SQLITE: ReadonlyMap<number, string> = new Map([
  [3, "EACCES"], // SQLITE_PERM
  [5, "EBUSY"], // SQLITE_BUSY
  [6, "EBUSY"], // SQLITE_LOCKED
  [8, "EROFS"], // SQLITE_READONLY
  [13, "ENOSPC"], // SQLITE_FULL
]);

/** An open, validated state database. */
export interface OpenedStateDb {
  readonly db: DatabaseSync;
  /** Path of the database file. */
  readonly path: string;
  /** What was wrong with the previous database and where it was kept. */
  readonly warnings: string[];
}

/** Why a database cannot be used; the file is kept aside. */
class UnusableDatabase extends Error {}

/**
 * Opens `<dir>/ccbt.db` in WAL mode, creating `dir` and the database as needed.
 *
 * A missing file is created silently. A 0-byte file with no (or an empty) `-wal` holds nothing: it is
 * initialised in place, with a warning (an empty state file may mean a lost one). An empty or missing file
 * beside a non-empty `-wal` is kept aside, because SQLite would delete that `-wal`. Any other file is checked
 * (the header string, `PRAGMA quick_check`, `user_version`, tables and columns). An older version with a
 * migration path is upgraded in place, keeping its records. An unusable one is renamed with its `-wal` and
 * `-shm` to `ccbt.db.corrupt-<YYYYMMDDTHHMMSS>` (UTC) and a fresh database is created.
 *
 * @throws {StorageError} When the directory cannot be made, or the database cannot be opened for a reason that
 *   says nothing about its contents (locked by another process, I/O error, disk full, permission denied).
 */
export function openStateDb(dir: string): OpenedStateDb {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw toStorageError("mkdir", dir, error);
  }
  const path = join(dir, STATE_DB_NAME);
  const warnings: string[] = [];
  const mainSize = fileSize(path);
  const walSize = fileSize(`${path}-wal`);
  if (mainSize <= 0 && walSize <= 0) {
    if (mainSize === 0) {
      warnings.push(`State database ${path} was empty (0 bytes): starting with no saved torrents`);
    }
    return { db: createFresh(path), path, warnings };
  }
  // SQLite itself deletes a -wal beside an empty database and may rewrite one beside a file that is not a
  // database, so those are kept aside before SQLite sees them.
  let problem = mainSize <= 0
    ? `is ${mainSize < 0 ? "missing" : "empty"} but has a ${walSize}-byte -wal file`
    : hasSqliteHeader(path)
    ? undefined
    : "is not a SQLite database";
  let db: DatabaseSync | undefined;
  let empty = false;
  if (problem === undefined) {
    db = openDb(path);
    try {
      empty = validate(db, path);
    } catch (error) {
      db.close();
      if (!(error instanceof UnusableDatabase)) throw error;
      problem = error.message;
      db = undefined;
    }
  }
  if (db === undefined) {
    const aside = keepAside(path);
    warnings.push(
      `State database ${path} ${problem}: kept aside as ${aside}; starting with no saved torrents`,
    );
    return { db: createFresh(path), path, warnings };
  }
  if (empty) {
    warnings.push(`State database ${path} held no tables: starting with no saved torrents`);
    createSchema(db, path);
  }
  configure(db, path);
  return { db, path, warnings };
}

/** Whether `path` starts with the 16-byte SQLite header string ("SQLite format 3" and a NUL). */
function hasSqliteHeader(path: string): boolean {
  const header = new Uint8Array(16);
  let fd: number;
  try {
    fd = fs.openSync(path, "r");
  } catch (error) {
    throw toStorageError("open", path, error);
  }
  try {
    fs.readSync(fd, header, 0, 16, 0);
  } catch (error) {
    throw toStorageError("read", path, error);
  } finally {
    fs.closeSync(fd);
  }
  return new TextDecoder().decode(header) === "SQLite format 3\0";
}

/** Size of `path` in bytes, `-1` when missing. */
function fileSize(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return -1;
    throw toStorageError("stat", path, error);
  }
}

function openDb(path: string): DatabaseSync {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch (error) {
    throw sqliteError(path, error);
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (error) {
    db.close();
    throw sqliteError(path, error);
  }
  return db;
}

function createFresh(path: string): DatabaseSync {
  const db = openDb(path);
  try {
    configure(db, path);
    createSchema(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function configure(db: DatabaseSync, path: string): void {
  try {
    db.exec("PRAGMA journal_mode = WAL");
    // A commit lost to power failure only means re-checking or re-fetching: pieces are recorded after their
    // data is durable, never before (DESIGN.md section 5).
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec(`PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
  } catch (error) {
    throw sqliteError(path, error);
  }
}

function createSchema(db: DatabaseSync, path: string): void {
  try {
    db.exec(`BEGIN IMMEDIATE; ${CREATE_SCHEMA_SQL} COMMIT;`);
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw sqliteError(path, error);
  }
}

/**
 * Checks the database; returns `true` when it has no schema at all (a fresh, empty database).
 * @throws {UnusableDatabase} When the file is not ours or is damaged.
 */
function validate(db: DatabaseSync, path: string): boolean {
  try {
    const check = db.prepare("PRAGMA quick_check").all().map((row) => String(row.quick_check));
    if (check.length !== 1 || check[0] !== "ok") {
      throw new UnusableDatabase(`is corrupt (quick_check: ${check.slice(0, 3).join("; ")})`);
    }
    const version = Number(db.prepare("PRAGMA user_version").get()?.user_version);
    const objects = Number(db.prepare("SELECT count(*) AS n FROM sqlite_schema").get()?.n);
    if (version === 0 && objects === 0) return true;
    if (version === STATE_SCHEMA_VERSION) {
      checkTables(db);
    } else if (canMigrate(version)) {
      migrate(db, version);
    } else {
      throw new UnusableDatabase(`has schema version ${version}, not ${STATE_SCHEMA_VERSION}`);
    }
    return false;
  } catch (error) {
    if (error instanceof UnusableDatabase) throw error;
    const code = sqliteCode(error);
    if (code === SQLITE_NOTADB) throw new UnusableDatabase("is not a SQLite database");
    if (code === SQLITE_CORRUPT) throw new UnusableDatabase(`is corrupt (${(error as Error).message})`);
    throw sqliteError(path, error);
  }
}

/** Whether {@linkcode MIGRATIONS} lead from `version` (an older one) to the current version. */
function canMigrate(version: number): boolean {
  if (!Number.isInteger(version) || version < 1 || version >= STATE_SCHEMA_VERSION) return false;
  for (let v = version; v < STATE_SCHEMA_VERSION; v++) if (!MIGRATIONS.has(v)) return false;
  return true;
}

/**
 * Upgrades the database from `version` to the current one and checks the result, in one transaction: a
 * database the migration does not fit is left as it was (and then kept aside).
 * @throws {UnusableDatabase} When a migration fails on the schema or the result lacks a table or column.
 */
function migrate(db: DatabaseSync, version: number): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    for (let v = version; v < STATE_SCHEMA_VERSION; v++) {
      try {
        // One statement at a time: node:sqlite gives the SQLite result code of a failed prepare, not of exec.
        for (const statement of MIGRATIONS.get(v)!) db.prepare(statement).run();
      } catch (error) {
        if (sqliteCode(error) !== SQLITE_ERROR) throw error;
        throw new UnusableDatabase(
          `cannot be upgraded from schema version ${v} to ${v + 1}: ${(error as Error).message}`,
        );
      }
    }
    checkTables(db);
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/** @throws {UnusableDatabase} When a table or column of the current schema is missing. */
function checkTables(db: DatabaseSync): void {
  const columnsOf = db.prepare("SELECT name FROM pragma_table_info(?)");
  for (const [table, columns] of REQUIRED_TABLES) {
    const present = new Set(columnsOf.all(table).map((row) => row.name));
    if (present.size === 0) throw new UnusableDatabase(`lacks table ${table}`);
    const missing = columns.find((column) => !present.has(column));
    if (missing !== undefined) throw new UnusableDatabase(`lacks column ${table}.${missing}`);
  }
}

/** Renames `path` and its `-wal` and `-shm` aside; returns the new name of `path`. */
function keepAside(path: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
  let aside = `${path}.corrupt-${stamp}`;
  for (let n = 2; fileSize(aside) >= 0 || fileSize(`${aside}-wal`) >= 0; n++) {
    aside = `${path}.corrupt-${stamp}-${n}`;
  }
  for (const suffix of ["-wal", "-shm", ""]) {
    if (fileSize(path + suffix) < 0) continue;
    try {
      fs.renameSync(path + suffix, aside + suffix);
    } catch (error) {
      throw toStorageError("rename", path + suffix, error);
    }
  }
  return aside;
}

function sqliteCode(error: unknown): number {
  const code = (error as { errcode?: unknown })?.errcode;
  return typeof code === "number" ? code & 0xff : -1;
}

function sqliteError(path: string, error: unknown): StorageError {
  const detail = error instanceof Error ? error.message : String(error);
  const code = ERRNO_OF_SQLITE.get(sqliteCode(error)) ?? "";
  return new StorageError("open", path, code, `Cannot open state database ${path}: ${detail}`, {
    cause: error,
  });
}
