/**
 * The one bencode parser (BEP 3) behind `decode`, `decodePrefix` and `decodeWithSpans`. It keeps an explicit stack
 * instead of recursing, so hostile nesting cannot overflow the call stack (HOSTILE_INPUTS.md case 1), and it checks
 * every length prefix against the remaining input before touching it (case 3).
 *
 * @module
 */

import { BencodeError } from "../errors.ts";
import type { BencodeDict, BencodeValue } from "./types.ts";

/** Default cap on nested lists and dictionaries (DESIGN.md section 8, libtorrent's default). */
export const DEFAULT_MAX_DEPTH = 100;
/** Default cap on tokens (values and dictionary keys) in one input (DESIGN.md section 8). */
export const DEFAULT_MAX_ITEMS = 3_000_000;

/** A half-open byte range `[start, end)` of the input. */
export interface ByteSpan {
  /** Offset of the first byte. */
  readonly start: number;
  /** Offset one past the last byte. */
  readonly end: number;
}

/** Resolved parser settings. */
export interface ParserSettings {
  maxDepth: number;
  maxItems: number;
  copy: boolean;
  /** When set, receives the span of every value of the top-level dictionary, by key. */
  spans: Map<string, ByteSpan> | undefined;
}

/** Options shared by every decoding entry point. */
export interface CommonDecodeOptions {
  /** Most lists/dictionaries nested inside each other (the top-level one counts as 1). Default 100. */
  maxDepth?: number;
  /** Most tokens (integers, byte strings, lists, dictionaries, dictionary keys) in the input. Default 3,000,000. */
  maxItems?: number;
  /**
   * Copy byte strings out of the input instead of returning `subarray` views into it. Default `false`: views are
   * cheaper, but they change if the caller later reuses the input buffer.
   */
  copy?: boolean;
}

const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_D = 0x64;
const LOWER_E = 0x65;
const LOWER_I = 0x69;
const LOWER_L = 0x6c;

class Frame {
  list: BencodeValue[] | undefined;
  dict: BencodeDict | undefined;
  key: string | undefined = undefined;
  prevKeyStart = -1;
  prevKeyEnd = -1;
  valueStart = -1;
  constructor(list: BencodeValue[] | undefined, dict: BencodeDict | undefined) {
    this.list = list;
    this.dict = dict;
  }
}

/** Turns `settings`-style options into checked settings. */
export function resolveSettings(
  options: CommonDecodeOptions | undefined,
  spans: Map<string, ByteSpan> | undefined,
): ParserSettings {
  const maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxItems = options?.maxItems ?? DEFAULT_MAX_ITEMS;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
    throw new RangeError(`Cannot decode bencode: maxDepth must be a positive integer, got ${maxDepth}`);
  }
  if (!Number.isSafeInteger(maxItems) || maxItems < 1) {
    throw new RangeError(`Cannot decode bencode: maxItems must be a positive integer, got ${maxItems}`);
  }
  return { maxDepth, maxItems, copy: options?.copy ?? false, spans };
}

function fail(offset: number, detail: string): never {
  throw new BencodeError(`Cannot decode bencode at offset ${offset}: ${detail}`, offset);
}

function describeByte(bytes: Uint8Array, offset: number): string {
  if (offset >= bytes.length) return "unexpected end of input";
  return `unexpected byte 0x${bytes[offset].toString(16).padStart(2, "0")}`;
}

/** Raw bytes `[start, end)` as a latin1 string (one code unit per byte). */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let out = "";
    for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]);
    return out;
  }
  let out = "";
  for (let i = start; i < end; i += 8192) {
    const chunk = bytes.subarray(i, Math.min(end, i + 8192));
    out += String.fromCharCode.apply(null, chunk as unknown as number[]);
  }
  return out;
}

/** Compares raw byte ranges `a` and `b` like memcmp then length: negative, zero or positive. */
function compareRanges(
  bytes: Uint8Array,
  aStart: number,
  aEnd: number,
  bStart: number,
  bEnd: number,
): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < n; i++) {
    const d = bytes[aStart + i] - bytes[bStart + i];
    if (d !== 0) return d;
  }
  return (aEnd - aStart) - (bEnd - bStart);
}

/**
 * Parses one bencode value starting at `start`.
 * @returns The value and the offset just past it (trailing bytes are the caller's business).
 * @throws {BencodeError} On malformed input or an exceeded cap.
 */
