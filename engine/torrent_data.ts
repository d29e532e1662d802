/**
 * One torrent's record in the state store (DESIGN.md section 5): what to trust when it starts, and checkpoints
 * that record a piece as done only after its data is durable (fdatasync first, then the record).
 *
 * @module
 */

import { dirname } from "node:path";
import type { AlertQueue } from "./alerts.ts";
import { StorageError } from "./errors.ts";
import type { TorrentInfo } from "./metainfo/mod.ts";
import { torrentWithPieceLayers } from "./magnet_metadata.ts";
import { checkRealPathInside } from "./storage/check_real_path.ts";
import type { DiskIo, StorageFile } from "./storage/disk_io.ts";
import { storageSpecOf } from "./storage/storage_spec_of.ts";
import { Bitfield } from "./picker/bitfield.ts";
import type { FileStamp, StateStore, TorrentRecord } from "./storage/state_store.ts";
import {
  CHECK_INTERRUPTED,
  filePieces,
  lostData,
  piecesLost,
  planResume,
  type ResumePlan,
  stampFiles,
} from "./torrent_resume.ts";

/** How a torrent treats recorded state when it starts. */
export type StartMode = "resume" | "recheck" | "fresh";

/** The counters a checkpoint records. */
export interface CheckpointState {
  /** Pieces verified and written (a snapshot taken before the sync). */
  have: Bitfield;
  /** The live bitfield, read after the files are stamped: pieces written since the snapshot explain changes. */
  live: Bitfield;
  /** Payload bytes this session. */
  uploaded: number;
  /** Payload bytes this session. */
  downloaded: number;
  /** The torrent's state. */
  state: string;
  /** The error message in state `error`. */
  error?: string;
  /** Whether every piece is verified. */
  complete: boolean;
}

/** What a start decided: the resume plan, and the file priorities to use. */
export interface StartPlan extends ResumePlan {
  /** The caller's file priorities, else the recorded ones, else `undefined` (every file at the default). */
  filePriorities?: number[];
}

/** Options for {@linkcode TorrentData}. */
export interface TorrentDataOptions {
  info: TorrentInfo;
  /** Absolute save directory. */
  savePath: string;
  /** The .torrent bytes, kept in the record for `ccbt resume`. */
  metainfo?: Uint8Array;
  /** The store; without one nothing is recorded and every start checks existing data. */
  store?: StateStore;
  /** Disk and hash jobs. */
  diskIo: DiskIo;
  alerts: AlertQueue;
  /** The torrent's counters now, for a checkpoint (called once per checkpoint, after the sync waits its turn). */
  snapshot: () => CheckpointState;
  /** File priorities set by the caller: recorded, and used instead of recorded ones. */
  filePriorities?: readonly number[];
  /** Whether file `index` is wanted (priority above 0); default: every file. */
  fileWanted?: (index: number) => boolean;
  /**
   * Verified pieces whose data an unwanted file lost (deleted or truncated): a checkpoint records them as missing
   * and reports them here instead of failing the torrent.
   */
  onDataLost?: (pieces: number[]) => void;
  /**
   * BEP 52 piece layers fetched from peers so far (a magnet's metadata has none), keyed by pieces root in hex:
   * registered with the storage besides the metainfo's.
   */
  fetchedLayers?: () => ReadonlyMap<string, Uint8Array> | undefined;
}

/** Pieces checked at once while checking existing data. */
const CHECK_CONCURRENCY = 8;
/** Seconds between checkpoints while pieces are being verified (DESIGN.md section 5: batched by interval). */
const CHECKPOINT_SECONDS = 2;

/** One torrent's storage registration and persisted state. */
export class TorrentData {
  #options: TorrentDataOptions;
  #files: StorageFile[];
  #paths: string[];
  #storageId = -1;
  #checked = 0;
  #checkTotal = 0;
  #dirty = false;
  #lastCheckpoint = 0;
  /** What the store holds for this torrent: bitfield and stamps of the last record. */
  #recorded: { have: Bitfield; files: FileStamp[] } | undefined;
  /** Files to stamp afresh at the next checkpoint. */
  #restamp = new Set<number>();
  #checkpoints: Promise<unknown> = Promise.resolve();
  #baseUploaded = 0;
  #baseDownloaded = 0;
  #addedAt = Date.now();
  #completedAt: number | undefined;
  /** The caller's file priorities, to record. */
  #priorities: number[] | undefined;
  /** Index in the registered storage of each file kept there (see `openStorage`). */
  #storageIndex = new Map<number, number>();

