/**
 * The BEP 11 peer exchange message (`ut_pex`, an extension message of BEP 10): compact IPv4 and IPv6 contacts
 * that the sender connected to (`added`, `added6`, with one flag byte each in `added.f`, `added6.f`) or
 * disconnected from (`dropped`, `dropped6`). Pure codec: no sockets, no timers.
 *
 * @module
 */

import { type BencodeValue, decode, encode, isDict } from "../bencode/mod.ts";
import { BencodeError, PeerProtocolError } from "../errors.ts";
import { addressScope, formatIp, parseIp } from "../tracker/_ip.ts";

/** Largest `ut_pex` payload accepted, in bytes (HOSTILE_INPUTS.md case 50). */
export const MAX_PEX_MESSAGE = 500 * 1024;
/** Most added (and most dropped) peers taken from one `ut_pex` message; BEP 11 says senders keep to 50. */
export const MAX_PEX_PEERS_TAKEN = 50;

/** BEP 11 flag: the peer prefers encryption (`e` in its extension handshake). */
export const PEX_FLAG_ENCRYPTION = 0x01;
/** BEP 11 flag: the peer is a seed or `upload_only` (BEP 21). */
export const PEX_FLAG_SEED = 0x02;
/** BEP 11 flag: the peer supports uTP (BEP 29). */
export const PEX_FLAG_UTP = 0x04;
/** BEP 11 flag: the peer offered `ut_holepunch` (BEP 55) in its extension handshake. */
export const PEX_FLAG_HOLEPUNCH = 0x08;
/** BEP 11 flag: we connected out to the peer, so it is reachable. */
export const PEX_FLAG_OUTGOING = 0x10;

/** One contact in a PEX message. */
export interface PexPeer {
  /** Dotted IPv4 text (`"192.0.2.7"`) or RFC 5952 IPv6 text (`"2001:db8::7"`). */
  host: string;
  /** TCP port, 1..65535. */
  port: number;
  /** BEP 11 flag byte (`PEX_FLAG_*`), only for added peers; absent when the sender gave none. */
  flags?: number;
}

/** A decoded `ut_pex` message, IPv4 and IPv6 contacts together. */
export interface PexMessage {
  /** Peers the sender connected to since its last message (`added` then `added6`). */
  added: PexPeer[];
  /** Peers the sender disconnected from since its last message (`dropped` then `dropped6`); no flags. */
  dropped: PexPeer[];
}

const MAX_PEX_DEPTH = 4;
const MAX_PEX_ITEMS = 1_000;

/**
 * Encodes a `ut_pex` payload (the bencoded dictionary, without the extended message id byte; BEP 10, BEP 11).
 * IPv4 hosts (and IPv4-mapped IPv6 hosts) go to `added`/`dropped`, IPv6 hosts to `added6`/`dropped6`. `added`
 * and `dropped` are always present (BEP 11: a message has at least one of the lists); a flags string is written
 * for each non-empty added list, 0 for a peer without `flags`. The caller keeps the lists free of duplicates and
 * of peers both added and dropped (BEP 11); `PexState` in engine/pex does.
 *
 * @param msg The added and dropped peers.
 * @returns The bencoded dictionary.
 * @throws {TypeError} When a host is not an IPv4 or IPv6 address literal.
 * @throws {RangeError} When a port is outside 1..65535 or flags are not an integer in 0..255.
 *
 * @example One added seed
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodePex, encodePex, PEX_FLAG_SEED } from "./ut_pex.ts";
 * const bytes = encodePex({ added: [{ host: "192.0.2.7", port: 6881, flags: PEX_FLAG_SEED }], dropped: [] });
 * assert.deepEqual(decodePex(bytes).added, [{ host: "192.0.2.7", port: 6881, flags: PEX_FLAG_SEED }]);
 * ```
 */
export function encodePex(msg: PexMessage): Uint8Array {
  const added = compactLists(msg.added, true);
  const dropped = compactLists(msg.dropped, false);
  const dict: Record<string, Uint8Array> = { added: added.v4, dropped: dropped.v4 };
  if (added.v4.length > 0) dict["added.f"] = added.flags4;
  if (added.v6.length > 0) {
    dict.added6 = added.v6;
    dict["added6.f"] = added.flags6;
  }
  if (dropped.v6.length > 0) dict.dropped6 = dropped.v6;
  return encode(dict);
}

