/**
 * Field codecs for magnet links (BEP 9, BEP 53): percent-decoding, info-hash encodings, peer addresses and
 * `so=` index lists. Every function here returns `undefined` (or skips) for a bad value, so that one bad parameter
 * drops only itself; `magnet.ts` decides what is fatal.
 *
 * @module
 */

import { lenientText, strictText } from "./_text.ts";

/** Most indices a `so=` list expands to; more are ignored. */
export const MAX_SELECT_ONLY = 100_000;
/** File indices must be below this (`MAX_FILE_COUNT`); larger entries are ignored. */
export const MAX_SELECT_INDEX = 1_000_000;

const HEX = "0123456789abcdef";
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** True when the text holds a C0 or C1 control character or DEL (U+0000–U+001F, U+007F–U+009F). */
export function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** UTF-8 length of a string in bytes, without allocating (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Percent-decodes one query value (RFC 3986 section 2.1) as UTF-8. `undefined` for `%` not followed by two hex
 * digits, for invalid UTF-8 when `lenient` is false, and for any control character, raw or encoded.
 * With `plusIsSpace`, a raw `+` is a space (form encoding, which `dn=` uses in the wild).
 */
export function percentDecode(
  value: string,
  options: { plusIsSpace: boolean; lenient: boolean },
): string | undefined {
  const encoder = new TextEncoder();
  const bytes: number[] = [];
  let plainStart = 0;
  const flushPlain = (end: number) => {
    if (end > plainStart) { for (const b of encoder.encode(value.slice(plainStart, end))) bytes.push(b); }
  };
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x25) {
      flushPlain(i);
      if (i + 2 >= value.length) return undefined;
      const high = hexValue(value.charCodeAt(i + 1));
      const low = hexValue(value.charCodeAt(i + 2));
      if (high < 0 || low < 0) return undefined;
      bytes.push(high * 16 + low);
      i += 2;
      plainStart = i + 1;
    } else if (code === 0x2b && options.plusIsSpace) {
      flushPlain(i);
      bytes.push(0x20);
      plainStart = i + 1;
    }
  }
  flushPlain(value.length);
  const array = Uint8Array.from(bytes);
  const text = options.lenient ? lenientText(array) : strictText(array);
  if (text === undefined || hasControl(text)) return undefined;
  return text;
}

/** Percent-encodes text as UTF-8, leaving only RFC 3986 unreserved characters bare (never throws). */
export function percentEncode(text: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(text)) {
    const bare = (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a) || b === 0x2d ||
      b === 0x2e || b === 0x5f || b === 0x7e;
    out += bare ? String.fromCharCode(b) : `%${HEX[b >> 4].toUpperCase()}${HEX[b & 15].toUpperCase()}`;
  }
  return out;
}

/** Bytes of a hex string of even length (either case), or `undefined` for any other character. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const high = hexValue(text.charCodeAt(2 * i));
    const low = hexValue(text.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) return undefined;
    out[i] = high * 16 + low;
  }
  return out;
}

/**
 * Bytes of unpadded RFC 4648 base32 (either case) whose length is a multiple of 8 characters, or `undefined` for
 * any character outside `A–Z2–7`. A 32-character BEP 9 info-hash gives 20 bytes.
 */
export function fromBase32(text: string): Uint8Array | undefined {
  if (text.length % 8 !== 0) return undefined;
  const out = new Uint8Array((text.length / 8) * 5);
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const char of text.toUpperCase()) {
    const value = BASE32.indexOf(char);
    if (value < 0) return undefined;
    buffer = ((buffer << 5) | value) & 0x1fff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

const IPV4_PART = /^(?:0|[1-9][0-9]{0,2})$/;

function isIpv4(host: string): boolean {
  const parts = host.split(".");
  return parts.length === 4 && parts.every((part) => IPV4_PART.test(part) && Number(part) <= 255);
}

/**
 * A BEP 9 `x.pe` peer address: `a.b.c.d:port` (strict dotted quad) or `[ipv6]:port`, with the port 1–65535.
 * Host names are refused: a link must not make the client resolve names chosen by its author. IPv6 hosts are
 * returned without brackets, in the canonical form of the WHATWG URL parser.
 */
export function parsePeer(text: string): { host: string; port: number } | undefined {
  const colon = text.lastIndexOf(":");
  if (colon < 0) return undefined;
  const portText = text.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  const host = text.slice(0, colon);
  if (isIpv4(host)) return { host, port };
  if (!host.startsWith("[") || !host.endsWith("]") || !host.includes(":")) return undefined;
  const candidate = `http://${host}/`;
  if (!URL.canParse(candidate)) return undefined;
  const hostname = new URL(candidate).hostname;
  if (!hostname.startsWith("[")) return undefined;
  return { host: hostname.slice(1, -1), port };
}

/** Formats a peer address for `x.pe`: `host:port`, with brackets around an IPv6 host. */
export function formatPeer(peer: { host: string; port: number }): string {
  return peer.host.includes(":") ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}`;
}

const INDEX = /^[0-9]{1,7}$/;

function index(text: string): number | undefined {
  if (!INDEX.test(text)) return undefined;
  const value = Number(text);
  return value < MAX_SELECT_INDEX ? value : undefined;
}

/**
 * The file indices of BEP 53 `so=` values (`0,2,4-6`), sorted and unique, or `undefined` when none is valid.
 * Entries that are not a number or an ascending range of numbers below `MAX_SELECT_INDEX` are ignored. Ranges are
 * merged before they are expanded, so overlapping ranges cost nothing; only the lowest `MAX_SELECT_ONLY` indices
 * are kept.
 */
export function parseSelectOnly(values: readonly string[]): number[] | undefined {
  const ranges: [number, number][] = [];
  for (const value of values) {
    for (const entry of value.split(",")) {
      const dash = entry.indexOf("-");
      const first = index(dash < 0 ? entry : entry.slice(0, dash));
      const last = dash < 0 ? first : index(entry.slice(dash + 1));
      if (first !== undefined && last !== undefined && first <= last) ranges.push([first, last]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  let next = 0;
  for (const [first, last] of ranges) {
    for (let i = Math.max(first, next); i <= last && out.length < MAX_SELECT_ONLY; i++) out.push(i);
    next = Math.max(next, last + 1);
  }
  return out.length > 0 ? out : undefined;
}

/** Compresses sorted unique indices back into BEP 53 form: `[0, 2, 4, 5, 6]` → `0,2,4-6`. */
export function formatSelectOnly(indices: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < indices.length) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j] + 1) j++;
    parts.push(j === i ? `${indices[i]}` : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
