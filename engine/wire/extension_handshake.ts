/**
 * The BEP 10 extension handshake: the bencoded dictionary sent as extended message 0 right after the BitTorrent
 * handshake, mapping extension names to the message ids the sender wants to receive them under.
 *
 * @module
 */

import { type BencodeDict, type BencodeValue, decode, encode, isDict } from "../bencode/mod.ts";
import { BencodeError, PeerProtocolError } from "../errors.ts";

/** Largest `metadata_size` accepted (DESIGN.md section 8: ut_metadata size 30 MiB, BEP 9). */
export const MAX_METADATA_SIZE = 30 * 1024 * 1024;
/** Deepest nesting accepted in an extension handshake; real ones are 2 deep (the `m` dictionary). */
export const MAX_EXTENSION_HANDSHAKE_DEPTH = 10;
/** Most bencode tokens accepted in an extension handshake; real ones have a few dozen. */
export const MAX_EXTENSION_HANDSHAKE_ITEMS = 10_000;
/** Longest client name (`v`) kept, in bytes; longer ones are dropped. */
export const MAX_CLIENT_NAME_LENGTH = 256;

/**
 * A BEP 10 extension handshake. Every field is optional on the wire; fields with a wrong type or an
 * out-of-range value are left out when decoding, as BEP 10 says unknown or unusable items are ignored.
 */
export interface ExtensionHandshake {
  /**
   * Extension name → extended message id (1..255) the sender receives that extension under. Id 0 means the
   * sender does not support it or, in a later handshake, disables it (BEP 10: `m` is additive), so test with
   * `(m.get(name) ?? 0) !== 0`, not `m.has(name)`.
   */
  m: Map<string, number>;
  /** Client name and version (`v`), UTF-8. */
  v?: string;
  /** The sender's TCP listen port (`p`), 1..65535. */
  p?: number;
  /** How many outstanding requests the sender queues without dropping (`reqq`), at least 1. */
  reqq?: number;
  /** Our address as the sender sees it (`yourip`): 4 (IPv4) or 16 (IPv6) bytes. */
  yourip?: Uint8Array;
  /** The sender's IPv4 address (`ipv4`), 4 bytes. */
  ipv4?: Uint8Array;
  /** The sender's IPv6 address (`ipv6`), 16 bytes. */
  ipv6?: Uint8Array;
  /** Size in bytes of the info dictionary (`metadata_size`, BEP 9), 1..30 MiB. */
  metadataSize?: number;
  /** Whether the sender only uploads (`upload_only`, BEP 21): a seeder or a partial seed. */
  uploadOnly?: boolean;
}

/**
 * Encodes an extension handshake as its bencoded dictionary: the payload of extended message 0, without the
 * extended message id byte (BEP 10).
 *
 * @param h The handshake; `m` ids must be 0..255.
 * @returns The bencoded dictionary, keys sorted.
 * @throws {RangeError} When an `m` id is outside 0..255 or a number is not an integer.
 * @throws {TypeError} When an `m` name is not a latin1 raw-bytes key (use `textKey()` from engine/bencode).
 *
 * @example Advertise ut_metadata as id 3
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeExtensionHandshake } from "./extension_handshake.ts";
 * const bytes = encodeExtensionHandshake({ m: new Map([["ut_metadata", 3]]), p: 6881 });
 * assert.equal(new TextDecoder().decode(bytes), "d1:md11:ut_metadatai3ee1:pi6881ee");
 * ```
 */
export function encodeExtensionHandshake(h: ExtensionHandshake): Uint8Array {
  for (const [name, id] of h.m) {
    if (!Number.isInteger(id) || id < 0 || id > 255) {
      throw new RangeError(`Cannot encode extension handshake: id ${id} of ${name} is outside 0..255`);
    }
  }
  return encode({
    m: h.m,
    v: h.v,
    p: h.p,
    reqq: h.reqq,
    yourip: h.yourip,
    ipv4: h.ipv4,
    ipv6: h.ipv6,
    metadata_size: h.metadataSize,
    upload_only: h.uploadOnly === undefined ? undefined : h.uploadOnly ? 1 : 0,
  });
}

/**
 * Decodes an extension handshake payload (extended message 0, without the id byte). Byte fields are copies, so
 * the payload may be a decoder view.
 *
 * Unusable items are dropped, not fatal (HOSTILE_INPUTS.md cases 45-46): `m` entries whose id is not an integer
 * in 0..255, `metadata_size` outside 1..30 MiB, `p` outside 1..65535, `reqq` < 1, addresses of the wrong length,
 * a `v` longer than 256 bytes.
 *
 * @param payload The bencoded dictionary.
 * @returns The handshake.
 * @throws {PeerProtocolError} `invalid_extension_handshake` when the payload is not valid bencode, not a
 *   dictionary, nested deeper than 10, or has more than 10,000 tokens (HOSTILE_INPUTS.md case 44); nothing is
 *   allocated for a string length prefix that exceeds the payload.
 *
 * @example Hostile ids are dropped
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeExtensionHandshake } from "./extension_handshake.ts";
 * const bytes = new TextEncoder().encode("d1:md11:ut_metadatai2e6:ut_pexi300eee");
 * assert.deepEqual(decodeExtensionHandshake(bytes).m, new Map([["ut_metadata", 2]]));
 * ```
 */
export function decodeExtensionHandshake(payload: Uint8Array): ExtensionHandshake {
  let value: BencodeValue;
  try {
    value = decode(payload, {
      maxDepth: MAX_EXTENSION_HANDSHAKE_DEPTH,
      maxItems: MAX_EXTENSION_HANDSHAKE_ITEMS,
    });
  } catch (e) {
    if (!(e instanceof BencodeError)) throw e;
    throw new PeerProtocolError(
      "invalid_extension_handshake",
      `Cannot decode extension handshake: ${e.message}`,
      {
        cause: e,
      },
    );
  }
  if (!isDict(value)) {
    throw new PeerProtocolError(
      "invalid_extension_handshake",
      "Cannot decode extension handshake: not a dictionary",
    );
  }
  const h: ExtensionHandshake = { m: new Map() };
  const m = value.get("m");
  if (isDict(m)) {
    for (const [name, id] of m) {
      if (typeof id === "number" && id >= 0 && id <= 255) h.m.set(name, id);
    }
  }
  const v = value.get("v");
  if (v instanceof Uint8Array && v.length <= MAX_CLIENT_NAME_LENGTH) h.v = new TextDecoder().decode(v);
  h.p = intIn(value, "p", 1, 0xffff);
  h.reqq = intIn(value, "reqq", 1, Number.MAX_SAFE_INTEGER);
  h.metadataSize = intIn(value, "metadata_size", 1, MAX_METADATA_SIZE);
  h.yourip = address(value, "yourip", 4, 16);
  h.ipv4 = address(value, "ipv4", 4, 4);
  h.ipv6 = address(value, "ipv6", 16, 16);
  const uploadOnly = value.get("upload_only");
  if (typeof uploadOnly === "number") h.uploadOnly = uploadOnly !== 0;
  for (const key of Object.keys(h) as (keyof ExtensionHandshake)[]) {
    if (h[key] === undefined) delete h[key];
  }
  return h;
}

function intIn(dict: BencodeDict, key: string, min: number, max: number): number | undefined {
  const value = dict.get(key);
  return typeof value === "number" && value >= min && value <= max ? value : undefined;
}

function address(dict: BencodeDict, key: string, a: number, b: number): Uint8Array | undefined {
  const value = dict.get(key);
  return value instanceof Uint8Array && (value.length === a || value.length === b)
    ? value.slice()
    : undefined;
}
