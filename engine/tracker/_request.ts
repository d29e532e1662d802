/**
 * Announce request checks and the HTTP announce URL (BEP 3 tracker GET keys, BEP 23 `compact`, BEP 7 `key`).
 *
 * @module
 */

import type { AnnounceRequest } from "./types.ts";

const UNRESERVED = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") {
  UNRESERVED[c.charCodeAt(0)] = 1;
}
const HEX = "0123456789ABCDEF";

/**
 * Checks the shape of an announce request before anything is sent.
 * @throws {TypeError} When `infoHash` or `peerId` is not a 20-byte `Uint8Array`, or `event` is unknown.
 * @throws {RangeError} When `port`, `uploaded`, `downloaded`, `left`, `numwant` or `key` is out of range.
 */
export function checkAnnounceRequest(request: AnnounceRequest): void {
  if (!(request.infoHash instanceof Uint8Array) || request.infoHash.length !== 20) {
    throw new TypeError("Cannot announce: info-hash must be a Uint8Array of 20 bytes");
  }
  if (!(request.peerId instanceof Uint8Array) || request.peerId.length !== 20) {
    throw new TypeError("Cannot announce: peer id must be a Uint8Array of 20 bytes");
  }
  const { event } = request;
  if (event !== undefined && event !== "started" && event !== "completed" && event !== "stopped") {
    throw new TypeError(`Cannot announce: unknown event ${JSON.stringify(event)}`);
  }
  checkInteger("port", request.port, 0, 65535);
  checkInteger("uploaded", request.uploaded, 0, Number.MAX_SAFE_INTEGER);
  checkInteger("downloaded", request.downloaded, 0, Number.MAX_SAFE_INTEGER);
  checkInteger("left", request.left, 0, Number.MAX_SAFE_INTEGER);
  if (request.numwant !== undefined) checkInteger("numwant", request.numwant, 0, 0x7fffffff);
  if (request.key !== undefined) checkInteger("key", request.key, 0, 0xffffffff);
}

/**
 * Percent-encodes raw bytes for a query string: every byte outside the RFC 3986 unreserved set
 * (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` (uppercase hex), byte by byte (BEP 3 `info_hash`, `peer_id`).
 */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    out += UNRESERVED[b] === 1 ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/**
 * The full HTTP announce URL: `url` (its own query, e.g. a passkey, kept; any fragment dropped) followed by
 * `info_hash`, `peer_id`, `port`, `uploaded`, `downloaded`, `left`, `compact=1`, then `event`, `numwant`, `key`
 * (8 hex digits) and `trackerid` when set.
 */
export function httpAnnounceUrl(url: string, request: AnnounceRequest): string {
  const hash = url.indexOf("#");
  const base = hash < 0 ? url : url.slice(0, hash);
  const separator = !base.includes("?") ? "?" : base.endsWith("?") || base.endsWith("&") ? "" : "&";
  let query =
    `info_hash=${percentEncodeBytes(request.infoHash)}&peer_id=${percentEncodeBytes(request.peerId)}` +
    `&port=${request.port}&uploaded=${request.uploaded}&downloaded=${request.downloaded}&left=${request.left}` +
    "&compact=1";
  if (request.event !== undefined) query += `&event=${request.event}`;
  if (request.numwant !== undefined) query += `&numwant=${request.numwant}`;
  if (request.key !== undefined) query += `&key=${request.key.toString(16).toUpperCase().padStart(8, "0")}`;
  if (request.trackerId !== undefined) {
    query += `&trackerid=${percentEncodeBytes(textBytes(request.trackerId))}`;
  }
  return base + separator + query;
}

/** Latin1 bytes when every code unit fits a byte (a tracker id as we received it), else UTF-8. */
function textBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return new TextEncoder().encode(text);
    bytes[i] = c;
  }
  return bytes;
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Cannot announce: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
