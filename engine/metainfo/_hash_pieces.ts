/**
 * Hashing the content of a new torrent in the disk worker pool: the files are laid out as the torrent will have
 * them (back to back for v1, each on a piece boundary for v2 and hybrids, with the BEP 47 padding of hybrids in the
 * v1 stream), registered as a hash-only storage, and every piece is read and hashed by a worker (`DiskIo.hashPiece`),
 * a few pieces in flight per worker. The main thread only assembles the SHA-1 `pieces` (BEP 3) and each file's
 * piece layer and pieces root (BEP 52).
 *
 * @module
 */

import type { DiskIo, StorageFile, StorageSpec } from "../storage/disk_io.ts";
import { MERKLE_HASH_SIZE } from "../merkle/constants.ts";
import type { FileMerkle } from "../merkle/file_merkle_hasher.ts";
import { pieceLayerRoot } from "../merkle/piece_layer_root.ts";
import type { SourceFile } from "./_walk.ts";
import { runInLanes } from "../lanes.ts";

/** Jobs kept in flight per worker: enough that a worker never waits for the main thread between pieces. */
const JOBS_PER_WORKER = 3;

/** What to compute. */
export interface HashPlan {
  /** Bytes per piece. */
  pieceLength: number;
  /** Compute v1 SHA-1 piece hashes. */
  v1: boolean;
  /** Compute each file's v2 Merkle tree (needs a power-of-two piece length). */
  v2: boolean;
  /** Zero bytes that follow each file in the v1 piece stream (BEP 47 padding files); default none. */
  padAfter?: readonly number[];
  /** Called after each piece with (hashed bytes, total bytes), padding not counted. */
  onProgress?: (hashedBytes: number, totalBytes: number) => void;
  /** The pool to hash in (left open). */
  diskIo: DiskIo;
  /** Workers to keep busy: `JOBS_PER_WORKER` pieces are kept in flight for each. */
  workers: number;
}

/** What {@linkcode hashContent} computed. */
export interface HashedContent {
  /** v1: concatenated 20-byte SHA-1 piece digests; empty when not asked for. */
  pieces: Uint8Array;
  /** v2: one Merkle result per file, in order; empty when not asked for. */
  merkle: FileMerkle[];
}

/** The default number of workers: the cores, 1..4. */
export function defaultWorkers(): number {
  return Math.min(4, Math.max(1, navigator.hardwareConcurrency || 1));
}

/**
 * The storage of the files as the torrent lays them out: v1 back to back; v2 with every non-empty file on a piece
 * boundary (synthetic padding, never read); hybrid with the BEP 47 padding `padAfter` gives. Returns the spec and
 * each source file's index in it.
 */
export function contentSpec(
  files: readonly SourceFile[],
  plan: HashPlan,
): { spec: StorageSpec; index: number[] } {
  const { pieceLength } = plan;
  const last = files.findLastIndex((file) => file.length > 0);
  const out: StorageFile[] = [];
  const index: number[] = [];
  let offset = 0;
  files.forEach((file, i) => {
    index.push(out.length);
    out.push({ path: file.absolute, length: file.length, offset });
    offset += file.length;
    let gap = plan.padAfter?.[i] ?? 0;
    if (!plan.v1 && file.length > 0 && i < last) gap = (pieceLength - (offset % pieceLength)) % pieceLength;
    if (gap > 0) {
      out.push({ path: `.pad/${gap}`, length: gap, offset, padding: true });
      offset += gap;
    }
  });
  return {
    spec: { files: out, pieceLength, totalLength: offset, pieceHashes: new Uint8Array(0), hashOnly: true },
    index,
  };
}

/** Bytes of real (not padding) data in each piece. */
function dataPerPiece(spec: StorageSpec): Float64Array {
  const { pieceLength, totalLength } = spec;
  const bytes = new Float64Array(Math.ceil(totalLength / pieceLength));
  for (const file of spec.files) {
    if (file.padding === true) continue;
    for (let at = file.offset, end = file.offset + file.length; at < end;) {
      const piece = Math.floor(at / pieceLength);
      const next = Math.min(end, (piece + 1) * pieceLength);
      bytes[piece] += next - at;
      at = next;
    }
  }
  return bytes;
}

/**
 * Hashes `files` in the worker pool into v1 piece hashes and/or v2 Merkle trees.
 *
 * @param files Files in torrent order, with their lengths in bytes.
 * @param plan What to compute, the padding of the v1 stream, progress, and the pool.
 * @returns The v1 piece hashes and the v2 per-file hashes asked for.
 * @throws {StorageError} When a file cannot be opened or read, or is shorter than listed.
 */
export async function hashContent(files: readonly SourceFile[], plan: HashPlan): Promise<HashedContent> {
  const { spec, index } = contentSpec(files, plan);
  const io = plan.diskIo;
  const id = await io.addStorage(spec);
  try {
    const { pieces, roots } = await hashPieces(io, id, spec, plan, plan.workers * JOBS_PER_WORKER);
    const merkle = plan.v2 ? index.map((i) => fileMerkle(spec.files[i], spec.pieceLength, roots)) : [];
    return { pieces, merkle };
  } finally {
    await io.removeStorage(id);
  }
}

/** Every piece of the storage hashed, `lanes` pieces in flight, in order; stops at the first failure. */
async function hashPieces(
  io: DiskIo,
  id: number,
  spec: StorageSpec,
  plan: HashPlan,
  lanes: number,
): Promise<{ pieces: Uint8Array; roots: Uint8Array }> {
  const count = Math.ceil(spec.totalLength / spec.pieceLength);
  const pieces = new Uint8Array(plan.v1 ? count * 20 : 0);
  const roots = new Uint8Array(plan.v2 ? count * MERKLE_HASH_SIZE : 0);
  const data = dataPerPiece(spec);
  const total = data.reduce((sum, n) => sum + n, 0);
  const want = { sha1: plan.v1, v2: plan.v2 };
  let hashed = 0;
  await runInLanes(count, lanes, async (piece) => {
    const { sha1, root } = await io.hashPiece(id, piece, want);
    if (sha1 !== undefined) pieces.set(sha1, piece * 20);
    if (root !== undefined) roots.set(root, piece * MERKLE_HASH_SIZE);
    hashed += data[piece];
    plan.onProgress?.(hashed, total);
  });
  return { pieces, roots };
}

/** A file's pieces root and piece layer from the roots of its pieces (BEP 52). */
function fileMerkle(file: StorageFile, pieceLength: number, roots: Uint8Array): FileMerkle {
  const { length } = file;
  if (length === 0) return { piecesRoot: undefined, pieceLayer: new Uint8Array(0), length };
  const first = file.offset / pieceLength * MERKLE_HASH_SIZE;
  if (length <= pieceLength) {
    return {
      piecesRoot: roots.slice(first, first + MERKLE_HASH_SIZE),
      pieceLayer: new Uint8Array(0),
      length,
    };
  }
  const pieceLayer = roots.slice(first, first + Math.ceil(length / pieceLength) * MERKLE_HASH_SIZE);
  return { piecesRoot: pieceLayerRoot(pieceLayer, pieceLength), pieceLayer, length };
}