/**
 * Decodes a `ut_pex` payload (the bencoded dictionary, without the extended message id byte; BEP 11). Hostile
 * input is trimmed, not fatal (HOSTILE_INPUTS.md case 50): trailing bytes of a compact list that do not fill an
 * entry (6 bytes IPv4, 18 bytes IPv6) are ignored; a flags string whose length is not one byte per entry is
 * ignored (the peers are kept without flags); entries with port 0 or an unusable address (0.0.0.0, ::,
 * multicast, broadcast, reserved) and repeated entries are dropped; at most {@linkcode MAX_PEX_PEERS_TAKEN} added
 * and as many dropped peers are taken, IPv4 first; lists of the wrong type are ignored. Hosts are canonical text
 * (IPv4-mapped IPv6 becomes dotted IPv4).
 *
 * @param payload The bencoded dictionary.
 * @returns The added and dropped peers.
 * @throws {PeerProtocolError} `invalid_pex` when the payload is over {@linkcode MAX_PEX_MESSAGE} bytes (checked
 *   before decoding), not valid bencode, nested deeper than 4 or over 1,000 tokens, or not a dictionary.
 *
 * @example Trailing bytes are ignored
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodePex } from "./ut_pex.ts";
 * const payload = Uint8Array.of(...new TextEncoder().encode("d5:added7:"), 10, 0, 0, 1, 0x1a, 0xe1, 9, 0x65);
 * assert.deepEqual(decodePex(payload), { added: [{ host: "10.0.0.1", port: 6881 }], dropped: [] });
 * ```
 */
export function decodePex(payload: Uint8Array): PexMessage {
  if (payload.length > MAX_PEX_MESSAGE) {
    throw new PeerProtocolError(
      "invalid_pex",
      `Cannot decode ut_pex message: ${payload.length} bytes is over the ${MAX_PEX_MESSAGE} byte limit`,
    );
  }
  let value: BencodeValue;
  try {
    value = decode(payload, { maxDepth: MAX_PEX_DEPTH, maxItems: MAX_PEX_ITEMS });
  } catch (e) {
    if (!(e instanceof BencodeError)) throw e;
    throw new PeerProtocolError("invalid_pex", `Cannot decode ut_pex message: ${e.message}`, { cause: e });
  }
  if (!isDict(value)) {
    throw new PeerProtocolError("invalid_pex", "Cannot decode ut_pex message: not a dictionary");
  }
  const added = new Collector();
  added.add(bytesOf(value.get("added")), 6, bytesOf(value.get("added.f")));
  added.add(bytesOf(value.get("added6")), 18, bytesOf(value.get("added6.f")));
  const dropped = new Collector();
  dropped.add(bytesOf(value.get("dropped")), 6, undefined);
  dropped.add(bytesOf(value.get("dropped6")), 18, undefined);
  return { added: added.peers, dropped: dropped.peers };
}

function bytesOf(value: BencodeValue | undefined): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}

class Collector {
  readonly peers: PexPeer[] = [];
  readonly #seen = new Set<string>();

  add(list: Uint8Array | undefined, stride: 6 | 18, flags: Uint8Array | undefined): void {
    if (list === undefined) return;
    const count = Math.floor(list.length / stride);
    const useFlags = flags !== undefined && flags.length === count;
    const addressLength = stride - 2;
    for (let i = 0; i < count && this.peers.length < MAX_PEX_PEERS_TAKEN; i++) {
      const offset = i * stride;
      const address = list.subarray(offset, offset + addressLength);
      const port = (list[offset + addressLength] << 8) | list[offset + addressLength + 1];
      if (port === 0 || addressScope(address) === "unusable") continue;
      const host = formatIp(address);
      const key = `${host}|${port}`;
      if (this.#seen.has(key)) continue;
      this.#seen.add(key);
      this.peers.push(useFlags ? { host, port, flags: flags[i] } : { host, port });
    }
  }
}

interface CompactLists {
  v4: Uint8Array;
  flags4: Uint8Array;
  v6: Uint8Array;
  flags6: Uint8Array;
}

function compactLists(peers: readonly PexPeer[], withFlags: boolean): CompactLists {
  const v4: number[] = [];
  const flags4: number[] = [];
  const v6: number[] = [];
  const flags6: number[] = [];
  for (const peer of peers) {
    const parsed = parseIp(peer.host);
    if (parsed === undefined) {
      throw new TypeError(`Cannot encode ut_pex message: ${JSON.stringify(peer.host)} is not an IP address`);
    }
    if (!Number.isInteger(peer.port) || peer.port < 1 || peer.port > 0xffff) {
      throw new RangeError(`Cannot encode ut_pex message: port ${peer.port} is outside 1..65535`);
    }
    const flags = withFlags ? peer.flags ?? 0 : 0;
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xff) {
      throw new RangeError(`Cannot encode ut_pex message: flags ${flags} are outside 0..255`);
    }
    const canonical = parseIp(formatIp(parsed)) as Uint8Array;
    const [list, flagList] = canonical.length === 4 ? [v4, flags4] : [v6, flags6];
    list.push(...canonical, peer.port >> 8, peer.port & 0xff);
    flagList.push(flags);
  }
  return {
    v4: Uint8Array.from(v4),
    flags4: Uint8Array.from(flags4),
    v6: Uint8Array.from(v6),
    flags6: Uint8Array.from(flags6),
  };
}
