/**
 * Compact node info (26 bytes) and compact peer info (6 bytes) of BEP 5, IPv4; compact IPv6 peer info (18 bytes,
 * BEP 32) is read from `values` too.
 *
 * @module
 */

import type { PeerAddress } from "../tracker/types.ts";
import { addressScope, formatIp } from "../tracker/_ip.ts";

/** A DHT node's contact: 20-byte node id, IPv4 address and UDP port. */
export interface NodeContact {
  /** Node id, `Uint8Array` of 20 bytes. */
  readonly id: Uint8Array;
  /** Dotted-quad IPv4 address. */
  readonly host: string;
  /** UDP port, 1–65535. */
  readonly port: number;
}

/** Bytes of one compact node info entry (BEP 5): 20-byte id, 4-byte IPv4, 2-byte port. */
export const COMPACT_NODE_LENGTH = 26;
/** Bytes of one compact peer info entry (BEP 5): 4-byte IPv4, 2-byte port. */
export const COMPACT_PEER_LENGTH = 6;
/** Bytes of one compact IPv6 peer info entry (BEP 32): 16-byte IPv6, 2-byte port. */
export const COMPACT_PEER6_LENGTH = 18;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Parses a dotted-quad IPv4 address into its 4 bytes, or `undefined` when it is not one.
 *
 * @param host E.g. `"127.0.0.1"`.
 * @returns 4 bytes, or `undefined`.
 */
export function ipv4Bytes(host: string): Uint8Array | undefined {
  const m = IPV4.exec(host);
  if (m === null) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(m[i + 1]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function readAddress(bytes: Uint8Array, at: number): PeerAddress | undefined {
  const port = (bytes[at + 4] << 8) | bytes[at + 5];
  if (port === 0) return undefined;
  return { host: `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`, port };
}

function writeAddress(out: Uint8Array, at: number, host: string, port: number): void {
  const ip = ipv4Bytes(host);
  if (ip === undefined) {
    throw new TypeError(`Cannot encode compact address: ${JSON.stringify(host)} is not IPv4`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`Cannot encode compact address: port ${port} is not 1–65535`);
  }
  out.set(ip, at);
  out[at + 4] = port >> 8;
  out[at + 5] = port & 0xff;
}

/**
 * Encodes one compact peer info entry (BEP 5): 4-byte IPv4 then 2-byte big-endian port.
 *
 * @param peer IPv4 host and port 1–65535.
 * @returns 6 bytes.
 * @throws {TypeError} When `host` is not a dotted-quad IPv4 address.
 * @throws {RangeError} When `port` is not 1–65535.
 *
 * @example Round trip
 * ```ts
 * import { decodeCompactPeer, encodeCompactPeer } from "./compact.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeCompactPeer(encodeCompactPeer({ host: "10.0.0.1", port: 6881 })), { host: "10.0.0.1", port: 6881 });
 * ```
 */
export function encodeCompactPeer(peer: PeerAddress): Uint8Array {
  const out = new Uint8Array(COMPACT_PEER_LENGTH);
  writeAddress(out, 0, peer.host, peer.port);
  return out;
}

/**
 * Decodes one compact peer info entry: 6 bytes (IPv4, BEP 5) or 18 bytes (IPv6, BEP 32; an IPv4-mapped address
 * comes back as dotted IPv4). Returns `undefined` (the entry is dropped, HOSTILE_INPUTS.md 55) for any other
 * length, port 0, or an IPv6 address no peer can have (`::`, multicast).
 *
 * @param bytes The entry.
 * @returns The peer, or `undefined`.
 */
export function decodeCompactPeer(bytes: Uint8Array): PeerAddress | undefined {
  if (bytes.length === COMPACT_PEER6_LENGTH) {
    const address = bytes.subarray(0, 16);
    const port = (bytes[16] << 8) | bytes[17];
    if (port === 0 || addressScope(address) === "unusable") return undefined;
    return { host: formatIp(address), port };
  }
  if (bytes.length !== COMPACT_PEER_LENGTH) return undefined;
  return readAddress(bytes, 0);
}

/**
 * Encodes a list of nodes as concatenated compact node info (BEP 5), 26 bytes per node.
 *
 * @param nodes Contacts with 20-byte ids and IPv4 hosts.
 * @returns `26 * nodes.length` bytes.
 * @throws {TypeError} When an id is not 20 bytes or a host is not IPv4.
 * @throws {RangeError} When a port is not 1–65535.
 *
 * @example Round trip
 * ```ts
 * import { decodeCompactNodes, encodeCompactNodes } from "./compact.ts";
 * import assert from "node:assert/strict";
 *
 * const node = { id: new Uint8Array(20).fill(7), host: "10.0.0.2", port: 6881 };
 * assert.deepEqual(decodeCompactNodes(encodeCompactNodes([node])), [node]);
 * ```
 */
export function encodeCompactNodes(nodes: readonly NodeContact[]): Uint8Array {
  const out = new Uint8Array(nodes.length * COMPACT_NODE_LENGTH);
  nodes.forEach((node, i) => {
    if (node.id.length !== 20) {
      throw new TypeError(`Cannot encode compact node: id is ${node.id.length} bytes`);
    }
    const at = i * COMPACT_NODE_LENGTH;
    out.set(node.id, at);
    writeAddress(out, at + 20, node.host, node.port);
  });
  return out;
}

/**
 * Decodes concatenated compact node info (BEP 5). Trailing bytes that do not fill a 26-byte entry are ignored and
 * entries with port 0 are dropped (HOSTILE_INPUTS.md 55). At most `max` nodes are returned.
 *
 * @param bytes The `nodes` value of a reply.
 * @param max Most nodes to return (default 16, twice k), so a hostile reply cannot flood a lookup.
 * @returns The nodes; ids are copies.
 */
export function decodeCompactNodes(bytes: Uint8Array, max = 16): NodeContact[] {
  const out: NodeContact[] = [];
  const count = Math.floor(bytes.length / COMPACT_NODE_LENGTH);
  for (let i = 0; i < count && out.length < max; i++) {
    const at = i * COMPACT_NODE_LENGTH;
    const address = readAddress(bytes, at + 20);
    if (address === undefined) continue;
    out.push({ id: bytes.slice(at, at + 20), host: address.host, port: address.port });
  }
  return out;
}
