/**
 * Byte-string helpers for metainfo: hex text and raw-byte dictionary keys.
 *
 * @module
 */

/** Lowercase hex of `bytes`. */
export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** The `BencodeDict` key (latin1 string, one code unit per byte) for raw key bytes. */
export function latin1Key(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}
