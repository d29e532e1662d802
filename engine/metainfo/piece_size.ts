/**
 * Piece sizes (BEP 3: all pieces are `piece length` bytes except possibly the last).
 *
 * @module
 */

import type { TorrentInfo } from "./types.ts";

/**
 * The size of piece `index` in bytes: `pieceLength`, or less for the last piece.
 *
 * @param info A parsed torrent (only `pieceLength`, `pieceCount` and `totalLength` are read).
 * @param index Piece index, `0 <= index < pieceCount`.
 * @returns Size in bytes (at least 1).
 * @throws {RangeError} When `index` is not an integer in range.
 *
 * @example
 * ```ts
 * import { pieceSize } from "./piece_size.ts";
 * import assert from "node:assert/strict";
 *
 * const info = { pieceLength: 16384, pieceCount: 2, totalLength: 20000 };
 * assert.equal(pieceSize(info, 0), 16384);
 * assert.equal(pieceSize(info, 1), 3616);
 * ```
 */
export function pieceSize(
  info: Pick<TorrentInfo, "pieceLength" | "pieceCount" | "totalLength">,
  index: number,
): number {
  if (!Number.isInteger(index) || index < 0 || index >= info.pieceCount) {
    throw new RangeError(`Cannot size piece ${index}: the torrent has ${info.pieceCount} pieces`);
  }
  return index === info.pieceCount - 1 ? info.totalLength - index * info.pieceLength : info.pieceLength;
}
