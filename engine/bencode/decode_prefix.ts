/**
 * Decoding a bencoded value that is followed by other data.
 *
 * @module
 */

import { type CommonDecodeOptions, parse, resolveSettings } from "./_parser.ts";
import type { BencodeValue } from "./types.ts";

/** What {@link decodePrefix} found. */
export interface DecodePrefixResult {
  /** The decoded value. */
  value: BencodeValue;
  /** Offset just past the value: bytes from here on were not read. */
  end: number;
}

/**
 * Decodes the bencoded value (BEP 3) at the start of `bytes` and says where it ends, for messages that carry data
 * after a dictionary, such as the BEP 9 ut_metadata `data` message. Same rules and caps as `decode`.
 *
 * @param bytes The input; only its prefix needs to be bencode.
 * @param options Caps and `copy`, as for `decode`.
 * @returns `{ value, end }` where `bytes.subarray(end)` is what follows the value.
 * @throws {BencodeError} When the prefix is not valid bencode, is cut short, or exceeds a cap.
 * @throws {RangeError} When an option is not a positive integer.
 *
 * @example A ut_metadata piece after its dictionary
 * ```ts
 * import { decodePrefix } from "./decode_prefix.ts";
 * import assert from "node:assert/strict";
 *
 * const message = new TextEncoder().encode("d8:msg_typei1e5:piecei0eeDATA");
 * const { end } = decodePrefix(message);
 * assert.equal(new TextDecoder().decode(message.subarray(end)), "DATA");
 * ```
 */
export function decodePrefix(bytes: Uint8Array, options?: CommonDecodeOptions): DecodePrefixResult {
  return parse(bytes, 0, resolveSettings(options, undefined));
}
