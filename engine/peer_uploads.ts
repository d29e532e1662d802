/**
 * The requests one peer made of us (BEP 3 `request` / `cancel`), queued and served in order through the disk,
 * with the BEP 6 rule that every request gets exactly one answer (a block or a `reject`) and the caps of
 * DESIGN.md section 8: at most 2,000 queued, 8 disk reads in flight, no block while the send buffer is full,
 * and a peer dropped after 300 invalid requests.
 *
 * @module
 */

import { PeerProtocolError } from "./errors.ts";

/** Largest block a peer may request or send (BEP 3 practice; DESIGN.md section 8). */
export const MAX_BLOCK_LENGTH = 16 * 1024;
/** Incoming request queue cap per peer (DESIGN.md section 8). */
export const MAX_REQUEST_QUEUE = 2000;
/** Invalid requests tolerated from one peer before it is dropped (DESIGN.md section 8). */
export const MAX_INVALID_REQUESTS = 300;
/** Outgoing bytes buffered per peer above which uploads wait (HOSTILE_INPUTS.md case 70). */
export const SEND_BUFFER_WATERMARK = 512 * 1024;
/** Disk reads in flight per peer. */
const READS_IN_FLIGHT = 8;

/** What the queue needs of its connection. */
export interface UploadHost {
  /** Whether the connection is closed. */
  closed(): boolean;
  /** Whether we choke the peer. */
  choking(): boolean;
  /** Bytes waiting in the send buffer. */
  bufferedBytes(): number;
  /** Whether we have piece `index` (in range). */
  havePiece(index: number): boolean;
  /** Size of piece `index` in bytes; `index` is in range. */
  pieceSize(index: number): number;
  /** Number of pieces of the torrent. */
  readonly pieceCount: number;
  /** Reads a block for the peer; `null` when we cannot serve it. */
  readBlock(index: number, begin: number, length: number): Promise<Uint8Array | null>;
  /** Queues a `piece` message. */
  sendPiece(index: number, begin: number, block: Uint8Array): void;
  /** Queues a `reject` (with the fast extension only; BEP 6). */
  reject(index: number, begin: number, length: number): void;
  /** A disk read failed: the connection ends. */
  fail(reason: string, error: unknown): void;
}

interface QueuedRequest {
  index: number;
  begin: number;
  length: number;
}

/** One peer's queue of requests to serve. */
export class UploadQueue {
  readonly #host: UploadHost;
  #queue: QueuedRequest[] = [];
  #reading = 0;
  #invalid = 0;
  #chokedAt = -Infinity;

  /** @param host The connection. */
  constructor(host: UploadHost) {
    this.#host = host;
  }

  /** Requests queued or being read. */
  get size(): number {
    return this.#queue.length + this.#reading;
  }

  /**
   * A `request` from the peer: queued when valid, else rejected and counted.
   * @throws {PeerProtocolError} `too_many_invalid_requests` past 300 invalid ones.
   */
  request(index: number, begin: number, length: number): void {
    const host = this.#host;
    if (host.choking()) {
      // BEP 3: requests from a choked peer are dropped (BEP 6: rejected); a few arrive right after a choke.
      host.reject(index, begin, length);
      if (performance.now() - this.#chokedAt > 2000) this.#invalidRequest("request while choked");
      return;
    }
    const valid = index < host.pieceCount && host.havePiece(index) && length > 0 &&
      length <= MAX_BLOCK_LENGTH && begin + length <= host.pieceSize(index);
    if (!valid) {
      host.reject(index, begin, length);
      this.#invalidRequest(`invalid request ${index}:${begin}+${length}`);
      return;
    }
    if (this.#queue.length >= MAX_REQUEST_QUEUE) {
      host.reject(index, begin, length);
      this.#invalidRequest("request queue full");
      return;
    }
    this.#queue.push({ index, begin, length });
    this.serve();
  }

  /** A `cancel`: the queued request is dropped and, BEP 6, answered with a reject. */
  cancel(index: number, begin: number, length: number): void {
    const i = this.#queue.findIndex((r) => r.index === index && r.begin === begin && r.length === length);
    if (i < 0) return;
    this.#queue.splice(i, 1);
    this.#host.reject(index, begin, length);
  }

  /** We choked the peer: every queued request is rejected (BEP 6: after the choke). */
  choked(): void {
    this.#chokedAt = performance.now();
    for (const request of this.#queue) this.#host.reject(request.index, request.begin, request.length);
    this.#queue.length = 0;
  }

  /** Forgets every queued request (the connection closed). */
  clear(): void {
    this.#queue.length = 0;
  }

  /** Starts disk reads for queued requests while the peer is unchoked and the send buffer has room. */
  serve(): void {
    const host = this.#host;
    while (
      !host.closed() && !host.choking() && this.#queue.length > 0 && this.#reading < READS_IN_FLIGHT &&
      host.bufferedBytes() < SEND_BUFFER_WATERMARK
    ) {
      const request = this.#queue.shift()!;
      this.#reading++;
      host.readBlock(request.index, request.begin, request.length).then((block) => {
        this.#reading--;
        if (host.closed() || host.choking()) return;
        if (block === null) {
          host.reject(request.index, request.begin, request.length);
          return;
        }
        host.sendPiece(request.index, request.begin, block);
        this.serve();
      }, (error) => {
        this.#reading--;
        host.fail("read failed", error);
      });
    }
  }

  #invalidRequest(what: string): void {
    if (++this.#invalid > MAX_INVALID_REQUESTS) {
      throw new PeerProtocolError(
        "too_many_invalid_requests",
        `Peer sent too many invalid requests: last ${what}`,
      );
    }
  }
}
