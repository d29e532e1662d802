/**
 * Resume decisions (DESIGN.md section 5): which recorded pieces to trust, which to hash again, and whether the
 * files on disk still hold what was recorded. Pure functions over the metainfo, the record and file stamps,
 * except {@linkcode stampFiles}, which stats the files.
 *
 * @module
 */

import type { TorrentInfo } from "./metainfo/mod.ts";
import { Bitfield } from "./picker/bitfield.ts";
import type { FileStamp } from "./storage/state_store.ts";

/** What a torrent does with its data when it starts. */
export interface ResumePlan {
  /** Pieces taken as verified without hashing: recorded, and every file they touch is unchanged. */
  trusted: Bitfield;
  /** Pieces to hash now, ascending. */
  check: number[];
  /** Why pieces are checked, for a warning; empty when nothing is. */
  reasons: string[];
}

/**
 * The state a record carries when a check of the data was cut short (a kill during a recheck): its have-bits are
 * the pieces the check had verified, and every other piece still has to be checked (HOSTILE_INPUTS.md case 66).
 */
export const CHECK_INTERRUPTED = "check_interrupted";

/** The recorded part of a torrent's state that resuming needs. */
export interface ResumeRecord {
  /** The recorded state; {@linkcode CHECK_INTERRUPTED} means the rest of the pieces are still to be checked. */
  state?: string;
  /** Bitfield bytes of pieces that were durable when recorded. */
  have: Uint8Array;
  /** File stamps at that moment, one per torrent file. */
  files: readonly FileStamp[];
}

/** Which files the caller wants (priority above 0); unwanted files that lost data are not reported. */
export interface FileFilter {
  /** Whether file `index` is wanted; default: every file. */
  fileWanted?: (index: number) => boolean;
}

/** Stats each path: size in bytes and mtime in ms; a missing file is `{ size: -1, mtimeMs: 0 }`. */
export async function stampFiles(paths: readonly string[]): Promise<FileStamp[]> {
  return await Promise.all(paths.map(async (path) => {
    try {
      const stat = await Deno.stat(path);
      return { size: stat.isFile ? stat.size : -1, mtimeMs: stat.mtime?.getTime() ?? 0 };
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        return { size: -1, mtimeMs: 0 };
      }
      throw error;
    }
  }));
}

/** First and last piece index that file `i` touches, or `null` for a zero-length file. */
export function filePieces(info: TorrentInfo, i: number): [number, number] | null {
  const file = info.files[i];
  if (file.length === 0) return null;
  return [
    Math.floor(file.offset / info.pieceLength),
    Math.floor((file.offset + file.length - 1) / info.pieceLength),
  ];
}

/**
 * Decides what to trust and what to hash. Without a usable record, every piece is checked when any file has
 * data. With one, recorded pieces whose files all match their stamps are trusted, and every piece of a file
 * whose size or mtime changed is checked (it may have been edited, truncated, or written after the record).
 * A changed unwanted file (`options.fileWanted`) is checked the same way but gives no reason: deleting a file
 * one does not want is no news.
 *
 * @param info The torrent.
 * @param record The recorded state, or `undefined` (none, discarded with `--fresh`, or unusable).
 * @param current The files' stamps now.
 * @param options Which files are wanted.
 */
