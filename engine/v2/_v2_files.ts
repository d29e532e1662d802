/**
 * The shape of each file's v2 Merkle tree (BEP 52), computed once from the metainfo: the part the hash server,
 * the layer fetcher and the piece hash lookup share.
 *
 * @module
 */

import { MERKLE_BLOCK_SIZE, MERKLE_HASH_SIZE } from "../merkle/mod.ts";
import type { TorrentFile, TorrentInfo } from "../metainfo/mod.ts";
import { hex } from "../bytes.ts";

/** What the v2 helpers read of a torrent. */
export type V2Torrent = Pick<TorrentInfo, "files" | "pieceLength">;

/** One non-empty, non-padding file with a pieces root, and its Merkle tree's geometry. */
export interface V2File {
  /** Index in `TorrentInfo.files`. */
  readonly fileIndex: number;
  readonly file: TorrentFile;
  /** The file's `pieces root`, 32 bytes. */
  readonly root: Uint8Array;
  /** `root` in lowercase hex (the key of `TorrentInfo.pieceLayers`). */
  readonly rootHex: string;
  /** Leaf slots of the tree: the next power of two of the file's 16 KiB blocks. */
  readonly leafCount: number;
  /** Layers from the leaves to the root: `log2(leafCount)`. */
  readonly height: number;
  /** The piece layer: `log2(piece length / 16 KiB)`. At or above `height` for a file of at most one piece. */
  readonly pieceLayer: number;
  /** The file's pieces: `ceil(length / piece length)`. */
  readonly pieces: number;
  /** Global index of the file's first piece (v2 files start on a piece boundary). */
  readonly firstPiece: number;
  /** Whether the file has a piece layer (`length > piece length`); else its root is its only piece hash. */
  readonly hasLayer: boolean;
}

/** `log2(n)` for a power of two. */
export function log2(n: number): number {
  return Math.round(Math.log2(n));
}

/** The smallest power of two `>= n` (1 for `n <= 1`). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Whether `n` is a power of two from 1 to 2^52. */
export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** log2(n) === n;
}

/**
 * The v2 files of a torrent, in file order.
 *
 * @throws {RangeError} When the piece length is not a power of two of at least 16 KiB, or a pieces root is not
 *   32 bytes.
 */
export function v2Files(torrent: V2Torrent): V2File[] {
  const { pieceLength } = torrent;
  if (!isPowerOfTwo(pieceLength) || pieceLength < MERKLE_BLOCK_SIZE) {
    throw new RangeError(`Cannot use v2 hashes: piece length ${pieceLength} is not a power of two >= 16 KiB`);
  }
  const out: V2File[] = [];
  torrent.files.forEach((file, fileIndex) => {
    const root = file.piecesRoot;
    if (file.padding || file.length === 0 || root === undefined) return;
    if (root.length !== MERKLE_HASH_SIZE) {
      throw new RangeError(`Cannot use v2 hashes: file ${fileIndex} has a ${root.length}-byte pieces root`);
    }
    const leafCount = nextPowerOfTwo(Math.ceil(file.length / MERKLE_BLOCK_SIZE));
    out.push({
      fileIndex,
      file,
      root,
      rootHex: hex(root),
      leafCount,
      height: log2(leafCount),
      pieceLayer: log2(pieceLength / MERKLE_BLOCK_SIZE),
      pieces: Math.ceil(file.length / pieceLength),
      firstPiece: Math.floor(file.offset / pieceLength),
      hasLayer: file.length > pieceLength,
    });
  });
  return out;
}
