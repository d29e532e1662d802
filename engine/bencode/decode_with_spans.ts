/**
 * Decoding a bencoded dictionary while remembering where each top-level value sits in the input, so that the
 * info-hash can be taken over the `info` value exactly as found (BEP 3, BEP 52).
 *
 * @module
 */

import { BencodeError } from "../errors.ts";
import { type ByteSpan, type CommonDecodeOptions, parse, resolveSettings } from "./_parser.ts";
import type { BencodeValue } from "./types.ts";

export type { ByteSpan };

/** What {@link decodeWithSpans} found. */
export interface DecodeWithSpansResult {
  /** The decoded value (a `BencodeDict` when `spans` is not empty). */
  value: BencodeValue;
  /**
   * For a top-level dictionary: each key's value as the half-open byte range `[start, end)` of the input. Empty
   * when the top-level value is not a dictionary.
   */
  spans: ReadonlyMap<string, ByteSpan>;
}

/**
 * Decodes like `decode` (strict, capped, no trailing bytes) and also returns the raw byte span of every value in
 * the top-level dictionary. The info-hash is SHA-1 over `bytes.subarray(span.start, span.end)` of the `info`
 * key, never over a re-encoding (BEP 3).
 *
 * @param bytes The encoded input.
 * @param options Caps and `copy`, as for `decode`.
 * @returns The value and the spans.
 * @throws {BencodeError} When the input is not valid bencode, has trailing bytes, or exceeds a cap.
 * @throws {RangeError} When an option is not a positive integer.
 *
 * @example The raw bytes of `info`
 * ```ts
 * import { decodeWithSpans } from "./decode_with_spans.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("d4:infod4:name1:xee");
 * const span = decodeWithSpans(bytes).spans.get("info")!;
 * assert.equal(new TextDecoder().decode(bytes.subarray(span.start, span.end)), "d4:name1:xe");
 * ```
 */
export function decodeWithSpans(bytes: Uint8Array, options?: CommonDecodeOptions): DecodeWithSpansResult {
  const spans = new Map<string, ByteSpan>();
  const { value, end } = parse(bytes, 0, resolveSettings(options, spans));
  if (end !== bytes.length) {
    throw new BencodeError(
      `Cannot decode bencode at offset ${end}: ${bytes.length - end} trailing bytes after the value`,
      end,
    );
  }
  return { value, spans };
}
