/**
 * Converts the DHT state (BEP 5 node id and good nodes) to and from rows of the `dht_state` and `dht_nodes`
 * tables. Rows read back are checked as strictly as what the engine saves; a bad row is skipped.
 *
 * @module
 */

import { addressScope, formatIp, parseIp } from "../tracker/_ip.ts";
import type { DhtState, SavedDhtNode } from "./_state_types.ts";

/** Most DHT nodes saved and loaded (libtorrent saves about as many). */
export const MAX_SAVED_DHT_NODES = 200;

/** Bytes of a DHT node id (BEP 5). */
const NODE_ID_LENGTH = 20;

/**
 * Checks a DHT state before it is saved and returns its nodes in saving order: most recently seen first, one
 * per address, at most {@linkcode MAX_SAVED_DHT_NODES}.
 * @throws {TypeError} `nodeId` or a node id not 20 bytes, a host that is not an IP address, a field of the
 *   wrong type.
 * @throws {RangeError} A port outside 1–65535 or a `lastSeen` that is negative or not finite.
 */
export function checkDhtState(state: DhtState): SavedDhtNode[] {
  const what = "save DHT state";
  if (typeof state !== "object" || state === null) throw new TypeError(`Cannot ${what}: not an object`);
  checkId(state.nodeId, "nodeId", what);
  if (!Array.isArray(state.nodes)) throw new TypeError(`Cannot ${what}: nodes is not an array`);
  state.nodes.forEach((node, i) => {
    if (typeof node !== "object" || node === null) {
      throw new TypeError(`Cannot ${what}: nodes[${i}] is not an object`);
    }
    checkId(node.id, `nodes[${i}].id`, what);
    if (typeof node.host !== "string" || parseIp(node.host) === undefined) {
      throw new TypeError(
        `Cannot ${what}: nodes[${i}].host ${JSON.stringify(node.host)} is not an IP address`,
      );
    }
    if (!Number.isInteger(node.port) || node.port < 1 || node.port > 65535) {
      throw new RangeError(`Cannot ${what}: nodes[${i}].port ${node.port} is not 1–65535`);
    }
    if (typeof node.lastSeen !== "number" || !Number.isFinite(node.lastSeen) || node.lastSeen < 0) {
      throw new RangeError(`Cannot ${what}: nodes[${i}].lastSeen ${node.lastSeen} is not a time`);
    }
  });
  const seen = new Set<string>();
  const nodes: SavedDhtNode[] = [];
  for (const node of [...state.nodes].sort((a, b) => b.lastSeen - a.lastSeen)) {
    const key = `${formatIp(parseIp(node.host)!)}:${node.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    nodes.push(node);
    if (nodes.length === MAX_SAVED_DHT_NODES) break;
  }
  return nodes;
}

/**
 * The compact address of a node (BEP 5 for IPv4, BEP 32 for IPv6): the 4 or 16 address bytes, then the port,
 * big-endian.
 * @param node A node already checked by {@linkcode checkDhtState}.
 * @returns 6 or 18 bytes.
 */
export function encodeNodeAddress(node: SavedDhtNode): Uint8Array {
  const ip = parseIp(node.host)!;
  const out = new Uint8Array(ip.length + 2);
  out.set(ip);
  out[ip.length] = node.port >> 8;
  out[ip.length + 1] = node.port & 0xff;
  return out;
}

/**
 * Our node id from a `dht_state` row, or `undefined` when it is not a 20-byte blob.
 * @param value The `node_id` column.
 */
export function nodeIdOfRow(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array && value.length === NODE_ID_LENGTH ? value.slice() : undefined;
}

/**
 * The node a `dht_nodes` row holds, or `undefined` when any column is bad: an id that is not a 20-byte blob, an
 * address that is not 6 or 18 bytes, port 0, an address that cannot be a node (unspecified, multicast,
 * broadcast), or a `last_seen` that is not a non-negative integer.
 * @param row A row read with `setReadBigInts(true)`.
 */
export function nodeOfRow(row: Record<string, unknown>): SavedDhtNode | undefined {
  const id = nodeIdOfRow(row.node_id);
  const address = row.address;
  const lastSeen = row.last_seen;
  if (id === undefined || !(address instanceof Uint8Array)) return undefined;
  if (address.length !== 6 && address.length !== 18) return undefined;
  if (typeof lastSeen !== "bigint" || lastSeen < 0n || lastSeen > BigInt(Number.MAX_SAFE_INTEGER)) {
    return undefined;
  }
  const ip = address.subarray(0, address.length - 2);
  const port = (address[address.length - 2] << 8) | address[address.length - 1];
  if (port === 0 || addressScope(ip) === "unusable") return undefined;
  return { id, host: formatIp(ip), port, lastSeen: Number(lastSeen) };
}

function checkId(id: unknown, field: string, what: string): void {
  if (!(id instanceof Uint8Array) || id.length !== NODE_ID_LENGTH) {
    const size = id instanceof Uint8Array ? `${id.length} bytes` : "not a Uint8Array";
    throw new TypeError(`Cannot ${what}: ${field} is ${size}, not ${NODE_ID_LENGTH} bytes`);
  }
}
