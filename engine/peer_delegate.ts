/**
 * The contract between a peer connection and its torrent: what the wire state machine reports upward, and what
 * a connection is made with.
 *
 * @module
 */

import type { PeerConnection } from "./peer_connection.ts";
import type { ByteTransport } from "./peer_handshake.ts";
import type { Handshake, WireDecoder, WireMessage } from "./wire/mod.ts";

/** The BEP 52 hash messages (`hash request`, `hashes`, `hash reject`). */
export type HashMessage = Extract<WireMessage, { type: "hash_request" | "hashes" | "hash_reject" }>;

/** The torrent side of a connection: what the wire state machine reports upward. */
export interface PeerDelegate {
  /** The peer's bitfield or `have` changed availability: `index` is a piece, or -1 for a whole bitfield. */
  peerHas(peer: PeerConnection, index: number): void;
  /** The peer choked us: our outstanding requests to it are void, unless `peer.fast` (BEP 6: rejects follow). */
  peerChoked(peer: PeerConnection): void;
  /** An extended message (BEP 10); `id` 0 is the extension handshake. Throw `PeerProtocolError` to drop the peer. */
  extendedMessage(peer: PeerConnection, id: number, payload: Uint8Array): void;
  /** A BEP 52 hash request, hashes or hash reject on a v2 connection. Throw `PeerProtocolError` to drop the peer. */
  hashMessage(peer: PeerConnection, message: HashMessage): void;
  /** The peer will not serve a request (BEP 6 reject). */
  requestRejected(peer: PeerConnection, index: number, begin: number, length: number): void;
  /** The peer unchoked us. */
  peerUnchoked(peer: PeerConnection): void;
  /** The peer became interested or not interested in us. */
  peerInterestChanged(peer: PeerConnection): void;
  /** A block arrived. `block` is a view valid only during this call: copy it. */
  blockReceived(peer: PeerConnection, index: number, begin: number, block: Uint8Array): void;
  /** Reads a block to upload; `null` when we cannot serve it. */
  readBlock(peer: PeerConnection, index: number, begin: number, length: number): Promise<Uint8Array | null>;
  /** Whether we have piece `index` (requests for other pieces are invalid). */
  havePiece(index: number): boolean;
  /** Size in bytes of piece `index` (the last piece may be shorter). */
  pieceSize(index: number): number;
  /** All messages of one read were handled: a good time to top up requests. */
  afterMessages(peer: PeerConnection): void;
  /** The connection closed; `reason` says why. Called exactly once. */
  peerClosed(peer: PeerConnection, reason: string, error?: unknown): void;
}

/** Options for a {@linkcode PeerConnection}. */
export interface PeerConnectionOptions {
  /** The transport, already past the handshake. */
  transport: ByteTransport;
  /** The decoder that read the handshake; it may hold bytes that followed it. */
  decoder: WireDecoder;
  /** The peer's handshake. */
  handshake: Handshake;
  /** Number of pieces of the torrent. */
  pieceCount: number;
  /** Peer address, `host:port`. */
  name: string;
  /** Whether the peer connected to us. */
  incoming: boolean;
  /** Small integer id, unique within the torrent. */
  key: number;
  /** Receives what the peer does. */
  delegate: PeerDelegate;
  /** Whether both handshakes set the fast extension bit (BEP 6). */
  fast?: boolean;
  /** Whether both handshakes set the extension protocol bit (BEP 10). */
  extensions?: boolean;
  /** Whether the handshake used the torrent's v2 info-hash (BEP 52): hash messages go to the delegate. */
  v2?: boolean;
}
