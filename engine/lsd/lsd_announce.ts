/**
 * The BEP 14 Local Service Discovery announce: an HTTP-like `BT-SEARCH` request sent over UDP multicast, naming
 * the sender's BitTorrent listen port and the info-hashes of the torrents it takes part in. Pure codec.
 *
 * @module
 */

/** The BEP 14 IPv4 multicast group (org-local). */
export const LSD_GROUP = "239.192.152.143";
/** The BEP 14 IPv6 multicast group (site-local). */
export const LSD_GROUP6 = "ff15::efc0:988f";
/** The BEP 14 UDP port. */
export const LSD_PORT = 6771;
/** Largest LSD announce sent or accepted, in bytes (BEP 14: keep packets within 1400 bytes). */
export const MAX_LSD_MESSAGE = 1400;

const REQUEST_LINE = "BT-SEARCH * HTTP/1.1";
const INFO_HASH = /^[0-9a-fA-F]{40}$/;
const PORT = /^[0-9]{1,5}$/;
const COOKIE = /^[!-~]{1,64}$/;

/** What an LSD announce says. */
export interface LsdAnnounce {
  /** The sender's BitTorrent listen port, 1..65535. */
  port: number;
  /** Info-hashes as 40 lowercase hex characters, at least one, no duplicates. */
  infoHashes: string[];
  /** The sender's opaque cookie (1..64 visible ASCII characters), when given. */
  cookie?: string;
}

/**
 * The `Host` header of an announce sent to `group` on `port` (BEP 14, RFC 2732: an IPv6 group in brackets).
 *
 * @param group The multicast group, IPv4 or IPv6 text.
 * @param port The UDP port, 0..65535.
 * @returns E.g. `239.192.152.143:6771` or `[ff15::efc0:988f]:6771`.
 *
 * @example The BEP 14 IPv6 group
 * ```ts
 * import assert from "node:assert/strict";
 * import { LSD_GROUP6, LSD_PORT, lsdHostHeader } from "./lsd_announce.ts";
 * assert.equal(lsdHostHeader(LSD_GROUP6, LSD_PORT), "[ff15::efc0:988f]:6771");
 * ```
 */
export function lsdHostHeader(group: string, port: number): string {
  return group.includes(":") ? `[${group}]:${port}` : `${group}:${port}`;
}

/** Options for {@linkcode encodeLsdAnnounce}. */
export interface EncodeLsdAnnounceOptions extends LsdAnnounce {
  /**
   * The `Host` header: the group and port the announce goes to ({@linkcode lsdHostHeader}). Default
   * `239.192.152.143:6771`.
   */
  host?: string;
}

/** Options for {@linkcode parseLsdAnnounce}. */
export interface ParseLsdAnnounceOptions {
  /** Our own cookie: an announce carrying it is our own, looped back, and is ignored. */
  ownCookie?: string;
}

/**
 * Encodes an LSD announce (BEP 14): the request line, `Host`, `Port`, one `Infohash` header per torrent, the
 * optional `cookie`, and the blank lines that end it.
 *
 * @param options Port, info-hashes (40 hex characters each; written lowercase), cookie, `Host` header.
 * @returns The UDP payload, ASCII.
 * @throws {RangeError} When the port is outside 1..65535, no info-hash is given, or the announce would be over
 *   1400 bytes (send fewer info-hashes per announce).
 * @throws {TypeError} When an info-hash is not 40 hex characters, or the cookie or host has spaces, control or
 *   non-ASCII characters (or the cookie is over 64 characters).
 *
 * @example Announce one torrent
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeLsdAnnounce, parseLsdAnnounce } from "./lsd_announce.ts";
 * const infoHash = "0123456789abcdef0123456789abcdef01234567";
 * const bytes = encodeLsdAnnounce({ port: 6881, infoHashes: [infoHash], cookie: "c0ffee" });
 * assert.deepEqual(parseLsdAnnounce(bytes), { port: 6881, infoHashes: [infoHash], cookie: "c0ffee" });
 * assert.equal(parseLsdAnnounce(bytes, { ownCookie: "c0ffee" }), null);
 * ```
 */
