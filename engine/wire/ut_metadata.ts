/**
 * The BEP 9 ut_metadata messages (`request`, `data`, `reject`), sent as BEP 10 extended messages under the id the
 * receiver gave `ut_metadata` in its extension handshake.
 *
 * @module
 */

import { type BencodeValue, decodePrefix, encode, isDict } from "../bencode/mod.ts";
import { BencodeError, PeerProtocolError } from "../errors.ts";
import { MAX_METADATA_SIZE } from "./extension_handshake.ts";

export { MAX_METADATA_SIZE };

/** Size in bytes of a metadata piece; only the last piece may be shorter (BEP 9). */
export const METADATA_PIECE_SIZE = 16384;
/** Largest ut_metadata payload accepted, in bytes: a 16 KiB piece plus its dictionary (HOSTILE_INPUTS.md 47). */
export const MAX_UT_METADATA_MESSAGE = 17 * 1024;

/** Most bencode tokens accepted in a ut_metadata dictionary; real ones have 6 or 7. */
const MAX_ITEMS = 64;
/** Deepest nesting accepted in a ut_metadata dictionary; real ones are flat. */
const MAX_DEPTH = 4;

/**
 * A BEP 9 ut_metadata message. `piece` is the index of a 16 KiB metadata piece; `totalSize` is the size in bytes
 * of the whole info dictionary (same meaning as `metadata_size` in the extension handshake); `data` is the piece
 * itself, 1..16,384 bytes.
 */
export type UtMetadataMessage =
  | { type: "request"; piece: number }
  | { type: "data"; piece: number; totalSize: number; data: Uint8Array }
  | { type: "reject"; piece: number };

const MSG_TYPE = { request: 0, data: 1, reject: 2 } as const;

/**
 * Number of 16 KiB metadata pieces of a metadata of `size` bytes (BEP 9).
 *
 * @param size Metadata size in bytes, 1..30 MiB.
 * @returns `ceil(size / 16384)`.
 *
 * @example A 40 KiB info dictionary has 3 pieces
 * ```ts
 * import assert from "node:assert/strict";
 * import { metadataPieceCount } from "./ut_metadata.ts";
 * assert.equal(metadataPieceCount(40 * 1024), 3);
 * ```
 */
export function metadataPieceCount(size: number): number {
  return Math.ceil(size / METADATA_PIECE_SIZE);
}

/**
 * Encodes a ut_metadata message: the payload after the extended message id byte (BEP 10), a bencoded dictionary
 * with `msg_type` and `piece` (and `total_size` for `data`), followed by the piece bytes for `data` (BEP 9).
 *
 * @param msg The message.
 * @returns The payload bytes.
 * @throws {RangeError} When `piece` is not a non-negative integer, `totalSize` is outside 1..30 MiB, or `data` is
 *   empty, longer than 16 KiB, or not a piece of a metadata of `totalSize` bytes.
 *
 * @example Request the first metadata piece
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeUtMetadata } from "./ut_metadata.ts";
 * const bytes = encodeUtMetadata({ type: "request", piece: 0 });
 * assert.equal(new TextDecoder().decode(bytes), "d8:msg_typei0e5:piecei0ee");
 * ```
 */
export function encodeUtMetadata(msg: UtMetadataMessage): Uint8Array {
  if (!Number.isSafeInteger(msg.piece) || msg.piece < 0) {
    throw new RangeError(
      `Cannot encode ut_metadata message: piece ${msg.piece} is not a non-negative integer`,
    );
  }
  if (msg.type !== "data") return encode({ msg_type: MSG_TYPE[msg.type], piece: msg.piece });
  const problem = dataProblem(msg.piece, msg.totalSize, msg.data.length);
  if (problem !== undefined) throw new RangeError(`Cannot encode ut_metadata message: ${problem}`);
  const dict = encode({ msg_type: MSG_TYPE.data, piece: msg.piece, total_size: msg.totalSize });
  const out = new Uint8Array(dict.length + msg.data.length);
  out.set(dict);
  out.set(msg.data, dict.length);
  return out;
}

