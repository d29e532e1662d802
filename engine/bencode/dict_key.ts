/**
 * Conversions between `BencodeDict` keys (latin1 strings of raw bytes) and bytes or UTF-8 text.
 *
 * @module
 */

import { latin1 } from "./_parser.ts";

/**
 * The raw bytes of a `BencodeDict` key (BEP 3 keys are byte strings; ccbt holds them as latin1 strings).
 *
 * @param key A dictionary key as `decode` returns it.
 * @returns One byte per code unit.
 * @throws {TypeError} When a code unit is above 0xFF, so `key` is not a raw-bytes key.
 *
 * @example
 * ```ts
 * import { keyBytes } from "./dict_key.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(keyBytes("\xc3\xa9"), new Uint8Array([0xc3, 0xa9]));
 * ```
 */
export function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c > 0xff) {
      throw new TypeError(`Cannot convert key to bytes: code unit 0x${c.toString(16)} at index ${i}`);
    }
    out[i] = c;
  }
  return out;
}

/**
 * The `BencodeDict` key for UTF-8 text: the text's UTF-8 bytes as a latin1 string. ASCII text is its own key.
 *
 * @param text Any text.
 * @returns The key to use with `Map.get` on a decoded dictionary, or in a dictionary passed to `encode`.
 *
 * @example
 * ```ts
 * import { textKey } from "./dict_key.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(textKey("é"), "\xc3\xa9");
 * assert.equal(textKey("announce"), "announce");
 * ```
 */
export function textKey(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return latin1(bytes, 0, bytes.length);
}
