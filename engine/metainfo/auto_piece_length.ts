/**
 * The default piece length for new torrents.
 *
 * @module
 */

const MIN_AUTO = 16 * 1024;
const MAX_AUTO = 16 * 1024 * 1024;
const TARGET_MAX_PIECES = 2000;

/**
 * The smallest power of two from 16 KiB to 16 MiB that cuts `totalLength` into at most 2000 pieces, which gives
 * 1000–2000 pieces unless the size is at either clamp (as libtorrent's `create_torrent` aims for).
 *
 * @param totalLength Torrent size in bytes (`>= 0`).
 * @returns Piece length in bytes.
 * @throws {RangeError} When `totalLength` is negative or not a safe integer.
 *
 * @example
 * ```ts
 * import { autoPieceLength } from "./auto_piece_length.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(autoPieceLength(1000), 16384);
 * assert.equal(autoPieceLength(1024 ** 3), 1024 * 1024); // 1 GiB: 1024 pieces of 1 MiB
 * ```
 */
export function autoPieceLength(totalLength: number): number {
  if (!Number.isSafeInteger(totalLength) || totalLength < 0) {
    throw new RangeError(`Cannot choose a piece length for ${totalLength} bytes`);
  }
  let length = MIN_AUTO;
  while (length < MAX_AUTO && Math.ceil(totalLength / length) > TARGET_MAX_PIECES) length *= 2;
  return length;
}
