/**
 * The extension protocol (BEP 10) on a torrent's connections: our extension handshake and the peer's,
 * ut_metadata requests (BEP 9) answered from our metadata, and peer exchange (BEP 11, ut_pex).
 *
 * @module
 */

import { PeerProtocolError } from "./errors.ts";
import { MetadataServer } from "./metadata/mod.ts";
import type { PeerConnection } from "./peer_connection.ts";
import { PexState } from "./pex/mod.ts";
import { addressOf } from "./torrent_peers.ts";
import { parseIp } from "./tracker/_ip.ts";
import {
  decodeExtensionHandshake,
  decodePex,
  decodeUtMetadata,
  encodeExtensionHandshake,
  encodePex,
  encodeUtMetadata,
  PEX_FLAG_OUTGOING,
  PEX_FLAG_SEED,
  type PexPeer,
} from "./wire/mod.ts";

/** The id peers send our ut_metadata messages under (our extension handshake's `m`). */
export const UT_METADATA_ID = 1;
/** The id peers send our ut_pex messages under. */
export const UT_PEX_ID = 2;

/** Options for {@linkcode TorrentExtensions}. */
export interface TorrentExtensionsOptions {
  /** The torrent's bencoded `info` dictionary, served to peers that ask (BEP 9). */
  infoBytes: Uint8Array;
  /** A private torrent (BEP 27) does no peer exchange. */
  private: boolean;
  /** Peer exchange (BEP 11) at all (default true): off, ut_pex is neither offered nor read nor sent. */
  pex?: boolean;
  /** Peers learnt through PEX, already filtered and capped (BEP 11). */
  onPeers: (peers: PexPeer[]) => void;
  /** Our TCP listen port, told to peers as `p` so they can pass us on (0 when not listening). */
  listenPort: () => number;
}

/** One torrent's BEP 10 state: the peers' extension ids, the metadata we serve, and peer exchange. */
export class TorrentExtensions {
  #options: TorrentExtensionsOptions;
  #server: MetadataServer;
  #pex: PexState;
  #theirIds = new Map<number, { metadata: number; pex: number }>();
  /** Whether we do peer exchange: public torrent and PEX switched on. */
  #pexOn: boolean;

  constructor(options: TorrentExtensionsOptions) {
    this.#options = options;
    this.#pexOn = !options.private && options.pex !== false;
    this.#server = new MetadataServer(options.infoBytes);
    this.#pex = new PexState({ private: options.private });
  }

  /**
   * Sends our extension handshake (BEP 10): ut_metadata with the metadata size (BEP 9), ut_pex (BEP 11)
   * unless the torrent is private or PEX is off, our listen port, client name, request queue size and the
   * peer's address as we see it (`yourip`).
   */
  handshake(peer: PeerConnection): void {
    const m = new Map([["ut_metadata", UT_METADATA_ID]]);
    if (this.#pexOn) m.set("ut_pex", UT_PEX_ID);
    const metadataSize = this.#options.infoBytes.length;
    const p = this.#options.listenPort() || undefined;
    // BEP 10 `yourip`: the peer's address as we see it, so it can learn its external address.
    const yourip = parseIp(addressOf(peer.name).host);
    peer.sendExtended(
      0,
      encodeExtensionHandshake({ m, v: "ccbt/0.1.0", p, metadataSize, reqq: 500, yourip }),
    );
  }

  /**
   * An extended message (BEP 10) from `peer`.
   * @throws {PeerProtocolError} For a malformed extension handshake, ut_metadata or ut_pex message.
   */
  received(peer: PeerConnection, id: number, payload: Uint8Array): void {
    if (id === 0) {
      const { m } = decodeExtensionHandshake(payload);
      this.#theirIds.set(peer.key, { metadata: m.get("ut_metadata") ?? 0, pex: m.get("ut_pex") ?? 0 });
      return;
    }
    if (id === UT_PEX_ID) {
      if (!this.#pexOn) return;
      const peers = this.#pex.accept(peer.key, addressOf(peer.name), decodePex(payload), performance.now());
      if (peers.length > 0) this.#options.onPeers(peers);
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
    const theirs = this.#theirIds.get(peer.key)?.metadata ?? 0;
    if (message.type !== "request" || theirs === 0) return;
    peer.sendExtended(theirs, encodeUtMetadata(this.#server.answer(message, peer.key)));
  }

  /**
   * Sends each peer that speaks ut_pex the peers we connected to (their listen addresses), at most once a
   * minute (BEP 11). Incoming connections are left out: their source port is not where they listen.
   */
  tick(peers: readonly PeerConnection[], now: number): void {
    if (!this.#pexOn) return;
    const listening: (PexPeer & { key: number })[] = peers.filter((p) => !p.incoming).map((p) => {
      const flags = PEX_FLAG_OUTGOING | (p.isSeed ? PEX_FLAG_SEED : 0);
      return { key: p.key, ...addressOf(p.name), flags };
    });
    for (const peer of peers) {
      const theirs = this.#theirIds.get(peer.key)?.pex ?? 0;
      if (theirs === 0) continue;
      const others = listening.filter((p) => p.key !== peer.key).map(({ host, port, flags }) => ({
        host,
        port,
        flags,
      }));
      const message = this.#pex.message(peer.key, others, now);
      if (message !== null) peer.sendExtended(theirs, encodePex(message));
    }
  }

  /** Forgets a closed connection. */
  forget(peer: PeerConnection): void {
    this.#theirIds.delete(peer.key);
    this.#server.removePeer(peer.key);
    this.#pex.forget(peer.key);
  }
}
