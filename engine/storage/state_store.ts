/**
 * The session's state store: one SQLite database (`node:sqlite`, WAL) holding each torrent's metainfo or
 * magnet, save path, have-bitfield, file stamps and priorities, stats and state, and the DHT's node id and
 * nodes (DESIGN.md section 5).
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import {
  checkDhtState,
  encodeNodeAddress,
  MAX_SAVED_DHT_NODES,
  nodeIdOfRow,
  nodeOfRow,
} from "./_dht_state.ts";
import { openStateDb } from "./_state_open.ts";
import { checkProgress, checkRecord } from "./_state_record.ts";
import { encodeFiles, recordOfRow, rowOfRecord, type StateRow } from "./_state_row.ts";
import { LIST_COLUMNS, TORRENT_COLUMNS } from "./_state_schema.ts";
import type { DhtState, ProgressUpdate, SavedDhtNode, TorrentRecord } from "./_state_types.ts";

export { STATE_DB_NAME, STATE_SCHEMA_VERSION } from "./_state_schema.ts";
export { MAX_SAVED_DHT_NODES } from "./_dht_state.ts";
export type { DhtState, FileStamp, ProgressUpdate, SavedDhtNode, TorrentRecord } from "./_state_types.ts";

const DAY_MS = 86_400_000;

/** What `StateStore.open` gives: the store, and what was wrong with the database found on disk. */
export interface OpenedStateStore {
  /** The open store. */
  store: StateStore;
  /**
   * One line per problem, e.g. "State database /s/ccbt.db is not a SQLite database: kept aside as
   * /s/ccbt.db.corrupt-20250101T120000; starting with no saved torrents". Empty when all was well.
   */
  warnings: string[];
}

