/**
 * Serving our metadata to peers with ut_metadata (BEP 9).
 *
 * @module
 */

import { METADATA_PIECE_SIZE, metadataPieceCount, type UtMetadataMessage } from "../wire/ut_metadata.ts";

/** Requests a peer may make before every further one is rejected (HOSTILE_INPUTS.md 49). */
export const MAX_METADATA_REQUESTS_PER_PEER = 1024;

/** Options of {@linkcode MetadataServer}. */
export interface MetadataServerOptions {
  /** Requests answered per peer before rejecting the rest (BEP 9 flood protection). Default 1024. */
  maxRequestsPerPeer?: number;
}

/**
 * Answers ut_metadata `request` messages with `data` or `reject` (BEP 9). A server without metadata (a magnet
 * torrent still fetching it) rejects every request, as BEP 9 requires of a peer that cannot verify what it would
 * send. Each peer gets at most `maxRequestsPerPeer` answers with data, then only rejects (HOSTILE_INPUTS.md 49).
 * Pure: no I/O.
 *
 * @example Serve the first piece, reject a piece past the end
 * ```ts
 * import assert from "node:assert/strict";
 * import { MetadataServer } from "./metadata_server.ts";
 * const info = new TextEncoder().encode("d4:name1:xe");
 * const server = new MetadataServer(info);
 * assert.deepEqual(server.answer({ type: "request", piece: 0 }, 1), {
 *   type: "data",
 *   piece: 0,
 *   totalSize: info.length,
 *   data: info,
 * });
 * assert.deepEqual(server.answer({ type: "request", piece: 1 }, 1), { type: "reject", piece: 1 });
 * ```
 */
export class MetadataServer {
  #info: Uint8Array | undefined;
  #max: number;
  #served = new Map<number, number>();

  /**
   * Makes a server for one torrent's metadata.
   *
   * @param infoBytes The verified bencoded info dictionary (its SHA-1 is the info-hash), 1..30 MiB, or
   *   `undefined` when we do not have it yet. Not copied: it must not change.
   * @param options The per-peer request cap.
   * @throws {RangeError} When `infoBytes` is empty or `maxRequestsPerPeer` is negative.
   */
  constructor(infoBytes: Uint8Array | undefined, options: MetadataServerOptions = {}) {
    if (infoBytes !== undefined && infoBytes.length === 0) {
      throw new RangeError("Cannot serve metadata: info dictionary is empty");
    }
    const max = options.maxRequestsPerPeer ?? MAX_METADATA_REQUESTS_PER_PEER;
    if (!(max >= 0)) throw new RangeError(`Cannot serve metadata: maxRequestsPerPeer ${max} is negative`);
    this.#info = infoBytes;
    this.#max = max;
  }

  /**
   * The answer to a peer's ut_metadata `request`: a `data` message with the piece (a view into the info bytes),
   * or a `reject` when we have no metadata, the piece is out of range, or the peer used up its requests.
   *
   * @param request The decoded request.
   * @param peer The caller's id for the peer connection.
   * @returns The `data` or `reject` message to send back, with the request's `piece` (BEP 9 MUST).
   * @throws {TypeError} When `request` is not a `request` message.
   */
  answer(request: UtMetadataMessage, peer: number): UtMetadataMessage {
    if (request.type !== "request") {
      throw new TypeError(`Cannot answer ut_metadata message: ${request.type} is not a request`);
    }
    const { piece } = request;
    const served = (this.#served.get(peer) ?? 0) + 1;
    this.#served.set(peer, served);
    const info = this.#info;
    if (
      info === undefined || served > this.#max || !Number.isInteger(piece) || piece < 0 ||
      piece >= metadataPieceCount(info.length)
    ) {
      return { type: "reject", piece };
    }
    const start = piece * METADATA_PIECE_SIZE;
    return {
      type: "data",
      piece,
      totalSize: info.length,
      data: info.subarray(start, start + METADATA_PIECE_SIZE),
    };
  }

  /**
   * Forgets a peer's request count (its connection closed).
   *
   * @param peer The peer's id.
   */
  removePeer(peer: number): void {
    this.#served.delete(peer);
  }
}
