/**
 * Piece and block arithmetic of one torrent: piece sizes (the last one shorter), blocks of `blockSize` bytes (the
 * last block of the last piece shorter), and a numeric id per block.
 *
 * @module
 */

import type { BlockRequest } from "./piece_picker.ts";

/** Torrent geometry, validated once; indices passed in are trusted. */
export class BlockGeometry {
  readonly pieceCount: number;
  readonly pieceLength: number;
  readonly totalLength: number;
  readonly blockSize: number;
  /** Blocks in every piece but maybe the last. */
  readonly blocksPerPiece: number;

  /**
   * @throws {RangeError} When a length is not a positive integer (`totalLength` may be 0), or `pieceCount` is not
   *   `ceil(totalLength / pieceLength)`.
   */
  constructor(pieceCount: number, options: { pieceLength: number; totalLength: number; blockSize: number }) {
    const { pieceLength, totalLength, blockSize } = options;
    for (const [name, value] of [["pieceLength", pieceLength], ["blockSize", blockSize]] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(`Cannot create piece picker: ${name} ${value} is not a positive integer`);
      }
    }
    if (!Number.isSafeInteger(totalLength) || totalLength < 0) {
      throw new RangeError(
        `Cannot create piece picker: totalLength ${totalLength} is not a non-negative integer`,
      );
    }
    if (pieceCount !== Math.ceil(totalLength / pieceLength)) {
      throw new RangeError(
        `Cannot create piece picker: ${pieceCount} pieces do not cover ${totalLength} bytes in ${pieceLength}-byte pieces`,
      );
    }
    this.pieceCount = pieceCount;
    this.pieceLength = pieceLength;
    this.totalLength = totalLength;
    this.blockSize = blockSize;
    this.blocksPerPiece = Math.ceil(pieceLength / blockSize);
  }

  /** Bytes in piece `index`. */
  pieceSize(index: number): number {
    return index === this.pieceCount - 1 ? this.totalLength - index * this.pieceLength : this.pieceLength;
  }

  /** Blocks in piece `index`. */
  blockCount(index: number): number {
    return Math.ceil(this.pieceSize(index) / this.blockSize);
  }

  /** Block number at `begin` if `begin` and `length` are exactly one block of piece `index`, else -1. */
  blockOf(index: number, begin: number, length: number): number {
    if (!Number.isInteger(begin) || begin < 0 || begin % this.blockSize !== 0) return -1;
    const size = this.pieceSize(index);
    if (begin >= size || length !== Math.min(this.blockSize, size - begin)) return -1;
    return begin / this.blockSize;
  }

  /** The request for block `block` of piece `index`. */
  request(index: number, block: number): BlockRequest {
    const begin = block * this.blockSize;
    return { index, begin, length: Math.min(this.blockSize, this.pieceSize(index) - begin) };
  }

  /** A number naming one block of the torrent (exact: at most 2^21 pieces × 2^15 blocks). */
  blockId(index: number, block: number): number {
    return index * this.blocksPerPiece + block;
  }

  /** Piece index of a block id. */
  pieceOfId(id: number): number {
    return Math.floor(id / this.blocksPerPiece);
  }
}