  constructor(options: TorrentDataOptions) {
    this.#options = options;
    // Every file in metainfo order, with BEP 47 attributes (padding, executable, symlink) and BEP 52 roots.
    this.#files = [...storageSpecOf(options.info, options.savePath).files];
    this.#paths = this.#files.map((file) => file.path);
    this.#priorities = options.filePriorities === undefined ? undefined : [...options.filePriorities];
  }

  /** The storage id in the DiskIo, or -1 before `openStorage()`. */
  get storageId(): number {
    return this.#storageId;
  }

  /** Fraction of the pieces to check that are checked, 0..1. */
  get checkProgress(): number {
    return this.#checkTotal === 0 ? 1 : this.#checked / this.#checkTotal;
  }

  /**
   * Registers the files with the DiskIo (again, after an error: open handles to replaced files are dropped),
   * refusing any path that leads outside the save directory through a symlink. Zero-length files are left out:
   * they hold no piece, and {@linkcode TorrentData.createEmptyFiles} makes the wanted ones; symbolic links (BEP
   * 47) stay in, for {@linkcode TorrentData.applyAttributes}. Padding files are registered but never touch the
   * disk.
   * @throws {StorageError} When a path escapes or a directory cannot be made.
   */
  async openStorage(): Promise<void> {
    const { diskIo, info, savePath } = this.#options;
    if (this.#storageId >= 0) await diskIo.removeStorage(this.#storageId);
    this.#storageId = -1;
    for (const file of this.#files) if (!file.padding) await checkRealPathInside(savePath, file.path);
    const kept = [...this.#files.keys()].filter((i) =>
      this.#files[i].length > 0 || this.#files[i].symlinkTarget !== undefined
    );
    this.#storageIndex = new Map(kept.map((i, at) => [i, at]));
    const spec = storageSpecOf(info, savePath);
    const fetched = this.#options.fetchedLayers?.();
    this.#storageId = await diskIo.addStorage({
      ...spec,
      ...(fetched === undefined || fetched.size === 0
        ? {}
        : { pieceLayers: new Map([...spec.pieceLayers ?? [], ...fetched]) }),
      files: kept.map((i) => this.#files[i]),
    });
  }

  /**
   * Applies BEP 47 attributes to the wanted files that have them: the executable bit, and symbolic links (made
   * only when link and target stay inside the save directory). Called once every wanted piece is verified.
   * @throws {StorageError} When a link cannot be made or a mode cannot be set.
   */
  async applyAttributes(fileWanted: (index: number) => boolean): Promise<void> {
    for (const [i, at] of this.#storageIndex) {
      const file = this.#files[i];
      if (!fileWanted(i) || (!file.executable && file.symlinkTarget === undefined)) continue;
      await this.#options.diskIo.applyAttributes(this.#storageId, at);
    }
  }

  /**
   * Creates the zero-length files `indices` (and their directories) when missing; existing files are kept.
   * @throws {StorageError} op `mkdir` or `open`.
   */
  async createEmptyFiles(indices: readonly number[]): Promise<void> {
    for (const i of indices) {
      if (this.#files[i].symlinkTarget !== undefined || this.#files[i].padding) continue;
      const path = this.#paths[i];
      await storageOp("mkdir", dirname(path), () => Deno.mkdir(dirname(path), { recursive: true }));
      await storageOp(
        "open",
        path,
        async () => (await Deno.open(path, { write: true, create: true })).close(),
      );
    }
  }

  /**
   * Hashes `pieces` in the worker pool, a few at a time.
   * @param onMatch Called for each piece whose data matches its hash.
   * @param stop Checked between pieces: the check ends early when it returns true.
   */
  async check(
    pieces: readonly number[],
    onMatch: (index: number) => void,
    stop: () => boolean,
  ): Promise<void> {
    this.#checked = 0;
    this.#checkTotal = pieces.length;
    let next = 0;
    let lastRecord = performance.now();
    const worker = async () => {
      while (next < pieces.length && !stop()) {
        const index = pieces[next++];
        if (await this.#options.diskIo.checkPiece(this.#storageId, index)) onMatch(index);
        this.#checked++;
        if (performance.now() - lastRecord >= CHECKPOINT_SECONDS * 1000 && next < pieces.length) {
          // A long check records what it verified, so a kill resumes it rather than starting over (case 66).
          lastRecord = performance.now();
          this.checkpoint({ state: CHECK_INTERRUPTED }).catch(() => {});
        }
      }
    };
    await Promise.all(Array.from({ length: CHECK_CONCURRENCY }, worker));
  }

  /** Payload bytes uploaded in earlier sessions. */
  get baseUploaded(): number {
    return this.#baseUploaded;
  }

  /** Payload bytes downloaded in earlier sessions. */
  get baseDownloaded(): number {
    return this.#baseDownloaded;
  }

  /**
   * Reads the record (unless `mode` discards it), stats the files, and decides what to trust and what to check,
   * and which file priorities hold: the caller's (recorded now), else the recorded ones. Makes sure a record
   * exists afterwards, holding only what was durable before.
   */
  async plan(mode: StartMode): Promise<StartPlan> {
    const { info, store, savePath } = this.#options;
    let record: TorrentRecord | undefined;
    if (store !== undefined) {
      if (mode === "fresh") store.delete(info.infoHashHex);
      record = store.get(info.infoHashHex);
      for (const message of store.takeWarnings()) this.#warn(message);
      if (record !== undefined && record.metainfo === undefined && record.pieceCount === 0) {
        // A magnet recorded before its metadata arrived: nothing to trust yet, but it was added back then.
        this.#addedAt = record.addedAt;
        record = undefined;
      } else if (record !== undefined && record.savePath !== savePath) {
        this.#warn(
          `The record of ${info.name} is for ${record.savePath}, not ${savePath}: checking the data instead`,
        );
        record = undefined;
      }
    }
    const stamps = await this.#stamp();
    const filePriorities = this.#priorities ?? record?.filePriorities;
    const fileWanted = (i: number) => filePriorities === undefined || filePriorities[i] > 0;
    // A recheck cut short carries on from what it had verified (HOSTILE_INPUTS.md case 66).
    const usable = mode === "resume" || (mode === "recheck" && record?.state === CHECK_INTERRUPTED);
    const plan = planResume(info, usable ? record : undefined, stamps, { fileWanted });
    if (record !== undefined) {
      this.#baseUploaded = record.uploaded;
      this.#baseDownloaded = record.downloaded;
      this.#addedAt = record.addedAt;
      this.#completedAt = record.completedAt;
    }
    const missing = this.#paths.map(() => ({ size: -1, mtimeMs: 0 }));
    if (store !== undefined && record === undefined) {
      // Nothing durable is known yet: an empty bitfield, and every file stamped missing, so that a kill before
      // the first checkpoint leaves existing data to be checked on the next start, not trusted nor ignored.
      store.put({
        infoHash: info.infoHashHex,
        name: info.name,
        metainfo: this.#options.metainfo,
        savePath,
        state: "checking",
        pieceCount: info.pieceCount,
        totalLength: info.totalLength,
        have: new Uint8Array(Math.ceil(info.pieceCount / 8)),
        files: missing,
        filePriorities: this.#priorities,
        uploaded: 0,
        downloaded: 0,
        addedAt: this.#addedAt,
        lastActiveAt: Date.now(),
      });
    } else if (this.#priorities !== undefined) {
      this.savePriorities(this.#priorities);
    }
    this.#recorded = record === undefined
      ? { have: new Bitfield(info.pieceCount), files: missing }
      : { have: new Bitfield(info.pieceCount, record.have), files: record.files };
    // Files whose every piece is checked now get a fresh stamp at the next checkpoint, whatever the check finds.
    const checking = new Set(plan.check);
    this.#restamp = new Set(
      info.files.map((_, i) => i).filter((i) => {
        const range = filePieces(info, i);
        if (range === null) return false;
        for (let p = range[0]; p <= range[1]; p++) if (!checking.has(p)) return false;
        return true;
      }),
    );
    if (mode === "resume" && plan.check.length > 0 && plan.reasons.length > 0) {
      this.#warn(`Checking ${plan.check.length} pieces of ${info.name}: ${plan.reasons.join("; ")}`);
    }
    return { ...plan, filePriorities: filePriorities === undefined ? undefined : [...filePriorities] };
  }

  /**
   * Records file priorities set by the caller (one per file, 0..7); they win over recorded ones from now on.
   * Without a record yet, the next {@linkcode TorrentData.plan} writes them.
   */
  savePriorities(priorities: readonly number[]): void {
    this.#priorities = [...priorities];
    const store = this.#options.store;
    const record = store?.get(this.#options.info.infoHashHex);
    if (record === undefined) return;
    const same = record.filePriorities?.length === priorities.length &&
      record.filePriorities.every((p, i) => p === priorities[i]);
    if (!same) store!.put({ ...record, filePriorities: this.#priorities });
  }

  /**
   * Records BEP 52 piece layers fetched from peers (a magnet's metadata lacks them) in the stored metainfo, so that
   * a restart can check and serve the pieces without fetching them again. Nothing happens without a record or
   * metainfo bytes.
   * @param layers Every piece layer, keyed by pieces root in lowercase hex.
   */
  savePieceLayers(layers: ReadonlyMap<string, Uint8Array>): void {
    const { store, info, metainfo } = this.#options;
    const record = store?.get(info.infoHashHex);
    if (record === undefined || metainfo === undefined) return;
    const withLayers = torrentWithPieceLayers(metainfo, layers);
    if (withLayers === undefined) return;
    this.#options.metainfo = withLayers;
    store!.put({ ...record, metainfo: withLayers });
  }

  /** A piece was verified since the last checkpoint. */
  markDirty(): void {
    this.#dirty = true;
  }

  /** Whether pieces wait to be recorded and the checkpoint interval has passed at monotonic `now` (ms). */
  checkpointDue(now: number): boolean {
    return this.#dirty && now - this.#lastCheckpoint >= CHECKPOINT_SECONDS * 1000;
  }

  /**
   * Records a checkpoint, after any running one: a sync makes every finished write durable, then the files are
   * stamped and checked for lost data, then `options.snapshot()` (taken after the sync starts waiting its turn,
   * before the sync) is recorded. Pieces verified later wait for the next checkpoint. Without a store only the
   * sync and the lost-data check run.
   * @throws {StorageError} When a file holding verified data was deleted or truncated (nothing is recorded), or
   *   when the sync fails.
   */
  checkpoint(during?: { state: typeof CHECK_INTERRUPTED }): Promise<void> {
    const run = async () => {
      this.#dirty = false;
      this.#lastCheckpoint = performance.now();
      const snapshot = this.#options.snapshot();
      // Mid-check records keep the set of files to stamp afresh: the check is not over.
      if (during !== undefined) await this.#record({ ...snapshot, state: during.state }, true);
      else await this.#record(snapshot);
    };
    const next = this.#checkpoints.catch(() => {}).then(run);
    this.#checkpoints = next;
    return next;
  }

  /** Resolves when no checkpoint is running (whether the last one succeeded or not). */
  idle(): Promise<void> {
    return this.#checkpoints.then(() => {}, () => {});
  }

  async #record(state: CheckpointState, midCheck = false): Promise<void> {
    const { info, diskIo } = this.#options;
    const paths = this.#paths;
    await diskIo.sync(this.#storageId);
    const stamps = await this.#stamp();
    const fileWanted = this.#options.fileWanted ?? (() => true);
    const lost = lostData(info, state.have, stamps, paths, { fileWanted });
    if (lost !== null) throw new StorageError("stat", paths[lost.file], lost.code, lost.message);
    // An unwanted file deleted or truncated costs only the pieces it held: recorded as missing, fetched again
    // if a wanted file shares them; the file gets a fresh stamp.
    const dropped = new Set<number>();
    const restamp = new Set(this.#restamp);
    for (let i = 0; i < paths.length; i++) {
      if (fileWanted(i)) continue;
      const pieces = piecesLost(info, i, state.have, stamps[i]);
      if (pieces.length > 0) restamp.add(i);
      for (const p of pieces) dropped.add(p);
    }
    for (const p of dropped) state.have.clear(p);
    if (dropped.size > 0) this.#options.onDataLost?.([...dropped].sort((a, b) => a - b));
    if (state.complete) this.#completedAt ??= Date.now();
    const files = this.#stampsToRecord(state, stamps, restamp);
    this.#save(state, state.have.bytes.slice(), files);
    this.#recorded = { have: state.have, files };
    if (!midCheck) this.#restamp.clear();
  }

  /**
   * The stamps to record: a file gets its current stamp when pieces in it were verified since the last record
   * (our own writes explain the change) or when it was checked in full; otherwise it keeps its old stamp.
   * @throws {StorageError} Code `ESTALE` when a file holding verified pieces changed with no write of ours to
   *   explain it: another program edited or replaced it while in use (HOSTILE_INPUTS.md case 59).
   */
  #stampsToRecord(state: CheckpointState, current: FileStamp[], restamp: ReadonlySet<number>): FileStamp[] {
    const { info } = this.#options;
    const recorded = this.#recorded ?? { have: new Bitfield(info.pieceCount), files: current };
    return current.map((stamp, i) => {
      const range = filePieces(info, i);
      if (range === null || restamp.has(i)) return stamp;
      let holdsData = false;
      for (let p = range[0]; p <= range[1]; p++) {
        if (state.live.has(p) && !recorded.have.has(p)) return stamp;
        if (recorded.have.has(p)) holdsData = true;
      }
      const old = recorded.files[i];
      if (holdsData && (old.size !== stamp.size || old.mtimeMs !== stamp.mtimeMs)) {
        throw new StorageError(
          "stat",
          this.#paths[i],
          "ESTALE",
          `Cannot keep ${this.#paths[i]}: another program changed or replaced the file while in use`,
        );
      }
      return old;
    });
  }

  /**
   * Records a failure: a checkpoint keeps the pieces written before it (the disk may fill before the first
   * checkpoint); if even that fails, the record keeps its pieces and only the state changes. Never throws.
   */
  recordFailure(): void {
    const { snapshot } = this.#options;
    if (this.#storageId < 0) {
      this.recordState(snapshot());
      return;
    }
    this.checkpoint().catch(() => this.recordState(snapshot()));
  }

  /** Records a state change (error, paused) without touching the recorded bitfield and stamps. */
  recordState(state: CheckpointState): void {
    const record = this.#options.store?.get(this.#options.info.infoHashHex);
    if (record !== undefined) this.#save(state, record.have, record.files);
  }

  #save(state: CheckpointState, have: Uint8Array, files: FileStamp[]): void {
    this.#options.store?.saveProgress(this.#options.info.infoHashHex, {
      have,
      files,
      uploaded: this.#baseUploaded + state.uploaded,
      downloaded: this.#baseDownloaded + state.downloaded,
      state: state.state,
      error: state.error,
      lastActiveAt: Date.now(),
      completedAt: this.#completedAt,
    });
  }

  /** Stamps of the files; padding files (BEP 47), never on disk, always stamp as present and unchanged. */
  async #stamp(): Promise<FileStamp[]> {
    const stamps = await stampFiles(this.#paths);
    this.#files.forEach((file, i) => {
      if (file.padding) stamps[i] = { size: file.length, mtimeMs: 0 };
    });
    return stamps;
  }

  #warn(message: string): void {
    this.#options.alerts.push({
      type: "state_warning",
      category: "storage",
      infoHash: this.#options.info.infoHashHex,
      message,
    });
  }
}

/** Runs a file operation, turning its failure into a `StorageError` naming `op` and `path`. */
async function storageOp(op: string, path: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    const message = `Cannot ${op} ${path}: ${error instanceof Error ? error.message : String(error)}`;
    throw new StorageError(op, path, typeof code === "string" ? code : "EIO", message, { cause: error });
  }
}
