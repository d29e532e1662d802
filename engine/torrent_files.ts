/**
 * File selection (file priorities, BEP 53 `so`) and the progress that follows from it: which pieces are wanted,
 * how many bytes they hold, and how many of those are verified.
 *
 * A piece takes the highest priority of the files it overlaps, so a piece shared by a wanted file and an
 * unwanted neighbour is downloaded, verified and written in full: the neighbour file is created (sparse) holding
 * just those bytes, as Transmission and libtorrent do. A file that shares no piece with a wanted file is never
 * created; zero-length files are created only when wanted. BEP 47 padding files decide a piece's priority only
 * when the piece holds nothing else.
 *
 * @module
 */

import { Bitfield } from "./picker/bitfield.ts";
import type { PiecePicker } from "./picker/mod.ts";
import type { TorrentInfo } from "./metainfo/mod.ts";
import type { TorrentData } from "./torrent_data.ts";

/** Priority of a file until changed: libtorrent's default. */
export const DEFAULT_FILE_PRIORITY = 4;
/** Highest file priority; 0 means do not download. */
export const MAX_FILE_PRIORITY = 7;

/**
 * Checks file priorities against a torrent with `fileCount` files and returns a copy.
 * @param priorities One integer in 0..7 per file, in metainfo order; 0 skips the file.
 * @throws {TypeError} When `priorities` is not an array.
 * @throws {RangeError} When it does not hold exactly one entry per file, or an entry is not an integer in 0..7.
 */
export function checkFilePriorities(fileCount: number, priorities: readonly number[]): number[] {
  if (!Array.isArray(priorities)) throw new TypeError("Cannot set file priorities: they are not an array");
  if (priorities.length !== fileCount) {
    throw new RangeError(
      `Cannot set file priorities: got ${priorities.length} for a torrent of ${fileCount} files`,
    );
  }
  priorities.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 0 || p > MAX_FILE_PRIORITY) {
      throw new RangeError(`Cannot set file priorities: file ${i} has ${p}, not an integer in 0..7`);
    }
  });
  return [...priorities];
}

/** File priorities made from a BEP 53 `so` list: see {@linkcode selectOnlyPriorities}. */
export interface SelectOnlyPriorities {
  /** One per file: {@link DEFAULT_FILE_PRIORITY} for listed files, 0 for the others. */
  priorities: number[];
  /** Listed indices with no such file (at or beyond the file count), ascending. */
  ignored: number[];
}

/**
 * Turns a BEP 53 select-only list into file priorities: listed files are wanted, the others get priority 0.
 * BEP 53 says nothing of indices beyond the file count (a magnet link is written before its metadata is seen):
 * they are ignored and returned, for a warning. When no listed index names a file, nothing is wanted.
 * @param fileCount Files in the torrent.
 * @param selectOnly Zero-based file indices (`MagnetLink.selectOnly`).
 */
export function selectOnlyPriorities(fileCount: number, selectOnly: readonly number[]): SelectOnlyPriorities {
  const priorities = new Array<number>(fileCount).fill(0);
  const ignored: number[] = [];
  for (const index of selectOnly) {
    if (Number.isInteger(index) && index >= 0 && index < fileCount) priorities[index] = DEFAULT_FILE_PRIORITY;
    else ignored.push(index);
  }
  return { priorities, ignored: [...new Set(ignored)].sort((a, b) => a - b) };
}

/**
 * The priority of each piece: the highest priority among the files it overlaps (padding files only count for a
 * piece that holds nothing else).
 * @param info The torrent.
 * @param filePriorities One per file, already checked.
 * @returns One priority (0..7) per piece.
 */
export function piecePriorities(info: TorrentInfo, filePriorities: readonly number[]): Uint8Array {
  const out = new Uint8Array(info.pieceCount);
  const covered = new Bitfield(info.pieceCount);
  for (const padding of [false, true]) {
    info.files.forEach((file, i) => {
      if (file.length === 0 || (file.padding === true) !== padding) return;
      const first = Math.floor(file.offset / info.pieceLength);
      const last = Math.floor((file.offset + file.length - 1) / info.pieceLength);
      for (let p = first; p <= last; p++) {
        if (padding && covered.has(p)) continue;
        if (!padding) covered.set(p);
        if (filePriorities[i] > out[p]) out[p] = filePriorities[i];
      }
    });
  }
  return out;
}

/** Options for {@linkcode TorrentFiles}. */
export interface TorrentFilesOptions {
  /**
   * File priorities given by the caller (they then win over recorded ones); default: every file at
   * {@link DEFAULT_FILE_PRIORITY}.
   */
  priorities?: readonly number[];
  /** Where changed priorities are recorded and wanted zero-length files created. */
  data?: Pick<TorrentData, "savePriorities" | "createEmptyFiles" | "storageId">;
  /** Called after the wanted or had pieces changed other than by `markHave`: a new selection, lost data. */
  onChange?: () => void;
  /** A wanted zero-length file could not be created after a selection change. */
  onError?: (error: unknown) => void;
}

/**
 * One torrent's file selection and the verified-byte counts over it. Owns the had/missing changes of the picker
 * it is attached to, so the counts stay right.
 */
export class TorrentFiles {
  readonly #info: TorrentInfo;
  readonly #options: TorrentFilesOptions;
  #priorities: number[];
  #explicit: boolean;
  #piecePriority: Uint8Array;
  #picker: PiecePicker | undefined;
  #wantedBytes = 0;
  #verifiedBytes = 0;
  #verifiedWantedBytes = 0;

