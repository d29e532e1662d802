/**
 * The extension protocol (BEP 10) on a torrent's connections: our extension handshake, the peer's, and
 * ut_metadata requests (BEP 9) answered from our metadata, so peers that only have the magnet link can start.
 *
 * @module
 */

import { PeerProtocolError } from "./errors.ts";
import { MetadataServer } from "./metadata/mod.ts";
import type { PeerConnection } from "./peer_connection.ts";
import {
  decodeExtensionHandshake,
  decodeUtMetadata,
  encodeExtensionHandshake,
  encodeUtMetadata,
} from "./wire/mod.ts";

/** The id peers send our ut_metadata messages under (our extension handshake's `m`). */
export const UT_METADATA_ID = 1;

/** One torrent's BEP 10 state: the peers' extension ids and the metadata we serve. */
export class TorrentExtensions {
  #server: MetadataServer;
  #size: number;
  #theirIds = new Map<number, number>();

  /** @param infoBytes The torrent's bencoded `info` dictionary, served to peers that ask (BEP 9). */
  constructor(infoBytes: Uint8Array) {
    this.#server = new MetadataServer(infoBytes);
    this.#size = infoBytes.length;
  }

  /** Sends our extension handshake (BEP 10): ut_metadata and the metadata size (BEP 9). */
  handshake(peer: PeerConnection): void {
    const m = new Map([["ut_metadata", UT_METADATA_ID]]);
    peer.sendExtended(
      0,
      encodeExtensionHandshake({ m, v: "ccbt/0.1.0", metadataSize: this.#size, reqq: 500 }),
    );
  }

  /**
   * An extended message (BEP 10) from `peer`.
   * @throws {PeerProtocolError} For a malformed extension handshake or ut_metadata message (the peer is dropped).
   */
  received(peer: PeerConnection, id: number, payload: Uint8Array): void {
    if (id === 0) {
      this.#theirIds.set(peer.key, decodeExtensionHandshake(payload).m.get("ut_metadata") ?? 0);
      return;
    }
    if (id !== UT_METADATA_ID) return; // An extension we did not offer: BEP 10 says ignore it.
    let message;
    try {
      message = decodeUtMetadata(payload);
    } catch (error) {
      // BEP 9: unknown ut_metadata message types are ignored.
      if (error instanceof PeerProtocolError && error.code === "unknown_ut_metadata") return;
      throw error;
    }
    const theirs = this.#theirIds.get(peer.key) ?? 0;
    if (message.type !== "request" || theirs === 0) return;
    peer.sendExtended(theirs, encodeUtMetadata(this.#server.answer(message, peer.key)));
  }

  /** Forgets a closed connection. */
  forget(peer: PeerConnection): void {
    this.#theirIds.delete(peer.key);
    this.#server.removePeer(peer.key);
  }
}
