/**
 * Strict bencode decoding (BEP 3) with hostile-input caps.
 *
 * @module
 */

import { BencodeError } from "../errors.ts";
import { type CommonDecodeOptions, parse, resolveSettings } from "./_parser.ts";
import type { BencodeValue } from "./types.ts";

/** Options for {@link decode}. */
export interface DecodeOptions extends CommonDecodeOptions {
  /**
   * Accept bytes after the top-level value and ignore them. Default `false`. To learn where the value ends (for
   * example a BEP 9 ut_metadata `data` message, whose piece follows the dictionary), use `decodePrefix`.
   */
  allowTrailing?: boolean;
}

/**
 * Decodes one bencoded value (BEP 3), strictly: integers without leading zeros or `-0` and within
 * `Number.MAX_SAFE_INTEGER`, byte-string lengths without leading zeros that fit in the input, dictionary keys that
 * are byte strings in strictly ascending raw-byte order, and nothing after the value. Caps from DESIGN.md
 * section 8 bound nesting and token count; no recursion is used, and nothing is allocated for a length prefix
 * before it is checked against the remaining input.
 *
 * Byte strings are `subarray` views into `bytes` unless `options.copy` is set. Dictionary keys are latin1 strings
 * of the raw key bytes (see `BencodeDict`).
 *
 * @param bytes The encoded input.
 * @param options Caps, `copy`, `allowTrailing`.
 * @returns The decoded value.
 * @throws {BencodeError} When the input is not valid bencode or exceeds a cap; `offset` says where.
 * @throws {RangeError} When an option is not a positive integer.
 *
 * @example Decode a dictionary
 * ```ts
 * import { decode } from "./decode.ts";
 * import assert from "node:assert/strict";
 *
 * const value = decode(new TextEncoder().encode("d3:cow3:moo4:spami42ee")) as Map<string, unknown>;
 * assert.equal(value.get("spam"), 42);
 * assert.deepEqual(value.get("cow"), new TextEncoder().encode("moo"));
 * ```
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): BencodeValue {
  const { value, end } = parse(bytes, 0, resolveSettings(options, undefined));
  if (end !== bytes.length && options?.allowTrailing !== true) {
    throw new BencodeError(
      `Cannot decode bencode at offset ${end}: ${bytes.length - end} trailing bytes after the value`,
      end,
    );
  }
  return value;
}
