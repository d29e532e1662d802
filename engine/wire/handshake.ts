/**
 * The BitTorrent handshake (BEP 3) and its reserved bits: extension protocol (BEP 10), fast extension (BEP 6),
 * DHT (BEP 5) and v2 upgrade (BEP 52).
 *
 * @module
 */

import { PeerProtocolError } from "../errors.ts";

/** Length of the BEP 3 handshake in bytes: 1 + 19 + 8 + 20 + 20. */
export const HANDSHAKE_LENGTH = 68;

/** The 20-byte handshake prefix: pstrlen 19, then "BitTorrent protocol" (BEP 3). */
export const PROTOCOL_PREFIX: Uint8Array = Uint8Array.of(
  19,
  ...new TextEncoder().encode("BitTorrent protocol"),
);

/** A decoded BEP 3 handshake. */
export interface Handshake {
  /** The 8 reserved bytes; see {@linkcode makeReserved} and the `supports*` helpers. */
  reserved: Uint8Array;
  /** The 20-byte info-hash (for v2 torrents, the SHA-256 info-hash truncated to 20 bytes, BEP 52). */
  infoHash: Uint8Array;
  /** The 20-byte peer id. */
  peerId: Uint8Array;
}

/** Which reserved-bit features to advertise in {@linkcode makeReserved}. */
export interface ReservedOptions {
  /** BEP 10 extension protocol: `reserved[5] & 0x10`. */
  extensionProtocol?: boolean;
  /** BEP 6 fast extension: `reserved[7] & 0x04`. */
  fast?: boolean;
  /** BEP 5 DHT (peer sends `port`): `reserved[7] & 0x01`. */
  dht?: boolean;
  /** BEP 52 v2 upgrade of a hybrid torrent: `reserved[7] & 0x10`. */
  v2?: boolean;
}

/**
 * Builds the 8 reserved handshake bytes.
 *
 * @param opts The features to advertise.
 * @returns A new `Uint8Array` of 8 bytes.
 *
 * @example Advertise the extension protocol and the fast extension
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeReserved, supportsFast } from "./handshake.ts";
 * const reserved = makeReserved({ extensionProtocol: true, fast: true });
 * assert.deepEqual([...reserved], [0, 0, 0, 0, 0, 0x10, 0, 0x04]);
 * assert.equal(supportsFast(reserved), true);
 * ```
 */
export function makeReserved(opts: ReservedOptions): Uint8Array {
  const reserved = new Uint8Array(8);
  if (opts.extensionProtocol) reserved[5] |= 0x10;
  if (opts.fast) reserved[7] |= 0x04;
  if (opts.dht) reserved[7] |= 0x01;
  if (opts.v2) reserved[7] |= 0x10;
  return reserved;
}

/** Whether the reserved bytes advertise the BEP 10 extension protocol (`reserved[5] & 0x10`). */
export function supportsExtensionProtocol(reserved: Uint8Array): boolean {
  return (reserved[5] & 0x10) !== 0;
}

/** Whether the reserved bytes advertise the BEP 6 fast extension (`reserved[7] & 0x04`). */
export function supportsFast(reserved: Uint8Array): boolean {
  return (reserved[7] & 0x04) !== 0;
}

/** Whether the reserved bytes advertise a BEP 5 DHT node (`reserved[7] & 0x01`). */
export function supportsDht(reserved: Uint8Array): boolean {
  return (reserved[7] & 0x01) !== 0;
}

/** Whether the reserved bytes advertise the BEP 52 v2 upgrade of a hybrid torrent (`reserved[7] & 0x10`). */
export function supportsV2(reserved: Uint8Array): boolean {
  return (reserved[7] & 0x10) !== 0;
}

/**
 * Encodes a BEP 3 handshake: pstrlen 19, "BitTorrent protocol", 8 reserved bytes, info-hash, peer id.
 *
 * @param h The handshake; `reserved` 8 bytes, `infoHash` and `peerId` 20 bytes each.
 * @returns A new `Uint8Array` of {@linkcode HANDSHAKE_LENGTH} (68) bytes.
 * @throws {RangeError} When a field has the wrong length.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeHandshake, encodeHandshake, makeReserved } from "./handshake.ts";
 * const h = { reserved: makeReserved({ fast: true }), infoHash: new Uint8Array(20), peerId: new Uint8Array(20) };
 * assert.deepEqual(decodeHandshake(encodeHandshake(h)), h);
 * ```
 */
export function encodeHandshake(h: Handshake): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_LENGTH);
  writeHandshake(out, 0, h);
  return out;
}

/**
 * Writes a handshake into `out` at `offset`; `out` must have 68 bytes of room there.
 *
 * @throws {RangeError} When a field has the wrong length.
 */
export function writeHandshake(out: Uint8Array, offset: number, h: Handshake): void {
  checkLength("reserved", h.reserved, 8);
  checkLength("infoHash", h.infoHash, 20);
  checkLength("peerId", h.peerId, 20);
  out.set(PROTOCOL_PREFIX, offset);
  out.set(h.reserved, offset + 20);
  out.set(h.infoHash, offset + 28);
  out.set(h.peerId, offset + 48);
}

/**
 * Decodes a BEP 3 handshake. The fields are copies, so `bytes` may be reused afterwards.
 *
 * @param bytes Exactly {@linkcode HANDSHAKE_LENGTH} (68) bytes.
 * @returns The reserved bytes, info-hash and peer id.
 * @throws {PeerProtocolError} `bad_handshake` when the length is not 68, pstrlen is not 19 or the protocol
 *   string is not "BitTorrent protocol" (HOSTILE_INPUTS.md case 34).
 */
export function decodeHandshake(bytes: Uint8Array): Handshake {
  if (bytes.length !== HANDSHAKE_LENGTH) {
    throw new PeerProtocolError(
      "bad_handshake",
      `Cannot decode handshake: expected ${HANDSHAKE_LENGTH} bytes, got ${bytes.length}`,
    );
  }
  checkHandshakePrefix(bytes, 0, 20);
  return {
    reserved: bytes.slice(20, 28),
    infoHash: bytes.slice(28, 48),
    peerId: bytes.slice(48, 68),
  };
}

/**
 * Checks the first `length` bytes (at most 20) of a handshake starting at `offset` against pstrlen 19 and
 * "BitTorrent protocol", so that a wrong protocol is refused before the rest of the handshake arrives.
 *
 * @throws {PeerProtocolError} `bad_handshake` on the first byte that differs.
 */
export function checkHandshakePrefix(bytes: Uint8Array, offset: number, length: number): void {
  const n = Math.min(length, PROTOCOL_PREFIX.length);
  for (let i = 0; i < n; i++) {
    if (bytes[offset + i] !== PROTOCOL_PREFIX[i]) {
      throw new PeerProtocolError(
        "bad_handshake",
        i === 0
          ? `Cannot decode handshake: pstrlen is ${bytes[offset]}, expected 19`
          : 'Cannot decode handshake: protocol string is not "BitTorrent protocol"',
      );
    }
  }
}

function checkLength(name: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) {
    throw new RangeError(`Cannot encode handshake: ${name} must be ${length} bytes, got ${bytes.length}`);
  }
}
