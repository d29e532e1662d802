/**
 * The value shapes of bencode (BEP 3) as ccbt holds them in memory.
 *
 * @module
 */

/**
 * A decoded bencode value (BEP 3):
 * - integer → `number` (always a safe integer, `|n| <= Number.MAX_SAFE_INTEGER`),
 * - byte string → `Uint8Array` (raw bytes; text is not decoded),
 * - list → `BencodeValue[]`,
 * - dictionary → {@link BencodeDict}.
 */
export type BencodeValue = number | Uint8Array | BencodeValue[] | BencodeDict;

/**
 * A bencode dictionary (BEP 3). Keys are the raw key bytes as a latin1 string: one UTF-16 code unit per byte,
 * `0x00`–`0xFF`, lossless. ASCII keys such as `"piece length"` read naturally; use `keyBytes()` to get the bytes
 * back and `textKey()` to turn UTF-8 text into a key.
 */
export type BencodeDict = Map<string, BencodeValue>;

/** A bencode list (BEP 3). */
export type BencodeList = BencodeValue[];
