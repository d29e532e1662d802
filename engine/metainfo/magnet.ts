/**
 * Magnet links (BEP 9) with the select-only extension (BEP 53): parsing with hostile-input caps
 * (HOSTILE_INPUTS.md cases 24–27) and formatting.
 *
 * @module
 */

import {
  formatPeer,
  formatSelectOnly,
  fromBase32,
  fromHex,
  hasControl,
  MAX_SELECT_INDEX,
  parsePeer,
  parseSelectOnly,
  percentDecode,
  percentEncode,
  utf8Length,
} from "./_magnet_fields.ts";
import { hex, sameBytes } from "../bytes.ts";

/** Longest magnet link accepted, in UTF-8 bytes (64 KiB). */
const MAX_MAGNET_BYTES = 64 * 1024;
/** Most `&`-separated parameters in one magnet link. */
const MAX_MAGNET_PARAMS = 10_000;
/** Most trackers and most web seeds kept; more are ignored. */
const MAX_MAGNET_URLS = 100;
/** Longest tracker URL, web seed URL or display name kept, in UTF-8 bytes; longer ones are ignored. */
const MAX_MAGNET_VALUE_BYTES = 4096;
/** Most `x.pe` peers kept; more are ignored. */
const MAX_MAGNET_PEERS = 100;

const TRACKER_PROTOCOLS = new Set(["http:", "https:", "udp:"]);
const WEB_SEED_PROTOCOLS = new Set(["http:", "https:"]);
/** Parameter names, optionally numbered (`xt.1`, `tr.2`) as the magnet draft allows for repeated keys. */
const KEY = /^(xt|dn|tr|ws|xl|so|x\.pe)(?:\.[0-9]{1,5})?$/;
const BTIH = "urn:btih:";
const BTMH = "urn:btmh:";
/** Multihash prefix of a SHA-256 digest of 32 bytes: function code 0x12, length 0x20 (BEP 52, BEP 9). */
const SHA256_MULTIHASH = "1220";

/** A magnet link that cannot be used: no usable info-hash, a malformed one, or a link over the size caps. */
export class MagnetError extends SyntaxError {
  /**
   * Makes a magnet error.
   * @param message What is wrong, e.g. "Cannot parse magnet link: no urn:btih or urn:btmh info-hash".
   */
  constructor(message: string) {
    super(message);
    this.name = "MagnetError";
  }
}

/** What a magnet link (BEP 9, BEP 53) says about a torrent before its metadata is fetched. */
export interface MagnetLink {
  /**
   * The info-hash peers, trackers and the DHT know the torrent by, `Uint8Array` of 20 bytes: the v1 info-hash
   * (`xt=urn:btih:`, from 40 hex or 32 base32 characters), or for a v2-only link (`v2Only`) the v2 info-hash
   * truncated to its first 20 bytes (BEP 52).
   */
  infoHash: Uint8Array;
  /** `infoHash` as 40 lower-case hex characters. */
  infoHashHex: string;
  /**
   * v2 info-hash (`xt=urn:btmh:1220<64 hex>`, a SHA-256 multihash), `Uint8Array` of 32 bytes, when the link names
   * a v2-only or hybrid torrent (BEP 52).
   */
  infoHashV2?: Uint8Array;
  /** `true` when the link has only a v2 info-hash (no `urn:btih`): `infoHash` is then `infoHashV2` truncated. */
  v2Only?: boolean;
  /** Display name (`dn`), shown while metadata is fetched. Not sanitised: never use it as a path as is. */
  name?: string;
  /** Tracker URLs (`tr`): http, https and udp only, in order, without duplicates, at most 100 of 4 KiB each. */
  trackers: string[];
  /** Web seed URLs (`ws`, BEP 19): http and https only, in order, without duplicates, at most 100 of 4 KiB each. */
  webSeeds: string[];
  /** Total length in bytes (`xl`), a non-negative safe integer. */
  exactLength?: number;
  /**
   * Peers to contact directly (`x.pe`): IPv4 or IPv6 literals (IPv6 without brackets), port 1–65535, without
   * duplicates, at most 100.
   */
  peers: { host: string; port: number }[];
  /**
   * Files to download (`so`, BEP 53): sorted unique zero-based file indices below 1,000,000, at most 100,000.
   * Indices are kept as given: the file count is only known once the metadata arrives.
   */
  selectOnly?: number[];
}

function fail(detail: string): never {
  throw new MagnetError(`Cannot parse magnet link: ${detail}`);
}

