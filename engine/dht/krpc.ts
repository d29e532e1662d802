/**
 * The KRPC codec of the DHT (BEP 5): bencoded query, response and error packets over UDP, decoded with
 * hostile-input caps (HOSTILE_INPUTS.md 51).
 *
 * @module
 */

import {
  type BencodeDict,
  type BencodeValue,
  decode,
  type Encodable,
  encode,
  isDict,
} from "../bencode/mod.ts";
import { KrpcError } from "./krpc_error.ts";

/** Largest KRPC packet we decode, in bytes; a UDP datagram on the Internet is rarely above 1500. */
export const MAX_KRPC_PACKET = 2048;
/** Most nested lists/dictionaries in a KRPC packet (HOSTILE_INPUTS.md 51). */
export const MAX_KRPC_DEPTH = 10;
/** Most bencode tokens in a KRPC packet (HOSTILE_INPUTS.md 51). */
export const MAX_KRPC_ITEMS = 500;
/** Longest transaction id we accept, in bytes; it is echoed in replies, so it is bounded (amplification). */
export const MAX_TRANSACTION_ID = 16;

/** A decoded KRPC query (`y` = `q`): method name `q`, arguments `a`, and the querying node's id. */
export interface KrpcQuery {
  /** Message type: query. */
  readonly y: "q";
  /** Transaction id, 1–16 bytes. */
  readonly t: Uint8Array;
  /** Method name, e.g. `ping`, `find_node`, `get_peers`, `announce_peer`. */
  readonly q: string;
  /** Arguments dictionary. */
  readonly a: BencodeDict;
  /** Querying node's id, 20 bytes (`a.id`). */
  readonly id: Uint8Array;
}

/** A decoded KRPC response (`y` = `r`). */
export interface KrpcResponse {
  /** Message type: response. */
  readonly y: "r";
  /** Transaction id, 1–16 bytes. */
  readonly t: Uint8Array;
  /** Return values dictionary. */
  readonly r: BencodeDict;
  /** Responding node's id, 20 bytes (`r.id`). */
  readonly id: Uint8Array;
}

/** A decoded KRPC error (`y` = `e`): `e` = `[code, message]`. */
export interface KrpcErrorReply {
  /** Message type: error. */
  readonly y: "e";
  /** Transaction id, 1–16 bytes. */
  readonly t: Uint8Array;
  /** Error code (BEP 5: 201 generic, 202 server, 203 protocol, 204 method unknown). */
  readonly code: number;
  /** Error message as sent (UTF-8 decoded, at most 200 characters kept). */
  readonly message: string;
}

/** Any decoded KRPC packet. */
export type KrpcMessage = KrpcQuery | KrpcResponse | KrpcErrorReply;

const text = new TextDecoder("utf-8", { fatal: false });

function withId(dict: BencodeDict, t: Uint8Array): Uint8Array {
  const id = dict.get("id");
  if (!(id instanceof Uint8Array)) throw new KrpcError(203, "Cannot decode KRPC: id is missing", t);
  if (id.length !== 20) throw new KrpcError(203, `Cannot decode KRPC: id is ${id.length} bytes, not 20`, t);
  return id;
}

/**
 * Decodes one KRPC packet (BEP 5) with caps: at most {@link MAX_KRPC_PACKET} bytes, depth
 * {@link MAX_KRPC_DEPTH}, {@link MAX_KRPC_ITEMS} tokens. Queries and responses must carry a 20-byte `id`.
 * Byte strings in the result are copies, so the datagram buffer may be reused.
 *
 * @param bytes One UDP datagram.
 * @returns The query, response or error.
 * @throws {KrpcError} Code 203 for anything malformed (not bencode, not a dict, `t`/`y` missing, bad `id`, over a
 * cap); `transactionId` is set when `t` could be read, so the caller can reply with an error, else stay silent.
 *
 * @example Decode a ping
 * ```ts
 * import { decodeKrpc, encodeQuery } from "./krpc.ts";
 * import assert from "node:assert/strict";
 *
 * const id = new Uint8Array(20).fill(1);
 * const message = decodeKrpc(encodeQuery(new Uint8Array([0, 1]), "ping", { id }));
 * assert.equal(message.y, "q");
 * ```
 */
