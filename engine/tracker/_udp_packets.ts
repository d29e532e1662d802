/**
 * BEP 15 UDP tracker packets: connect and announce requests, and the replies (connect, announce, error). All
 * integers are big-endian.
 *
 * @module
 */

import { PeerCollector } from "./_peers.ts";
import { clampIntervals, trackerText } from "./_reply_fields.ts";
import type { AnnounceRequest, AnnounceResponse } from "./types.ts";

/** The connect request's magic `protocol_id` (BEP 15). */
export const PROTOCOL_ID = 0x41727101980n;
/** BEP 15 `action` values. */
export const ACTION_CONNECT = 0;
export const ACTION_ANNOUNCE = 1;
export const ACTION_ERROR = 3;

/** Shortest valid reply for each action we wait for (BEP 15: connect 16, announce 20, error 8 bytes). */
export const MIN_REPLY_LENGTH: Readonly<Record<number, number>> = {
  [ACTION_CONNECT]: 16,
  [ACTION_ANNOUNCE]: 20,
  [ACTION_ERROR]: 8,
};

const EVENT_CODES = { completed: 1, started: 2, stopped: 3 } as const;

/** The 16-byte connect request: protocol_id, action 0, transaction_id. */
export function connectRequest(transactionId: number): Uint8Array {
  const packet = new Uint8Array(16);
  const view = new DataView(packet.buffer);
  view.setBigUint64(0, PROTOCOL_ID);
  view.setUint32(8, ACTION_CONNECT);
  view.setUint32(12, transactionId);
  return packet;
}

/**
 * The 98-byte IPv4/IPv6 announce request: connection_id, action 1, transaction_id, info_hash, peer_id,
 * downloaded, left, uploaded, event (0 none, 1 completed, 2 started, 3 stopped), IP 0, key, num_want (-1 when
 * unset), port.
 * @param connectionId The 8 bytes from the connect reply.
 */
export function announceRequest(
  connectionId: Uint8Array,
  transactionId: number,
  request: AnnounceRequest,
): Uint8Array {
  const packet = new Uint8Array(98);
  const view = new DataView(packet.buffer);
  packet.set(connectionId, 0);
  view.setUint32(8, ACTION_ANNOUNCE);
  view.setUint32(12, transactionId);
  packet.set(request.infoHash, 16);
  packet.set(request.peerId, 36);
  view.setBigUint64(56, BigInt(request.downloaded));
  view.setBigUint64(64, BigInt(request.left));
  view.setBigUint64(72, BigInt(request.uploaded));
  view.setUint32(80, request.event === undefined ? 0 : EVENT_CODES[request.event]);
  view.setUint32(84, 0);
  view.setUint32(88, request.key ?? 0);
  view.setInt32(92, request.numwant ?? -1);
  view.setUint16(96, request.port);
  return packet;
}

/** The `action` and `transaction_id` that start every reply, or `undefined` for a packet under 8 bytes. */
export function replyHeader(packet: Uint8Array): { action: number; transactionId: number } | undefined {
  if (packet.length < 8) return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return { action: view.getUint32(0), transactionId: view.getUint32(4) };
}

/** The 8-byte connection_id of a connect reply (a copy). */
export function connectionIdOf(packet: Uint8Array): Uint8Array {
  return packet.slice(8, 16);
}

/** The message of an error reply (action 3), as safe text. */
export function errorMessageOf(packet: Uint8Array): string {
  return trackerText(packet.subarray(8));
}

/**
 * Reads an announce reply: interval (clamped like HTTP), leechers, seeders, then peers of `stride` bytes (6 when
 * the tracker was reached over IPv4, 18 over IPv6; BEP 15); a trailing partial entry is ignored.
 */
export function parseUdpAnnounceReply(packet: Uint8Array, stride: 6 | 18): AnnounceResponse {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const collector = new PeerCollector();
  collector.addCompact(packet.subarray(20), stride);
  return {
    ...clampIntervals(view.getInt32(8), undefined),
    peers: collector.peers,
    incomplete: view.getUint32(12),
    complete: view.getUint32(16),
  };
}
