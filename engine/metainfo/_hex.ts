/**
 * Byte-string helpers for metainfo: hex text (the engine-wide `hex`) and raw-byte dictionary keys.
 *
 * @module
 */

export { hex } from "../bytes.ts";

/** The `BencodeDict` key (latin1 string, one code unit per byte) for raw key bytes. */
export function latin1Key(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}
