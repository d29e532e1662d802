/**
 * Helpers for the bencode tests.
 *
 * @module
 */

import fc from "fast-check";
import type { BencodeValue } from "./types.ts";

/** ASCII text as bytes. */
export function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** An arbitrary valid bencode value (keys of raw bytes 0x00–0xFF, integers in the safe range). */
export const bencodeValue: fc.Arbitrary<BencodeValue> = fc.letrec<{ value: BencodeValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.array(
      fc.tuple(
        fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) }),
        tie("value"),
      ),
      {
        maxLength: 5,
      },
    ).map((entries) => new Map(entries)),
  ),
})).value;