export function parse(
  bytes: Uint8Array,
  start: number,
  settings: ParserSettings,
): { value: BencodeValue; end: number } {
  const length = bytes.length;
  const stack: Frame[] = [];
  let pos = start;
  let items = 0;
  // Start and end of the last byte string read by readString (its data, not its prefix).
  let strStart = 0;
  let strEnd = 0;

  function readString(): void {
    const prefixStart = pos;
    if (bytes[pos] === ZERO && bytes[pos + 1] >= ZERO && bytes[pos + 1] <= NINE) {
      fail(prefixStart, "byte string length has a leading zero");
    }
    let n = 0;
    while (pos < length) {
      const c = bytes[pos];
      if (c < ZERO || c > NINE) break;
      n = n * 10 + (c - ZERO);
      // The data starts at least two bytes further on (after this digit and the colon). Checking here keeps `n`
      // small: a prefix like 99999999999999999999 fails before it can grow past the input size.
      if (n > length - pos - 2) fail(prefixStart, "byte string length exceeds the input");
      pos++;
    }
    if (pos >= length || bytes[pos] !== COLON) fail(pos, describeByte(bytes, pos));
    pos++;
    strStart = pos;
    strEnd = pos + n;
    pos = strEnd;
  }

  function readInteger(): number {
    const tokenStart = pos;
    pos++;
    let negative = false;
    if (bytes[pos] === MINUS) {
      negative = true;
      pos++;
    }
    const digitsStart = pos;
    let n = 0;
    while (pos < length) {
      const c = bytes[pos];
      if (c < ZERO || c > NINE) break;
      const d = c - ZERO;
      if (n > (Number.MAX_SAFE_INTEGER - d) / 10) fail(tokenStart, "integer is outside the safe range");
      n = n * 10 + d;
      pos++;
    }
    if (pos >= length || bytes[pos] !== LOWER_E) fail(pos, describeByte(bytes, pos));
    const digits = pos - digitsStart;
    if (digits === 0) fail(tokenStart, "integer has no digits");
    if (digits > 1 && bytes[digitsStart] === ZERO) fail(tokenStart, "integer has a leading zero");
    if (negative && n === 0) fail(tokenStart, "integer is negative zero");
    pos++;
    return negative ? -n : n;
  }

  for (;;) {
    if (pos >= length) fail(pos, "unexpected end of input");
    const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
    const c = bytes[pos];
    let value: BencodeValue;

    if (top !== undefined && c === LOWER_E) {
      if (top.key !== undefined) fail(pos, "dictionary key has no value");
      stack.pop();
      pos++;
      value = top.list ?? top.dict!;
    } else if (top?.dict !== undefined && top.key === undefined) {
      if (c < ZERO || c > NINE) {
        fail(pos, `dictionary key must be a byte string, ${describeByte(bytes, pos)}`);
      }
      if (++items > settings.maxItems) fail(pos, `more than ${settings.maxItems} items`);
      const keyOffset = pos;
      readString();
      if (top.prevKeyStart >= 0) {
        const order = compareRanges(bytes, top.prevKeyStart, top.prevKeyEnd, strStart, strEnd);
        if (order === 0) fail(keyOffset, "duplicate dictionary key");
        if (order > 0) fail(keyOffset, "dictionary keys are not sorted");
      }
      top.prevKeyStart = strStart;
      top.prevKeyEnd = strEnd;
      top.key = latin1(bytes, strStart, strEnd);
      top.valueStart = pos;
      continue;
    } else {
      if (++items > settings.maxItems) fail(pos, `more than ${settings.maxItems} items`);
      if (c === LOWER_I) {
        value = readInteger();
      } else if (c >= ZERO && c <= NINE) {
        readString();
        value = settings.copy ? bytes.slice(strStart, strEnd) : bytes.subarray(strStart, strEnd);
      } else if (c === LOWER_L || c === LOWER_D) {
        if (stack.length >= settings.maxDepth) fail(pos, `nesting deeper than ${settings.maxDepth}`);
        stack.push(c === LOWER_L ? new Frame([], undefined) : new Frame(undefined, new Map()));
        pos++;
        continue;
      } else {
        fail(pos, describeByte(bytes, pos));
      }
    }

    // Deliver the finished value to its container, or return it.
    const parent = stack.length > 0 ? stack[stack.length - 1] : undefined;
    if (parent === undefined) return { value, end: pos };
    if (parent.list !== undefined) {
      parent.list.push(value);
    } else {
      const key = parent.key!;
      parent.dict!.set(key, value);
      if (settings.spans !== undefined && stack.length === 1) {
        settings.spans.set(key, { start: parent.valueStart, end: pos });
      }
      parent.key = undefined;
    }
  }
}
