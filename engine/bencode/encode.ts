/**
 * Bencode encoding (BEP 3) of ccbt values and plain JavaScript values.
 *
 * @module
 */

/**
 * What {@link encode} accepts: every `BencodeValue`, plus strings (encoded as UTF-8 byte strings), `bigint`
 * integers, readonly arrays, and plain objects as dictionaries. Dictionary entries whose value is `undefined` are
 * left out, which makes optional fields easy.
 */
export type Encodable =
  | number
  | bigint
  | string
  | Uint8Array
  | readonly Encodable[]
  | ReadonlyMap<string, Encodable | undefined>
  | { readonly [key: string]: Encodable | undefined };

const MAX_ENCODE_DEPTH = 1000;
const utf8 = new TextEncoder();

class Writer {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }
}

// One reusable scratch writer keeps small encodes (every extension message) free of growth copies. A getter on a
// value could call encode() again while the scratch is in use; that call gets its own writer.
const SCRATCH_LIMIT = 1 << 20;
let scratch: Writer | undefined = new Writer(4096);

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    } else n += 3;
  }
  return n;
}

function writeKey(w: Writer, key: string): void {
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) > 0xff) {
      throw new TypeError(
        `Cannot encode bencode: dictionary key ${
          JSON.stringify(key)
        } is not latin1 raw bytes (use textKey())`,
      );
    }
  }
  w.ascii(`${key.length}:`);
  w.ascii(key);
}

function writeDict(w: Writer, entries: [string, Encodable | undefined][], depth: number): void {
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  w.byte(0x64);
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    writeKey(w, key);
    write(w, value, depth + 1);
  }
  w.byte(0x65);
}

function write(w: Writer, value: Encodable, depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) {
    throw new RangeError(
      `Cannot encode bencode: nesting deeper than ${MAX_ENCODE_DEPTH} (is the value cyclic?)`,
    );
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`Cannot encode bencode: ${value} is not a safe integer`);
    }
    w.ascii(`i${value}e`);
  } else if (typeof value === "string") {
    const n = utf8Length(value);
    w.ascii(`${n}:`);
    w.ensure(n);
    w.pos += utf8.encodeInto(value, w.buf.subarray(w.pos, w.pos + n)).written;
  } else if (value instanceof Uint8Array) {
    w.ascii(`${value.length}:`);
    w.ensure(value.length);
    w.buf.set(value, w.pos);
    w.pos += value.length;
  } else if (Array.isArray(value)) {
    w.byte(0x6c);
    for (const item of value as readonly Encodable[]) {
      if (item === undefined) throw new TypeError("Cannot encode bencode: list item is undefined");
      write(w, item, depth + 1);
    }
    w.byte(0x65);
  } else if (value instanceof Map) {
    writeDict(w, [...(value as ReadonlyMap<string, Encodable | undefined>).entries()], depth);
  } else if (typeof value === "bigint") {
    w.ascii(`i${value}e`);
  } else if (
    typeof value === "object" && value !== null &&
    (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
  ) {
    writeDict(w, Object.entries(value), depth);
  } else {
    const kind = value === null
      ? "null"
      : typeof value === "object"
      ? (value as object).constructor?.name
      : typeof value;
    throw new TypeError(`Cannot encode bencode: unsupported value of type ${kind}`);
  }
}

/**
 * Encodes a value as bencode (BEP 3). Dictionary keys are written in ascending raw-byte order, as BEP 3 requires;
 * `Map` keys and plain-object keys are latin1 raw bytes, exactly as `decode` returns them, so
 * `encode(decode(b))` gives back `b` for any valid input `b`.
 *
 * @param value A `BencodeValue` or other {@link Encodable}.
 * @returns A new `Uint8Array` with the encoding.
 * @throws {RangeError} For a number that is not a safe integer, or nesting deeper than 1000 (a cyclic value).
 * @throws {TypeError} For an unsupported value (boolean, null, `undefined` in a list, class instances other than
 *   `Map` and `Uint8Array`) or a key with a code unit above 0xFF.
 *
 * @example Encode an extension handshake (BEP 10)
 * ```ts
 * import { encode } from "./encode.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encode({ v: "ccbt", m: { ut_metadata: 1 } });
 * assert.equal(new TextDecoder().decode(bytes), "d1:md11:ut_metadatai1ee1:v4:ccbte");
 * ```
 */
export function encode(value: Encodable): Uint8Array {
  let w: Writer;
  if (scratch !== undefined) {
    w = scratch;
    scratch = undefined;
    w.pos = 0;
  } else {
    w = new Writer(256);
  }
  try {
    write(w, value, 0);
    return w.buf.slice(0, w.pos);
  } finally {
    if (w.buf.length <= SCRATCH_LIMIT) scratch = w;
    else if (scratch === undefined) scratch = new Writer(4096);
  }
}