function countParams(query: string): number {
  let count = 1;
  for (let at = query.indexOf("&"); at >= 0; at = query.indexOf("&", at + 1)) count++;
  return count;
}

function decodeInfoHash(value: string): { v1?: Uint8Array; v2?: Uint8Array } | undefined {
  const lower = value.slice(0, BTIH.length).toLowerCase();
  const digest = value.slice(BTIH.length);
  if (lower === BTIH) {
    const bytes = digest.length === 40
      ? fromHex(digest)
      : digest.length === 32
      ? fromBase32(digest)
      : undefined;
    if (bytes === undefined) {
      fail(`urn:btih info-hash is not 40 hex or 32 base32 characters: ${shorten(digest)}`);
    }
    return { v1: bytes };
  }
  if (lower === BTMH) {
    const bytes = digest.length === 68 && digest.startsWith(SHA256_MULTIHASH)
      ? fromHex(digest.slice(4))
      : undefined;
    if (bytes === undefined) fail(`urn:btmh info-hash is not 1220 and 64 hex characters: ${shorten(digest)}`);
    return { v2: bytes };
  }
  return undefined;
}

function shorten(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

function keepUrl(text: string, protocols: ReadonlySet<string>, into: string[]): void {
  if (into.length >= MAX_MAGNET_URLS || utf8Length(text) > MAX_MAGNET_VALUE_BYTES) return;
  if (!URL.canParse(text) || !protocols.has(new URL(text).protocol) || into.includes(text)) return;
  into.push(text);
}

/** Splits the query into `[key, raw value]` pairs of known keys, numbered keys folded to their base name. */
function params(query: string): [string, string][] {
  const out: [string, string][] = [];
  for (const param of query.split("&")) {
    const equals = param.indexOf("=");
    if (equals <= 0) continue;
    const key = KEY.exec(param.slice(0, equals).toLowerCase());
    if (key !== null) out.push([key[1], param.slice(equals + 1)]);
  }
  return out;
}

/**
 * Parses a magnet link (BEP 9) with the select-only extension (BEP 53).
 *
 * One bad parameter drops only itself: a value with `%zz`, a trailing `%`, invalid UTF-8 (except in `dn`, where it
 * becomes U+FFFD) or a control character (even percent-encoded); a tracker that is not http, https or udp; a web
 * seed that is not http or https; an `xl` that is not a safe integer; an `x.pe` that is not an IP literal with a
 * port of 1–65535; a `so` entry that is not an index or an ascending range. `+` is a space in `dn` only. The first
 * `dn` and `xl` win. Keys are case-insensitive and may be numbered (`xt.1`, `tr.2`); unknown keys are ignored.
 *
 * @param uri The link, e.g. `magnet:?xt=urn:btih:<40 hex>&dn=name&tr=udp%3A%2F%2Ftracker%3A6969`. Surrounding
 *   white space is ignored.
 * @returns The link's fields; `trackers`, `webSeeds` and `peers` are empty arrays when absent.
 * @throws {MagnetError} When the link does not start with `magnet:?`, is over 64 KiB (UTF-8) or 10,000
 *   parameters, has no `xt=urn:btih:` or `xt=urn:btmh:`, has a malformed or conflicting info-hash (btih: 40 hex
 *   or 32 base32 characters; btmh: `1220` then 64 hex).
 * @throws {TypeError} When `uri` is not a string.
 *
 * @example Parse a magnet link
 * ```ts
 * import { parseMagnet } from "./magnet.ts";
 * import assert from "node:assert/strict";
 *
 * const link = parseMagnet(
 *   "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=Big+Buck&tr=udp%3A%2F%2F127.0.0.1%3A6969&so=0,2-3",
 * );
 * assert.equal(link.infoHashHex, "c12fe1c06bba254a9dc9f519b335aa7c1367a88a");
 * assert.equal(link.name, "Big Buck");
 * assert.deepEqual(link.trackers, ["udp://127.0.0.1:6969"]);
 * assert.deepEqual(link.selectOnly, [0, 2, 3]);
 * ```
 */
export function parseMagnet(uri: string): MagnetLink {
  if (typeof uri !== "string") throw new TypeError("Cannot parse magnet link: it is not a string");
  if (uri.length > MAX_MAGNET_BYTES || utf8Length(uri) > MAX_MAGNET_BYTES) {
    fail(`it is over ${MAX_MAGNET_BYTES} bytes`);
  }
  const text = uri.trim();
  if (text.slice(0, 8).toLowerCase() !== "magnet:?") fail("it does not start with magnet:?");
  const query = text.slice(8);
  if (countParams(query) > MAX_MAGNET_PARAMS) fail(`it has over ${MAX_MAGNET_PARAMS} parameters`);

  let v1: Uint8Array | undefined;
  let v2: Uint8Array | undefined;
  let name: string | undefined;
  let exactLength: number | undefined;
  const trackers: string[] = [];
  const webSeeds: string[] = [];
  const peers: { host: string; port: number }[] = [];
  const selectOnly: string[] = [];
  for (const [key, raw] of params(query)) {
    const value = percentDecode(raw, { plusIsSpace: key === "dn", lenient: key === "dn" });
    if (value === undefined) continue;
    switch (key) {
      case "xt": {
        const hash = decodeInfoHash(value);
        if (hash?.v1 !== undefined) {
          if (v1 !== undefined && !sameBytes(v1, hash.v1)) fail("it has two different urn:btih info-hashes");
          v1 = hash.v1;
        }
        if (hash?.v2 !== undefined) {
          if (v2 !== undefined && !sameBytes(v2, hash.v2)) fail("it has two different urn:btmh info-hashes");
          v2 = hash.v2;
        }
        break;
      }
      case "dn":
        if (name === undefined && utf8Length(value) <= MAX_MAGNET_VALUE_BYTES) name = value;
        break;
      case "tr":
        keepUrl(value, TRACKER_PROTOCOLS, trackers);
        break;
      case "ws":
        keepUrl(value, WEB_SEED_PROTOCOLS, webSeeds);
        break;
      case "xl":
        if (exactLength === undefined && /^[0-9]{1,16}$/.test(value) && Number.isSafeInteger(Number(value))) {
          exactLength = Number(value);
        }
        break;
      case "x.pe": {
        const peer = peers.length < MAX_MAGNET_PEERS ? parsePeer(value) : undefined;
        if (peer !== undefined && !peers.some((p) => p.host === peer.host && p.port === peer.port)) {
          peers.push(peer);
        }
        break;
      }
      case "so":
        selectOnly.push(value);
        break;
    }
  }
  if (v1 === undefined && v2 === undefined) fail("no urn:btih or urn:btmh info-hash");
  // BEP 52: a v2-only torrent is known on the wire by its v2 info-hash truncated to 20 bytes.
  const infoHash = v1 ?? v2!.slice(0, 20);
  const link: MagnetLink = { infoHash, infoHashHex: hex(infoHash), trackers, webSeeds, peers };
  if (v2 !== undefined) link.infoHashV2 = v2;
  if (v1 === undefined) link.v2Only = true;
  if (name !== undefined) link.name = name;
  if (exactLength !== undefined) link.exactLength = exactLength;
  const selected = parseSelectOnly(selectOnly);
  if (selected !== undefined) link.selectOnly = selected;
  return link;
}

/**
 * Formats a magnet link (BEP 9, BEP 53) that {@linkcode parseMagnet} reads back to the same fields. Parameters
 * come in the order `xt` (btih, then btmh), `dn`, `xl`, `tr`, `ws`, `x.pe`, `so`; values are percent-encoded as
 * UTF-8, leaving only RFC 3986 unreserved characters bare, except `x.pe` addresses, which are written as is (as
 * libtorrent reads them). The v1 info-hash is written in lower-case hex; a `v2Only` link has no btih.
 *
 * @param link The fields: `infoHash` (20 bytes) is required, `name` and `trackers` may be `undefined`/empty, the
 *   rest of {@linkcode MagnetLink} is optional (`v2Only` needs `infoHashV2`). Fields are written as given;
 *   `parseMagnet` applies its caps.
 * @returns The magnet link, e.g. `magnet:?xt=urn:btih:<40 hex>&dn=a%20b&tr=udp%3A%2F%2Fhost%3A6969`.
 * @throws {RangeError} When `infoHash` is not 20 bytes, `infoHashV2` is not 32 bytes (or missing from a `v2Only`
 *   link), `exactLength` is not a non-negative safe integer, a peer is not an IPv4 or IPv6 literal with a port of
 *   1–65535, or a `selectOnly` entry is not a non-negative safe integer.
 * @throws {TypeError} When `name` holds a control character (it could not be read back).
 *
 * @example Format a magnet link
 * ```ts
 * import { formatMagnet } from "./magnet.ts";
 * import assert from "node:assert/strict";
 *
 * const uri = formatMagnet({ infoHash: new Uint8Array(20).fill(0xab), name: "a b", trackers: ["udp://t:1"] });
 * assert.equal(uri, `magnet:?xt=urn:btih:${"ab".repeat(20)}&dn=a%20b&tr=udp%3A%2F%2Ft%3A1`);
 * ```
 */
export function formatMagnet(
  link: Pick<MagnetLink, "infoHash" | "name" | "trackers"> & Partial<MagnetLink>,
): string {
  if (!(link.infoHash instanceof Uint8Array) || link.infoHash.length !== 20) {
    throw new RangeError("Cannot format magnet link: infoHash is not 20 bytes");
  }
  if (link.v2Only && link.infoHashV2 === undefined) {
    throw new RangeError("Cannot format magnet link: a v2-only link has no infoHashV2");
  }
  const parts = link.v2Only ? [] : [`xt=${BTIH}${hex(link.infoHash)}`];
  if (link.infoHashV2 !== undefined) {
    if (!(link.infoHashV2 instanceof Uint8Array) || link.infoHashV2.length !== 32) {
      throw new RangeError("Cannot format magnet link: infoHashV2 is not 32 bytes");
    }
    parts.push(`xt=${BTMH}${SHA256_MULTIHASH}${hex(link.infoHashV2)}`);
  }
  if (link.name !== undefined) {
    if (hasControl(link.name)) {
      throw new TypeError("Cannot format magnet link: name holds a control character");
    }
    parts.push(`dn=${percentEncode(link.name)}`);
  }
  if (link.exactLength !== undefined) {
    if (!Number.isSafeInteger(link.exactLength) || link.exactLength < 0) {
      throw new RangeError(`Cannot format magnet link: exactLength ${link.exactLength} is not a byte count`);
    }
    parts.push(`xl=${link.exactLength}`);
  }
  for (const tracker of link.trackers ?? []) parts.push(`tr=${percentEncode(tracker)}`);
  for (const webSeed of link.webSeeds ?? []) parts.push(`ws=${percentEncode(webSeed)}`);
  for (const peer of link.peers ?? []) {
    // Written bare: libtorrent does not percent-decode x.pe, and a valid address holds no reserved character.
    const address = formatPeer(peer);
    if (parsePeer(address) === undefined) {
      throw new RangeError(
        `Cannot format magnet link: peer ${JSON.stringify(address)} is not an IP and a port`,
      );
    }
    parts.push(`x.pe=${address}`);
  }
  if (link.selectOnly !== undefined && link.selectOnly.length > 0) {
    if (!link.selectOnly.every((i) => Number.isSafeInteger(i) && i >= 0)) {
      throw new RangeError("Cannot format magnet link: selectOnly holds an entry that is not a file index");
    }
    const sorted = [...new Set(link.selectOnly)].sort((a, b) => a - b);
    parts.push(`so=${formatSelectOnly(sorted)}`);
  }
  return `magnet:?${parts.join("&")}`;
}

const SELECTION_ENTRY = /^([0-9]{1,7})(?:-([0-9]{1,7}))?$/;

/**
 * Parses a file selection typed by a user (`ccbt download --select`), in the grammar of BEP 53 `so`: file
 * indices and inclusive ranges, comma-separated (`0,2,4-6`). Unlike `so` in {@linkcode parseMagnet}, which
 * drops bad entries, any bad entry fails the whole list. White space around entries is allowed.
 *
 * @param text The list, e.g. `0,2-4`.
 * @returns Sorted unique zero-based file indices (at most the lowest 100,000).
 * @throws {SyntaxError} When the list is empty, or an entry is not an index or an ascending range of indices
 *   below 1,000,000.
 *
 * @example Select files 0, 2, 3 and 4
 * ```ts
 * import { parseFileSelection } from "./magnet.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseFileSelection("0,2-4"), [0, 2, 3, 4]);
 * assert.throws(() => parseFileSelection("4-2"), SyntaxError);
 * ```
 */
export function parseFileSelection(text: string): number[] {
  const entries = String(text).split(",").map((entry) => entry.trim());
  for (const entry of entries) {
    const match = SELECTION_ENTRY.exec(entry);
    const first = Number(match?.[1]);
    const last = match?.[2] === undefined ? first : Number(match[2]);
    if (match === null || first > last || last >= MAX_SELECT_INDEX) {
      throw new SyntaxError(
        `Cannot parse file selection ${shorten(String(text))}: ${shorten(entry)} is not a file index or a ` +
          `range like 2-4 (indices 0..${MAX_SELECT_INDEX - 1})`,
      );
    }
  }
  return parseSelectOnly([entries.join(",")])!;
}
