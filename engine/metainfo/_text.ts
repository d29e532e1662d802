/**
 * Text fields of metainfo: BEP 3 says UTF-8, real files sometimes are not, and some carry a `<key>.utf-8`
 * twin that is preferred when it is valid.
 *
 * @module
 */

import type { BencodeDict, BencodeValue } from "../bencode/mod.ts";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });

/** UTF-8 bytes as text, or `undefined` when they are not valid UTF-8. */
export function strictText(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** UTF-8 bytes as text, with U+FFFD for invalid sequences. */
export function lenientText(bytes: Uint8Array): string {
  return lenient.decode(bytes);
}

/** `dict[key + ".utf-8"]` when it is valid UTF-8, else `dict[key]` decoded leniently; `undefined` if neither. */
export function preferUtf8(dict: BencodeDict, key: string): string | undefined {
  const twin = dict.get(`${key}.utf-8`);
  if (twin instanceof Uint8Array) {
    const text = strictText(twin);
    if (text !== undefined) return text;
  }
  const value: BencodeValue | undefined = dict.get(key);
  return value instanceof Uint8Array ? lenientText(value) : undefined;
}