  /**
   * @param info The torrent.
   * @param options Priorities given by the caller, where to record changes, whom to tell.
   * @throws {RangeError} When `options.priorities` does not fit the torrent (see {@linkcode checkFilePriorities}).
   */
  constructor(info: TorrentInfo, options: TorrentFilesOptions = {}) {
    this.#info = info;
    this.#options = options;
    const priorities = options.priorities;
    this.#explicit = priorities !== undefined;
    this.#priorities = priorities === undefined
      ? new Array<number>(info.files.length).fill(DEFAULT_FILE_PRIORITY)
      : checkFilePriorities(info.files.length, priorities);
    this.#piecePriority = piecePriorities(info, this.#priorities);
    this.#count();
  }

  /** The file priorities, a copy: one per file, 0 (skip) to 7. */
  get priorities(): number[] {
    return [...this.#priorities];
  }

  /** Whether file `index` has a priority above 0. */
  fileWanted(index: number): boolean {
    return this.#priorities[index] > 0;
  }

  /** Indices of the zero-length files that are wanted (no piece write creates them). */
  wantedEmptyFiles(): number[] {
    return this.#info.files.flatMap((file, i) => file.length === 0 && this.#priorities[i] > 0 ? [i] : []);
  }

  /** Bytes of the pieces with a priority above 0 (boundary pieces count in full). */
  get wantedBytes(): number {
    return this.#wantedBytes;
  }

  /** Bytes of verified pieces, wanted or not. */
  get verifiedBytes(): number {
    return this.#verifiedBytes;
  }

  /** Bytes of verified pieces with a priority above 0. */
  get verifiedWantedBytes(): number {
    return this.#verifiedWantedBytes;
  }

  /** Whether every piece of the torrent is verified, wanted or not. */
  get allVerified(): boolean {
    return this.#picker !== undefined && this.#picker.have.count === this.#info.pieceCount;
  }

  /** Uses a new picker (nothing had yet): gives it the piece priorities and starts counting from zero. */
  attach(picker: PiecePicker): void {
    this.#picker = picker;
    this.#apply();
  }

  /**
   * At start, once the storage is open: takes the recorded priorities when the caller set none (ignoring them
   * when they do not fit the torrent), then creates the wanted zero-length files.
   * @throws {StorageError} When a zero-length file cannot be created.
   */
  async adopt(recorded: readonly number[] | undefined): Promise<void> {
    if (!this.#explicit && recorded !== undefined) {
      try {
        this.#priorities = checkFilePriorities(this.#info.files.length, recorded);
        this.#apply();
      } catch {
        // An unusable record keeps the defaults.
      }
    }
    await this.#options.data?.createEmptyFiles(this.wantedEmptyFiles());
  }

  /**
   * Changes the file priorities (they are then the caller's) and the attached picker's piece priorities, records
   * them, creates newly wanted zero-length files (once the storage is open), and calls `onChange`.
   * @throws {RangeError} When `priorities` does not fit the torrent; nothing changes then.
   */
  set(priorities: readonly number[]): void {
    this.#priorities = checkFilePriorities(this.#info.files.length, priorities);
    this.#explicit = true;
    this.#apply();
    const data = this.#options.data;
    data?.savePriorities(this.#priorities);
    if (data !== undefined && data.storageId >= 0) {
      data.createEmptyFiles(this.wantedEmptyFiles()).catch((error) => this.#options.onError?.(error));
    }
    this.#options.onChange?.();
  }

  /** Pieces whose data was lost: marked missing (see {@link TorrentFiles.markLost}), then `onChange`. */
  lose(pieces: readonly number[]): void {
    for (const index of pieces) this.markLost(index);
    this.#options.onChange?.();
  }

  /** Marks piece `index` had in the picker. @returns Whether it was not had before. */
  markHave(index: number): boolean {
    const picker = this.#picker!;
    if (picker.have.has(index)) return false;
    picker.setHave(index);
    this.#add(index, 1);
    return true;
  }

  /** Marks piece `index` missing again (its data was lost). @returns Whether it was had before. */
  markLost(index: number): boolean {
    const picker = this.#picker!;
    if (!picker.have.has(index)) return false;
    picker.clearHave(index);
    this.#add(index, -1);
    return true;
  }

  #add(index: number, sign: 1 | -1): void {
    const size = this.#pieceSize(index);
    this.#verifiedBytes += sign * size;
    if (this.#piecePriority[index] > 0) this.#verifiedWantedBytes += sign * size;
  }

  #pieceSize(index: number): number {
    return Math.min(this.#info.pieceLength, this.#info.totalLength - index * this.#info.pieceLength);
  }

  /** Computes the piece priorities, gives them to the picker, recounts: O(pieces), on a selection change only. */
  #apply(): void {
    this.#piecePriority = piecePriorities(this.#info, this.#priorities);
    this.#picker?.setPiecePriorities(this.#piecePriority);
    this.#count();
  }

  /** Recounts wanted and verified bytes. */
  #count(): void {
    const have = this.#picker?.have;
    this.#wantedBytes = 0;
    this.#verifiedBytes = 0;
    this.#verifiedWantedBytes = 0;
    for (let p = 0; p < this.#info.pieceCount; p++) {
      const size = this.#pieceSize(p);
      const had = have?.has(p) ?? false;
      if (had) this.#verifiedBytes += size;
      if (this.#piecePriority[p] === 0) continue;
      this.#wantedBytes += size;
      if (had) this.#verifiedWantedBytes += size;
    }
  }
}