/**
 * Decodes a ut_metadata payload (the extended message without its id byte, BEP 9). The `data` of a `data`
 * message is a view into `payload`: copy it if the payload buffer is reused.
 *
 * A `data` message must be self-consistent: `total_size` in 1..30 MiB, `piece` inside it, and the piece exactly
 * 16 KiB unless it is the last, which holds the rest (BEP 9). Whether it answers a request of ours is for the
 * caller (`MetadataFetcher` in engine/metadata) to judge.
 *
 * @param payload The bencoded dictionary, followed by the piece bytes for a `data` message.
 * @returns The message.
 * @throws {PeerProtocolError} `invalid_ut_metadata` when the payload is longer than 17 KiB, is not bencode, is
 *   not a dictionary, has no non-negative integer `piece`, has bytes after a `request` or `reject`, or is a
 *   `data` message with a bad `total_size` or piece length (HOSTILE_INPUTS.md 47). Nothing is allocated for a
 *   length read from the payload.
 * @throws {PeerProtocolError} `unknown_ut_metadata` when `msg_type` is an integer other than 0, 1 and 2: BEP 9
 *   says such a message MUST be ignored, so callers ignore this code rather than drop the peer.
 *
 * @example Read a reject
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeUtMetadata } from "./ut_metadata.ts";
 * const payload = new TextEncoder().encode("d8:msg_typei2e5:piecei3ee");
 * assert.deepEqual(decodeUtMetadata(payload), { type: "reject", piece: 3 });
 * ```
 */
export function decodeUtMetadata(payload: Uint8Array): UtMetadataMessage {
  if (payload.length > MAX_UT_METADATA_MESSAGE) {
    invalid(`${payload.length} bytes is more than ${MAX_UT_METADATA_MESSAGE}`);
  }
  let value: BencodeValue;
  let end: number;
  try {
    ({ value, end } = decodePrefix(payload, { maxDepth: MAX_DEPTH, maxItems: MAX_ITEMS }));
  } catch (e) {
    if (!(e instanceof BencodeError)) throw e;
    invalid(e.message, e);
  }
  if (!isDict(value)) invalid("not a dictionary");
  const msgType = value.get("msg_type");
  if (typeof msgType !== "number") invalid("msg_type is not an integer");
  const piece = value.get("piece");
  if (typeof piece !== "number" || piece < 0) invalid("piece is not a non-negative integer");
  if (msgType === MSG_TYPE.request || msgType === MSG_TYPE.reject) {
    if (end !== payload.length) invalid(`${payload.length - end} bytes after the dictionary`);
    return { type: msgType === MSG_TYPE.request ? "request" : "reject", piece };
  }
  if (msgType !== MSG_TYPE.data) {
    throw new PeerProtocolError(
      "unknown_ut_metadata",
      `Cannot decode ut_metadata message: unknown msg_type ${msgType}`,
    );
  }
  const totalSize = value.get("total_size");
  if (typeof totalSize !== "number") invalid("data message has no integer total_size");
  const problem = dataProblem(piece, totalSize, payload.length - end);
  if (problem !== undefined) invalid(problem);
  return { type: "data", piece, totalSize, data: payload.subarray(end) };
}

/** Why a data message of `length` bytes for `piece` of a `totalSize`-byte metadata is wrong, if it is. */
function dataProblem(piece: number, totalSize: number, length: number): string | undefined {
  if (!Number.isSafeInteger(totalSize) || totalSize < 1 || totalSize > MAX_METADATA_SIZE) {
    return `total_size ${totalSize} is outside 1..${MAX_METADATA_SIZE}`;
  }
  const count = metadataPieceCount(totalSize);
  if (piece >= count) return `piece ${piece} is past the last piece ${count - 1}`;
  const expected = piece === count - 1 ? totalSize - piece * METADATA_PIECE_SIZE : METADATA_PIECE_SIZE;
  if (length !== expected) return `piece ${piece} is ${length} bytes, not ${expected}`;
  return undefined;
}

function invalid(detail: string, cause?: unknown): never {
  throw new PeerProtocolError(
    "invalid_ut_metadata",
    `Cannot decode ut_metadata message: ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}