export function encodeLsdAnnounce(options: EncodeLsdAnnounceOptions): Uint8Array {
  const { port, infoHashes, cookie } = options;
  const host = options.host ?? `${LSD_GROUP}:${LSD_PORT}`;
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) {
    throw new RangeError(`Cannot encode LSD announce: port ${port} is outside 1..65535`);
  }
  if (infoHashes.length === 0) throw new RangeError("Cannot encode LSD announce: no info-hash given");
  if (!/^[!-~]{1,255}$/.test(host)) {
    throw new TypeError(`Cannot encode LSD announce: host ${JSON.stringify(host)} is not a host:port`);
  }
  const lines = [REQUEST_LINE, `Host: ${host}`, `Port: ${port}`];
  for (const infoHash of infoHashes) {
    if (!INFO_HASH.test(infoHash)) {
      throw new TypeError(`Cannot encode LSD announce: ${JSON.stringify(infoHash)} is not a hex info-hash`);
    }
    lines.push(`Infohash: ${infoHash.toLowerCase()}`);
  }
  if (cookie !== undefined) {
    if (!COOKIE.test(cookie)) {
      throw new TypeError(
        `Cannot encode LSD announce: cookie ${JSON.stringify(cookie)} is not 1..64 visible ASCII`,
      );
    }
    lines.push(`cookie: ${cookie}`);
  }
  const text = `${lines.join("\r\n")}\r\n\r\n\r\n`;
  if (text.length > MAX_LSD_MESSAGE) {
    throw new RangeError(
      `Cannot encode LSD announce: ${text.length} bytes is over ${MAX_LSD_MESSAGE} (${infoHashes.length} info-hashes)`,
    );
  }
  return new TextEncoder().encode(text);
}

/**
 * Parses an LSD announce (BEP 14), strictly. Returns `null`, without throwing, for anything else on the
 * multicast group: over 1400 bytes, a first line other than `BT-SEARCH * HTTP/1.1`, a header line without a
 * colon, no blank line ending the headers, a missing, repeated or out-of-range `Port`, no valid `Infohash`, or
 * the cookie `ownCookie` (our own announce). Header names are case-insensitive; unknown headers and `Infohash`
 * values that are not 40 hex characters are ignored; lines may end in CRLF or LF.
 *
 * @param bytes A UDP payload from the LSD group.
 * @param options `ownCookie` to drop our own announces.
 * @returns The announce, info-hashes lowercased and without duplicates, or `null`.
 *
 * @example A bad port is no announce
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLsdAnnounce } from "./lsd_announce.ts";
 * const text = "BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: " + "ab".repeat(20) + "\r\n\r\n";
 * assert.equal(parseLsdAnnounce(new TextEncoder().encode(text)), null);
 * ```
 */
export function parseLsdAnnounce(bytes: Uint8Array, options?: ParseLsdAnnounceOptions): LsdAnnounce | null {
  if (bytes.length > MAX_LSD_MESSAGE) return null;
  const text = new TextDecoder("latin1").decode(bytes);
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) return null;
  const lines = text.slice(0, end).split(/\r?\n/);
  if (lines[0] !== REQUEST_LINE) return null;
  let port: number | undefined;
  let cookie: string | undefined;
  const infoHashes = new Set<string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon < 0) return null;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "port") {
      if (port !== undefined || !PORT.test(value)) return null;
      port = Number(value);
    } else if (name === "infohash") {
      if (INFO_HASH.test(value)) infoHashes.add(value.toLowerCase());
    } else if (name === "cookie") {
      cookie = value;
    }
  }
  if (port === undefined || port < 1 || port > 0xffff || infoHashes.size === 0) return null;
  if (options?.ownCookie !== undefined && cookie === options.ownCookie) return null;
  const announce: LsdAnnounce = { port, infoHashes: [...infoHashes] };
  if (cookie !== undefined) announce.cookie = cookie;
  return announce;
}