/**
 * Torrent records in `<dir>/ccbt.db`, keyed by info-hash.
 *
 * Durability: the database runs in WAL mode with `synchronous=NORMAL`, so a crash never leaves a half-written
 * record (each write is one SQLite transaction) but power loss may lose the last commits. That is safe because
 * the caller records a piece only after its data is durable: a lost commit means re-checking or re-fetching,
 * never claiming data that is not on disk (DESIGN.md section 5).
 *
 * A record that fails its checks when read (a bitfield of the wrong size, bad JSON, a negative count) is moved
 * to the table `torrents_rejected`, is not returned, and leaves a warning for {@linkcode StateStore.takeWarnings};
 * the caller then treats the torrent as unknown and rechecks its data (HOSTILE_INPUTS.md case 64).
 *
 * Not safe for two sessions at once: each statement waits up to 5 s for another process's lock.
 *
 * @example Record a torrent and checkpoint its progress
 * ```ts
 * import { StateStore } from "./state_store.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const { store, warnings } = StateStore.open(dir);
 * assert.deepEqual(warnings, []);
 * const infoHash = "ab".repeat(20);
 * store.put({
 *   infoHash, name: "a.bin", magnet: `magnet:?xt=urn:btih:${infoHash}`, savePath: dir, state: "downloading",
 *   pieceCount: 10, totalLength: 163_840, have: new Uint8Array(2), files: [{ size: -1, mtimeMs: 0 }],
 *   uploaded: 0, downloaded: 0, addedAt: 1, lastActiveAt: 1,
 * });
 * store.saveProgress(infoHash, {
 *   have: new Uint8Array([0xff, 0xc0]), files: [{ size: 163_840, mtimeMs: 2 }], uploaded: 0,
 *   downloaded: 163_840, state: "seeding", lastActiveAt: 2, completedAt: 2,
 * });
 * assert.equal(store.get(infoHash)?.state, "seeding");
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class StateStore {
  /** Absolute or relative path of the database file, as opened. */
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #warnings: string[] = [];
  readonly #get: StatementSync;
  readonly #list: StatementSync;
  readonly #put: StatementSync;
  readonly #pieceCount: StatementSync;
  readonly #progress: StatementSync;
  readonly #delete: StatementSync;
  readonly #clean: StatementSync;
  readonly #reject: StatementSync;
  readonly #deleteRow: StatementSync;
  readonly #dhtId: StatementSync;
  readonly #dhtNodes: StatementSync;
  readonly #dhtSaveId: StatementSync;
  readonly #dhtSaveNode: StatementSync;
  #closed = false;

  private constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.path = path;
    const all = TORRENT_COLUMNS.join(", ");
    this.#get = db.prepare(`SELECT rowid AS _rowid, ${all} FROM torrents WHERE info_hash = ?`);
    this.#list = db.prepare(
      `SELECT rowid AS _rowid, ${LIST_COLUMNS.join(", ")} FROM torrents ORDER BY added_at, info_hash`,
    );
    this.#pieceCount = db.prepare(
      `SELECT piece_count, CASE WHEN json_valid(files) THEN json_array_length(files) ELSE -1 END AS file_count
       FROM torrents WHERE info_hash = ?`,
    );
    for (const statement of [this.#get, this.#list, this.#pieceCount]) statement.setReadBigInts(true);
    const updates = TORRENT_COLUMNS.filter((c) => c !== "info_hash").map((c) => `${c} = excluded.${c}`);
    this.#put = db.prepare(
      `INSERT INTO torrents (${all}) VALUES (${TORRENT_COLUMNS.map((c) => `$${c}`).join(", ")})
       ON CONFLICT (info_hash) DO UPDATE SET ${updates.join(", ")}`,
    );
    this.#progress = db.prepare(
      `UPDATE torrents SET have = ?, files = ?, uploaded = ?, downloaded = ?, state = ?, error = ?,
       last_active_at = ?, completed_at = coalesce(?, completed_at) WHERE info_hash = ?`,
    );
    this.#delete = db.prepare("DELETE FROM torrents WHERE info_hash = ?");
    this.#clean = db.prepare("DELETE FROM torrents WHERE last_active_at < ? RETURNING info_hash");
    this.#reject = db.prepare(
      `INSERT INTO torrents_rejected (${all}, rejected_at, reason)
       SELECT ${all}, ?, ? FROM torrents WHERE rowid = ?`,
    );
    this.#deleteRow = db.prepare("DELETE FROM torrents WHERE rowid = ?");
    this.#dhtId = db.prepare("SELECT node_id FROM dht_state ORDER BY rowid DESC LIMIT 1");
    this.#dhtNodes = db.prepare(
      `SELECT node_id, address, last_seen FROM dht_nodes ORDER BY last_seen DESC LIMIT ${MAX_SAVED_DHT_NODES}`,
    );
    this.#dhtNodes.setReadBigInts(true);
    this.#dhtSaveId = db.prepare("INSERT INTO dht_state (node_id, saved_at) VALUES (?, ?)");
    this.#dhtSaveNode = db.prepare("INSERT INTO dht_nodes (node_id, address, last_seen) VALUES (?, ?, ?)");
  }

  /**
   * Opens (creating the directory and database as needed) `<dir>/ccbt.db` in WAL mode.
   *
   * A file that is not a database, fails `PRAGMA quick_check`, has another `user_version` (newer, or older
   * without a migration), or lacks the expected tables or columns is renamed aside, with its `-wal` and `-shm`,
   * to `ccbt.db.corrupt-<YYYYMMDDTHHMMSS>` (UTC; `-2`, `-3`, ... appended if taken); a warning says so and a
   * fresh database is created. Nothing is ever overwritten. A 0-byte file with no `-wal` holds nothing to keep:
   * it is initialised in place, with a warning, as is a database with no tables at all.
   *
   * @param dir The state directory (default under `~/.local/share/ccbt`, chosen by the caller).
   * @returns The store and the warnings (empty when the database was fine or new).
   * @throws {StorageError} When `dir` cannot be created, or the database cannot be opened for a reason that
   *   says nothing about its contents: locked by another process (`EBUSY`), disk full (`ENOSPC`), read-only
   *   (`EROFS`), an I/O error.
   */
  static open(dir: string): OpenedStateStore {
    const { db, path, warnings } = openStateDb(dir);
    try {
      return { store: new StateStore(db, path), warnings };
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * The record of `infoHash` with its metainfo bytes, or `undefined` when there is none or it failed its checks
   * (it is then moved to `torrents_rejected` and a warning is queued for {@linkcode StateStore.takeWarnings}).
   * @param infoHash 40 hex digits (either case).
   */
  get(infoHash: string): TorrentRecord | undefined {
    const row = this.#get.get(infoHash.toLowerCase()) as StateRow | undefined;
    return row === undefined ? undefined : this.#decode(row);
  }

  /**
   * Every valid record, oldest added first, without metainfo bytes (`metainfo` is `undefined`; use `get` for
   * them). Invalid rows are moved aside as in {@linkcode StateStore.get}.
   */
  list(): TorrentRecord[] {
    const records: TorrentRecord[] = [];
    for (const row of this.#list.all() as StateRow[]) {
      const record = this.#decode(row);
      if (record !== undefined) records.push(record);
    }
    return records;
  }

  /**
   * Inserts `record`, or replaces every field of the stored record with the same info-hash.
   * @throws {TypeError} A field of the wrong type or shape, named in the message.
   * @throws {RangeError} A negative or unsafe count, `have` not `ceil(pieceCount / 8)` bytes or with spare bits
   *   set, `filePriorities` not one per file in `0..7`.
   */
  put(record: TorrentRecord): void {
    checkRecord(record, "save torrent state");
    this.#put.run(rowOfRecord(record));
  }

  /**
   * Writes a checkpoint of the torrent `infoHash` in one statement: `have`, `files`, stats, `state`, `error`
   * (absent clears it), `lastActiveAt`, and `completedAt` (absent keeps the stored value).
   * @param infoHash 40 hex digits (either case).
   * @returns `false` (and writes nothing) when there is no record of `infoHash`.
   * @throws {TypeError} A field of the wrong type or shape.
   * @throws {RangeError} `have` not `ceil(pieceCount / 8)` bytes of the stored `pieceCount`, `files` not as
   *   many as stored, or a bad count.
   */
  saveProgress(infoHash: string, update: ProgressUpdate): boolean {
    const key = infoHash.toLowerCase();
    const row = this.#pieceCount.get(key);
    if (row === undefined) return false;
    checkProgress(update, Number(row.piece_count), "save torrent progress");
    const fileCount = Number(row.file_count);
    if (fileCount >= 0 && update.files.length !== fileCount) {
      throw new RangeError(
        `Cannot save torrent progress: files has ${update.files.length} entries, not ${fileCount} as stored`,
      );
    }
    this.#progress.run(
      update.have,
      encodeFiles(update.files),
      update.uploaded,
      update.downloaded,
      update.state,
      update.error ?? null,
      update.lastActiveAt,
      update.completedAt ?? null,
      key,
    );
    return true;
  }

  /**
   * Deletes the record of `infoHash` (not the torrent's data).
   * @param infoHash 40 hex digits (either case).
   * @returns Whether there was a record.
   */
  delete(infoHash: string): boolean {
    return Number(this.#delete.run(infoHash.toLowerCase()).changes) > 0;
  }

  /**
   * Deletes the records last active more than `days` days before `now`.
   * @param days Age in days (fractions allowed).
   * @param now ms since the Unix epoch (default `Date.now()`).
   * @returns The info-hashes of the deleted records.
   * @throws {RangeError} When `days` is negative or not finite.
   */
  clean(days: number, now: number = Date.now()): string[] {
    if (!Number.isFinite(days) || days < 0) {
      throw new RangeError(`Cannot clean checkpoints: days ${days} is not a non-negative number`);
    }
    return this.#clean.all(now - days * DAY_MS).map((row) => String(row.info_hash));
  }

  /**
   * The DHT state saved by {@linkcode StateStore.saveDhtState}: our node id and up to
   * {@linkcode MAX_SAVED_DHT_NODES} nodes, most recently seen first (BEP 5). Rows that do not hold a valid node
   * (an id not 20 bytes, an address not 6 or 18 bytes, port 0, an unspecified or multicast address, a bad
   * time) are skipped.
   * @returns The state, or `undefined` when no node id is saved or the saved one is not 20 bytes.
   */
  loadDhtState(): DhtState | undefined {
    const nodeId = nodeIdOfRow(this.#dhtId.get()?.node_id);
    if (nodeId === undefined) return undefined;
    const nodes: SavedDhtNode[] = [];
    for (const row of this.#dhtNodes.all()) {
      const node = nodeOfRow(row);
      if (node !== undefined) nodes.push(node);
    }
    return { nodeId, nodes };
  }

  /**
   * Replaces the saved DHT state in one transaction: our node id, and the nodes (most recently seen first, one
   * per address, at most {@linkcode MAX_SAVED_DHT_NODES}; IPv4 and IPv6 kept in compact form, BEP 5 and BEP 32).
   * @param state Node id and good nodes of the routing table.
   * @throws {TypeError} An id not 20 bytes, a host that is not an IP address, a field of the wrong type.
   * @throws {RangeError} A port outside 1–65535, a `lastSeen` that is negative or not finite.
   */
  saveDhtState(state: DhtState): void {
    const nodes = checkDhtState(state);
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      this.#db.exec("DELETE FROM dht_state; DELETE FROM dht_nodes");
      this.#dhtSaveId.run(state.nodeId, Date.now());
      for (const node of nodes) {
        this.#dhtSaveNode.run(node.id, encodeNodeAddress(node), Math.floor(node.lastSeen));
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Returns and forgets the warnings queued since the last call (records set aside by `get` or `list`). */
  takeWarnings(): string[] {
    return this.#warnings.splice(0);
  }

  /** Closes the database; later calls of other methods throw. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /** Same as {@linkcode StateStore.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #decode(row: StateRow): TorrentRecord | undefined {
    const name = typeof row.info_hash === "string" ? row.info_hash : String(row.info_hash);
    try {
      return recordOfRow(row, `use saved state of torrent ${name}`);
    } catch (error) {
      if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        this.#reject.run(Date.now(), error.message, row._rowid as bigint);
        this.#deleteRow.run(row._rowid as bigint);
        this.#db.exec("COMMIT");
      } catch (inner) {
        this.#db.exec("ROLLBACK");
        throw inner;
      }
      this.#warnings.push(
        `${error.message}: kept aside in table torrents_rejected; its data needs a recheck`,
      );
      return undefined;
    }
  }
}
