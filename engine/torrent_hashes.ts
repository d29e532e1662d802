/**
 * One torrent's side of the BEP 52 hash exchange on v2 connections: hash requests answered from our piece layers
 * through a {@linkcode HashServer}, rate-limited per peer, and a flood dropped (HOSTILE_INPUTS.md case 43).
 * Hashes and rejects that arrive for requests we never sent are ignored.
 *
 * @module
 */

import { PeerProtocolError } from "./errors.ts";
import type { TorrentInfo } from "./metainfo/mod.ts";
import type { PeerConnection } from "./peer_connection.ts";
import type { HashMessage } from "./peer_delegate.ts";
import { HashRequestBudget, HashServer } from "./v2/mod.ts";

/** Answers the hash requests of a torrent's v2 peers. */
export class TorrentHashes {
  readonly #server: HashServer | undefined;
  readonly #budgets = new Map<number, HashRequestBudget>();

  /** @param info The torrent; without piece layers (v1, or a v2 magnet still fetching them) every request is rejected. */
  constructor(info: TorrentInfo) {
    if (info.pieceLayers !== undefined && info.version !== "v1") this.#server = new HashServer(info);
  }

  /**
   * A hash message from a v2 connection.
   * @throws {PeerProtocolError} `hash_request_flood` when the peer keeps asking past its budget.
   */
  received(peer: PeerConnection, message: HashMessage): void {
    if (message.type !== "hash_request") return;
    let budget = this.#budgets.get(peer.key);
    if (budget === undefined) this.#budgets.set(peer.key, budget = new HashRequestBudget());
    const decision = budget.take(performance.now());
    if (decision === "drop") {
      throw new PeerProtocolError("hash_request_flood", "Peer sent too many hash requests");
    }
    const { baseLayer, index, length, proofLayers } = message;
    const request = { piecesRoot: message.piecesRoot.slice(), baseLayer, index, length, proofLayers };
    if (decision === "reject" || this.#server === undefined) {
      peer.sendHashReject(request);
      return;
    }
    this.#server.answer(request).then((reply) => {
      if (reply.type === "hashes") peer.sendHashes(reply.request, reply.hashes);
      else peer.sendHashReject(reply.request);
    }, () => peer.sendHashReject(request));
  }

  /** Forgets a closed connection's budget. */
  forget(peer: PeerConnection): void {
    this.#budgets.delete(peer.key);
  }
}