export function planResume(
  info: TorrentInfo,
  record: ResumeRecord | undefined,
  current: readonly FileStamp[],
  options: FileFilter = {},
): ResumePlan {
  const trusted = new Bitfield(info.pieceCount);
  const usable = record !== undefined && record.files.length === info.files.length &&
    record.have.length === trusted.bytes.length;
  if (!usable) {
    const any = current.some((stamp) => stamp.size > 0);
    const check = any ? Array.from({ length: info.pieceCount }, (_, i) => i) : [];
    return {
      trusted,
      check,
      reasons: any ? ["no usable record of this torrent: checking existing data"] : [],
    };
  }
  const recorded = new Bitfield(info.pieceCount, record.have);
  const changed = new Bitfield(info.pieceCount);
  const reasons: string[] = [];
  info.files.forEach((file, i) => {
    const range = filePieces(info, i);
    if (range === null) return;
    const was = record.files[i];
    const now = current[i];
    if (was.size === now.size && was.mtimeMs === now.mtimeMs) return;
    if (options.fileWanted?.(i) ?? true) {
      reasons.push(
        `${file.path.join("/")} changed since the last checkpoint (${describe(was)} -> ${describe(now)})`,
      );
    }
    for (let p = range[0]; p <= range[1]; p++) changed.set(p);
  });
  const check: number[] = [];
  const interrupted = record.state === CHECK_INTERRUPTED && current.some((stamp) => stamp.size > 0);
  if (interrupted) {
    reasons.push("the last check of the data was interrupted: checking the pieces it had not verified");
  }
  for (let p = 0; p < info.pieceCount; p++) {
    if (changed.has(p)) check.push(p);
    else if (recorded.has(p)) trusted.set(p);
    else if (interrupted) check.push(p);
  }
  return { trusted, check, reasons };
}

function describe(stamp: FileStamp): string {
  return stamp.size === -1
    ? "missing"
    : `${stamp.size} bytes, mtime ${new Date(stamp.mtimeMs).toISOString()}`;
}

/** A file that lost verified data. */
export interface LostData {
  /** Index of the file in the torrent. */
  file: number;
  /** `ENOENT` (deleted) or `ENODATA` (truncated). */
  code: "ENOENT" | "ENODATA";
  /** Names the file and what happened. */
  message: string;
}

/**
 * Finds a wanted file that lost verified data while we run: deleted, or shorter than the end of the last
 * verified piece in it (HOSTILE_INPUTS.md cases 58 and 59). Unwanted files (`options.fileWanted`) are skipped:
 * see {@linkcode piecesLost} for what their loss costs.
 * @returns The first such file, or `null` when every wanted file still holds its data.
 */
export function lostData(
  info: TorrentInfo,
  have: Bitfield,
  current: readonly FileStamp[],
  paths: readonly string[],
  options: FileFilter = {},
): LostData | null {
  for (let i = 0; i < info.files.length; i++) {
    if (!(options.fileWanted?.(i) ?? true)) continue;
    const range = filePieces(info, i);
    if (range === null) continue;
    let last = -1;
    for (let p = range[1]; p >= range[0]; p--) {
      if (have.has(p)) {
        last = p;
        break;
      }
    }
    if (last < 0) continue;
    const file = info.files[i];
    const needed = Math.min(file.length, (last + 1) * info.pieceLength - file.offset);
    if (current[i].size === -1) {
      return {
        file: i,
        code: "ENOENT",
        message: `Cannot keep ${paths[i]}: the file was deleted while in use`,
      };
    }
    if (current[i].size < needed) {
      return {
        file: i,
        code: "ENODATA",
        message: `Cannot keep ${paths[i]}: the file was truncated to ${current[i].size} bytes while in use ` +
          `(verified data reaches byte ${needed})`,
      };
    }
  }
  return null;
}

/**
 * The verified pieces whose bytes in file `index` are gone: every one of them when the file is missing, those
 * reaching past its end when it is shorter.
 * @param info The torrent.
 * @param index The file.
 * @param have Verified pieces.
 * @param stamp The file's stamp now.
 * @returns Piece indices, ascending; empty for a zero-length file or one that holds its data.
 */
export function piecesLost(info: TorrentInfo, index: number, have: Bitfield, stamp: FileStamp): number[] {
  const range = filePieces(info, index);
  if (range === null) return [];
  const file = info.files[index];
  const lost: number[] = [];
  for (let p = range[0]; p <= range[1]; p++) {
    if (!have.has(p)) continue;
    const end = Math.min(file.length, (p + 1) * info.pieceLength - file.offset);
    if (stamp.size < end) lost.push(p);
  }
  return lost;
}
