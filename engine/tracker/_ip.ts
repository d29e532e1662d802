/**
 * IP address text and scope helpers for tracker replies and redirects: strict parsing (no `127.1`, no octal
 * `010.0.0.1`, no zone ids), canonical text (RFC 5952 for IPv6), and the scope of an address.
 *
 * @module
 */

/**
 * Where an address points:
 * - `loopback`: this machine (127.0.0.0/8, ::1);
 * - `private`: the local network (RFC 1918, 100.64.0.0/10 CGNAT, 169.254.0.0/16 and fe80::/10 link-local,
 *   fc00::/7 unique local);
 * - `public`: anything else that can be a unicast peer;
 * - `unusable`: cannot be a peer at all (0.0.0.0/8, ::, multicast, 240.0.0.0/4 reserved and broadcast).
 */
export type AddressScope = "loopback" | "private" | "public" | "unusable";

const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parses strict dotted-decimal IPv4 text (`a.b.c.d`, each 0–255, no leading zeros).
 * @returns 4 bytes, or `undefined` when `text` is not such an address.
 */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!DECIMAL_OCTET.test(parts[i])) return undefined;
    const value = Number(parts[i]);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

/**
 * Parses IPv6 text (RFC 4291 section 2.2: `::` compression and a dotted IPv4 tail allowed; brackets and zone ids
 * are not).
 * @returns 16 bytes, or `undefined` when `text` is not such an address.
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : halves[0].split(":");
  const tail = halves.length === 2 ? (halves[1] === "" ? [] : halves[1].split(":")) : [];
  const groups: number[] = [];
  const all = [...head, ...tail];
  for (let i = 0; i < all.length; i++) {
    const part = all[i];
    if (i === all.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  const headGroups = head.length;
  const missing = 8 - groups.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const bytes = new Uint8Array(16);
  let g = 0;
  for (let i = 0; i < groups.length; i++) {
    if (i === headGroups && halves.length === 2) g += missing;
    bytes[g * 2] = groups[i] >> 8;
    bytes[g * 2 + 1] = groups[i] & 0xff;
    g++;
  }
  return bytes;
}

/** Parses IPv4 or IPv6 text (strictly, as {@link parseIpv4} and {@link parseIpv6}); 4 or 16 bytes. */
export function parseIp(text: string): Uint8Array | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

/** Dotted-decimal text of the 4 bytes at `offset`. */
export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text of the 16 bytes at `offset`: lowercase, no leading zeros, longest zero run (≥ 2) as `::`. */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + i * 2] << 8) | bytes[offset + i * 2 + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((n) => n.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/**
 * Canonical text of an address: dotted IPv4 for 4 bytes and for IPv4-mapped IPv6 (`::ffff:a.b.c.d`), RFC 5952
 * for other IPv6.
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIpv4(bytes);
  const mapped = v4Mapped(bytes);
  return mapped === undefined ? formatIpv6(bytes) : formatIpv4(mapped);
}

/** The scope of a 4- or 16-byte address (see {@link AddressScope}). */
export function addressScope(bytes: Uint8Array): AddressScope {
  if (bytes.length === 4) return ipv4Scope(bytes);
  const mapped = v4Mapped(bytes);
  if (mapped !== undefined) return ipv4Scope(mapped);
  if (bytes[0] === 0xff) return "unusable";
  let zeros = true;
  for (let i = 0; i < 15; i++) zeros &&= bytes[i] === 0;
  if (zeros && bytes[15] === 0) return "unusable";
  if (zeros && bytes[15] === 1) return "loopback";
  if ((bytes[0] & 0xfe) === 0xfc) return "private";
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0x80) return "private";
  return "public";
}

function ipv4Scope(b: Uint8Array): AddressScope {
  if (b[0] === 0 || b[0] >= 224) return "unusable";
  if (b[0] === 127) return "loopback";
  if (b[0] === 10) return "private";
  if (b[0] === 172 && (b[1] & 0xf0) === 16) return "private";
  if (b[0] === 192 && b[1] === 168) return "private";
  if (b[0] === 169 && b[1] === 254) return "private";
  if (b[0] === 100 && (b[1] & 0xc0) === 64) return "private";
  return "public";
}

function v4Mapped(bytes: Uint8Array): Uint8Array | undefined {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return undefined;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return undefined;
  return bytes.subarray(12, 16);
}