export function decodeKrpc(bytes: Uint8Array): KrpcMessage {
  if (bytes.length > MAX_KRPC_PACKET) {
    throw new KrpcError(203, `Cannot decode KRPC: packet is ${bytes.length} bytes, over ${MAX_KRPC_PACKET}`);
  }
  // A node:dgram Buffer's `slice` is a view, so decode from a plain Uint8Array over the same bytes to get copies.
  if (Object.getPrototypeOf(bytes) !== Uint8Array.prototype) {
    bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  let value: BencodeValue;
  try {
    value = decode(bytes, { maxDepth: MAX_KRPC_DEPTH, maxItems: MAX_KRPC_ITEMS, copy: true });
  } catch (error) {
    throw new KrpcError(203, `Cannot decode KRPC: ${(error as Error).message}`);
  }
  if (!isDict(value)) throw new KrpcError(203, "Cannot decode KRPC: packet is not a dictionary");
  const t = value.get("t");
  if (!(t instanceof Uint8Array) || t.length === 0 || t.length > MAX_TRANSACTION_ID) {
    throw new KrpcError(203, "Cannot decode KRPC: t is missing or not 1–16 bytes");
  }
  const y = value.get("y");
  if (!(y instanceof Uint8Array) || y.length !== 1) {
    throw new KrpcError(203, "Cannot decode KRPC: y is missing", t);
  }
  switch (String.fromCharCode(y[0])) {
    case "q": {
      const q = value.get("q");
      const a = value.get("a");
      if (!(q instanceof Uint8Array) || q.length > 64) {
        throw new KrpcError(203, "Cannot decode KRPC: q is missing", t);
      }
      if (!isDict(a)) throw new KrpcError(203, "Cannot decode KRPC: a is missing", t);
      return { y: "q", t, q: text.decode(q), a, id: withId(a, t) };
    }
    case "r": {
      const r = value.get("r");
      if (!isDict(r)) throw new KrpcError(203, "Cannot decode KRPC: r is missing", t);
      return { y: "r", t, r, id: withId(r, t) };
    }
    case "e": {
      const e = value.get("e");
      if (!Array.isArray(e) || typeof e[0] !== "number") {
        throw new KrpcError(203, "Cannot decode KRPC: e is not [code, message]", t);
      }
      const message = e[1] instanceof Uint8Array ? text.decode(e[1].subarray(0, 200)) : "";
      return { y: "e", t, code: e[0], message };
    }
    default:
      throw new KrpcError(203, "Cannot decode KRPC: y is not q, r or e", t);
  }
}

/**
 * Encodes a KRPC query (BEP 5): `{t, y: "q", q: method, a: args}`.
 *
 * @param t Transaction id (1–16 bytes).
 * @param method Method name, e.g. `"get_peers"`.
 * @param args Arguments; must include `id` (20 bytes).
 * @returns The bencoded packet.
 */
export function encodeQuery(
  t: Uint8Array,
  method: string,
  args: Record<string, Encodable | undefined>,
): Uint8Array {
  return encode({ t, y: "q", q: method, a: args });
}

/**
 * Encodes a KRPC response (BEP 5): `{t, y: "r", r: values}`.
 *
 * @param t Transaction id of the query being answered.
 * @param values Return values; must include `id` (20 bytes).
 * @returns The bencoded packet.
 */
export function encodeResponse(t: Uint8Array, values: Record<string, Encodable | undefined>): Uint8Array {
  return encode({ t, y: "r", r: values });
}

/**
 * Encodes a KRPC error (BEP 5): `{t, y: "e", e: [code, message]}`.
 *
 * @param t Transaction id of the query being answered.
 * @param code 201 generic, 202 server, 203 protocol, 204 method unknown.
 * @param message Short human-readable text.
 * @returns The bencoded packet.
 */
export function encodeError(t: Uint8Array, code: number, message: string): Uint8Array {
  return encode({ t, y: "e", e: [code, message] });
}
