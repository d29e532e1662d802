/**
 * Validation of a received BEP 3 `bitfield` message body against the torrent's piece count.
 *
 * @module
 */

import { PeerProtocolError } from "../errors.ts";
import { Bitfield } from "../picker/bitfield.ts";

/**
 * Checks a `bitfield` message body and turns it into a {@linkcode Bitfield}. Spare bits at the end must be zero
 * by BEP 3, but some clients set them; they are ignored (cleared), as libtorrent does (HOSTILE_INPUTS.md case 37).
 *
 * @param bytes The message body (high bit of byte 0 = piece 0); copied, so a decoder view is fine.
 * @param pieceCount Number of pieces in the torrent (at least 0).
 * @returns A new `Bitfield` of `pieceCount` pieces.
 * @throws {PeerProtocolError} `invalid_bitfield` when `bytes` is not exactly `ceil(pieceCount / 8)` long.
 *
 * @example A peer with pieces 0 and 9 of 10, spare bits set
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkBitfield } from "./check_bitfield.ts";
 * const bitfield = checkBitfield(Uint8Array.of(0b1000_0000, 0b0111_1111), 10);
 * assert.deepEqual([...bitfield.indices()], [0, 9]);
 * ```
 */
export function checkBitfield(bytes: Uint8Array, pieceCount: number): Bitfield {
  const expected = Math.ceil(pieceCount / 8);
  if (bytes.length !== expected) {
    throw new PeerProtocolError(
      "invalid_bitfield",
      `Cannot accept bitfield: ${bytes.length} bytes for ${pieceCount} pieces, expected ${expected}`,
    );
  }
  return new Bitfield(pieceCount, bytes);
}
