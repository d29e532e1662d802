/**
 * One peer: the BEP 3 peer wire state machine over an injected byte transport. It never opens sockets itself;
 * TCP (and, later, in-memory pipes or uTP) plug in through {@linkcode ByteTransport}.
 *
 * @module
 */

import { PeerProtocolError } from "./errors.ts";
import { Bitfield } from "./picker/bitfield.ts";
import { RateMeter } from "./rate_meter.ts";
import { type ByteTransport, writeAll } from "./peer_handshake.ts";
import { UploadQueue } from "./peer_uploads.ts";
import type { PeerConnectionOptions, PeerDelegate } from "./peer_delegate.ts";

export type { ByteTransport, PeerConnectionOptions, PeerDelegate };
import {
  checkBitfield,
  type HashRequestRef,
  MessageWriter,
  type WireDecoder,
  type WireMessage,
} from "./wire/mod.ts";

export {
  MAX_BLOCK_LENGTH,
  MAX_INVALID_REQUESTS,
  MAX_REQUEST_QUEUE,
  SEND_BUFFER_WATERMARK,
} from "./peer_uploads.ts";
/** Seconds without any byte from a peer before it is dropped (DESIGN.md section 8: peer timeout). */
export const PEER_TIMEOUT_SECONDS = 120;
/** Seconds without a block while requests are outstanding before they are given back (request timeout). */
export const REQUEST_TIMEOUT_SECONDS = 60;
/** Seconds between keep-alives we send when otherwise idle (BEP 3: about two minutes). */
export const KEEP_ALIVE_SECONDS = 90;
/**
 * Most milliseconds a `have` waits to go out with the next message: while downloading fast, a piece completes every
 * millisecond or so, and a write of its own for each `have` would cost a system call per piece per peer.
 */
export const HAVE_DELAY_MS = 50;

/** One connection to a peer, after the handshake (BEP 3). */
export class PeerConnection {
  /** Small integer id of this connection within its torrent. */
  readonly key: number;
  /** `host:port` of the peer. */
  readonly name: string;
  /** Whether the peer connected to us. */
  readonly incoming: boolean;
  /** The peer's 20-byte peer id. */
  readonly peerId: Uint8Array;
  /** Pieces the peer has (BEP 3 bitfield and have). */
  readonly bitfield: Bitfield;
  /** We choke the peer (BEP 3: connections start choked and not interested). */
  amChoking = true;
  /** We are interested in the peer. */
  amInterested = false;
  /** The peer chokes us. */
  peerChoking = true;
  /** The peer is interested in us. */
  peerInterested = false;
  /** Payload bytes received from the peer. */
  readonly download: RateMeter = new RateMeter();
  /** Payload bytes sent to the peer. */
  readonly upload: RateMeter = new RateMeter();
  /** Monotonic ms of the last byte received. */
  lastReceived: number = performance.now();
  /** Monotonic ms of the last block received, or of the moment requests started waiting. */
  lastBlock: number = performance.now();
  /** Monotonic ms when the connection was set up. */
  readonly connectedAt: number = performance.now();
  /** Bytes of blocks that arrived unrequested or twice (waste). */
  wasted = 0;
  /** Whether the fast extension is on for this connection (BEP 6). */
  readonly fast: boolean;
  /** Whether this is a v2 connection (BEP 52: v2 info-hash in the handshake): hash messages are exchanged. */
  readonly v2: boolean;
  /** Whether the extension protocol is on for this connection (BEP 10). */
  readonly extensions: boolean;
  /** Pieces the peer lets us request while it chokes us (BEP 6 allowed fast set). */
  readonly allowedFast: Set<number> = new Set();
  /** Pieces the peer suggested (BEP 6 `suggest piece`), requested first while we still need them; at most 32. */
  readonly suggested: Set<number> = new Set();

  #transport: ByteTransport;
  #decoder: WireDecoder;
  #delegate: PeerDelegate;
  #writer = new MessageWriter(4096);
  #flushing = false;
  #flushScheduled = false;
  #lazyFlush: ReturnType<typeof setTimeout> | undefined;
  #lastSent = performance.now();
  #closed = false;
  #sawBitfield = false;
  readonly #uploads: UploadQueue;
  // A peer we never unchoked has no requests in flight to excuse: the 2 s grace starts at a choke.

  constructor(options: PeerConnectionOptions) {
    this.key = options.key;
    this.name = options.name;
    this.incoming = options.incoming;
    this.peerId = options.handshake.peerId.slice();
    this.bitfield = new Bitfield(options.pieceCount);
    this.#transport = options.transport;
    this.#decoder = options.decoder;
    this.#delegate = options.delegate;
    this.fast = options.fast ?? false;
    this.v2 = options.v2 ?? false;
    this.extensions = options.extensions ?? false;
    this.#uploads = new UploadQueue({
      closed: () => this.#closed,
      choking: () => this.amChoking,
      bufferedBytes: () => this.#writer.length,
      pieceCount: options.pieceCount,
      havePiece: (index) => this.#delegate.havePiece(index),
      pieceSize: (index) => this.#delegate.pieceSize(index),
      readBlock: (index, begin, length) => this.#delegate.readBlock(this, index, begin, length),
      sendPiece: (index, begin, block) => {
        this.#writer.piece(index, begin, block);
        this.upload.add(block.length, performance.now());
        this.#scheduleFlush();
      },
      reject: (index, begin, length) => {
        this.#reject(index, begin, length);
        this.#scheduleFlush();
      },
      fail: (reason, error) => this.close(reason, error),
    });
  }

  /** Whether the connection has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the peer has every piece. */
  get isSeed(): boolean {
    return this.bitfield.complete;
  }

  /** Requests queued from the peer and not yet served. */
  get queuedUploads(): number {
    return this.#uploads.size;
  }

  /** Starts reading; resolves when the connection closes. Never rejects. */
  async run(): Promise<void> {
    try {
      this.#handleBuffered();
      while (!this.#closed) {
        const region = this.#decoder.writable();
        const n = await this.#transport.read(region);
        if (n === null) {
          this.close("connection closed by peer");
          return;
        }
        this.#decoder.commit(n);
        this.lastReceived = performance.now();
        this.#handleBuffered();
      }
    } catch (error) {
      if (error instanceof PeerProtocolError) this.close(error.code, error);
      else this.close(error instanceof Error ? error.message : String(error), error);
    }
  }

  #handleBuffered(): void {
    let message: WireMessage | null;
    let any = false;
    while (!this.#closed && (message = this.#decoder.next()) !== null) {
      this.#handle(message);
      any = true;
    }
    if (any && !this.#closed) this.#delegate.afterMessages(this);
  }

  #handle(message: WireMessage): void {
    switch (message.type) {
      case "keep_alive":
        return;
      case "choke":
        if (!this.peerChoking) {
          this.peerChoking = true;
          this.#delegate.peerChoked(this);
        }
        return;
      case "unchoke":
        if (this.peerChoking) {
          this.peerChoking = false;
          this.lastBlock = performance.now();
          this.#delegate.peerUnchoked(this);
        }
        return;
      case "interested":
      case "not_interested": {
        const interested = message.type === "interested";
        if (this.peerInterested !== interested) {
          this.peerInterested = interested;
          this.#delegate.peerInterestChanged(this);
        }
        return;
      }
      case "have":
        if (message.index >= this.bitfield.size) {
          throw new PeerProtocolError(
            "invalid_have",
            `Peer sent have for piece ${message.index}: out of range`,
          );
        }
        if (this.bitfield.set(message.index)) this.#delegate.peerHas(this, message.index);
        return;
      case "bitfield":
        this.#receiveHaves(checkBitfield(message.bitfield, this.bitfield.size).indices());
        return;
      case "have_all":
      case "have_none":
      case "reject":
      case "allowed_fast":
      case "suggest":
        if (!this.fast) {
          // BEP 6: without the fast extension on both sides, these messages MUST close the connection.
          throw new PeerProtocolError(
            "unexpected_message",
            `Peer sent ${message.type} without negotiating it`,
          );
        }
        this.#handleFast(message);
        return;
      case "request":
        this.#uploads.request(message.index, message.begin, message.length);
        return;
      case "cancel":
        this.#uploads.cancel(message.index, message.begin, message.length);
        return;
      case "piece":
        this.lastBlock = performance.now();
        this.download.add(message.block.length, this.lastBlock);
        this.#delegate.blockReceived(this, message.index, message.begin, message.block);
        return;
      case "port":
        return;
      case "extended":
        if (!this.extensions) {
          throw new PeerProtocolError(
            "unexpected_message",
            "Peer sent an extended message without negotiating it",
          );
        }
        this.#delegate.extendedMessage(this, message.id, message.payload);
        return;
      case "hash_request":
      case "hashes":
      case "hash_reject":
        if (this.v2) {
          this.#delegate.hashMessage(this, message);
        } else if (message.type === "hash_request") {
          // Not a v2 connection: nothing to serve (HOSTILE_INPUTS.md case 43). BEP 52 answers with a reject.
          this.sendHashReject(message);
        } else {
          throw new PeerProtocolError("unexpected_message", `Peer sent ${message.type} on a v1 connection`);
        }
        return;
    }
  }

  /**
   * Takes a bitfield or have_all. BEP 3 sends the bitfield only as the first message, but aria2 sends it after its
   * first requests and sometimes twice. Like libtorrent we accept it anywhere; a peer never loses pieces, so a
   * later one is merged as a batch of haves and availability stays consistent.
   */
  #receiveHaves(indices: Iterable<number>): void {
    const first = !this.#sawBitfield && this.bitfield.count === 0;
    this.#sawBitfield = true;
    if (first) {
      for (const index of indices) this.bitfield.set(index);
      this.#delegate.peerHas(this, -1);
      return;
    }
    for (const index of indices) {
      if (this.bitfield.set(index)) this.#delegate.peerHas(this, index);
    }
  }

  /** BEP 6 messages, once both sides set the fast bit. */
  #handleFast(message: WireMessage): void {
    switch (message.type) {
      case "have_all":
        this.#receiveHaves(Array.from({ length: this.bitfield.size }, (_, i) => i));
        return;
      case "have_none":
        this.#sawBitfield = true;
        return;
      case "reject":
        this.#delegate.requestRejected(this, message.index, message.begin, message.length);
        return;
      case "allowed_fast":
      case "suggest":
        if (message.index >= this.bitfield.size) {
          throw new PeerProtocolError(
            `invalid_${message.type}`,
            `Peer sent ${message.type} ${message.index}`,
          );
        }
        // Both sets are kept small (BEP 6 suggests an allowed fast set of 10); past the cap, hints are ignored.
        if (message.type === "allowed_fast" && this.allowedFast.size < 256) {
          this.allowedFast.add(message.index);
        } else if (message.type === "suggest" && this.suggested.size < 32) {
          this.suggested.add(message.index);
        }
        return;
    }
  }

  /** Sends `choke` (BEP 3) and drops the peer's queued requests. */
  choke(): void {
    if (this.amChoking || this.#closed) return;
    this.amChoking = true;
    this.#writer.choke();
    // BEP 6: choke first, then reject every queued request.
    this.#uploads.choked();
    this.#scheduleFlush();
  }

  /** Sends `unchoke` (BEP 3). */
  unchoke(): void {
    if (!this.amChoking || this.#closed) return;
    this.amChoking = false;
    this.#writer.unchoke();
    this.#scheduleFlush();
  }

  /** Sends `interested` or `not interested` when it changes (BEP 3). */
  setInterested(interested: boolean): void {
    if (this.amInterested === interested || this.#closed) return;
    this.amInterested = interested;
    if (interested) this.#writer.interested();
    else this.#writer.notInterested();
    this.#scheduleFlush();
  }

  /**
   * Sends what we have as the first message: with the fast extension have_all or have_none when they fit
   * (BEP 6), else the bitfield, skipped when we have nothing (BEP 3).
   */
  sendBitfield(bitfield: Bitfield): void {
    if (this.fast && bitfield.complete) this.#writer.haveAll();
    else if (this.fast && bitfield.count === 0) this.#writer.haveNone();
    else if (bitfield.count > 0) this.#writer.bitfield(bitfield.bytes);
    this.#scheduleFlush();
  }

  /** Rejects a request when the fast extension is on (BEP 6); without it, dropped requests go unanswered. */
  #reject(index: number, begin: number, length: number): void {
    if (this.fast && !this.#closed) this.#writer.reject(index, begin, length);
  }

  /** Sends an extended message (BEP 10): `id` 0 is the extension handshake. */
  sendExtended(id: number, payload: Uint8Array): void {
    if (this.#closed) return;
    this.#writer.extended(id, payload);
    this.#scheduleFlush();
  }

  /** Sends `have` (BEP 3), with the next message or at most {@linkcode HAVE_DELAY_MS} later. */
  sendHave(index: number): void {
    if (this.#closed) return;
    this.#writer.have(index);
    this.#lazyFlush ??= setTimeout(() => {
      this.#lazyFlush = undefined;
      this.#scheduleFlush();
    }, HAVE_DELAY_MS);
  }

  /** Sends `request` (BEP 3). */
  sendRequest(index: number, begin: number, length: number): void {
    this.#writer.request(index, begin, length);
    this.#scheduleFlush();
  }

  /** Sends BEP 52 `hashes`: the request's fields and the hashes with their proof (`32 * n` bytes). */
  sendHashes(ref: HashRequestRef, hashes: Uint8Array): void {
    if (this.#closed) return;
    this.#writer.hashes(ref, hashes);
    this.#scheduleFlush();
  }

  /** Sends BEP 52 `hash reject` for a hash request we will not serve. */
  sendHashReject(ref: HashRequestRef): void {
    if (this.#closed) return;
    this.#writer.hashReject(ref);
    this.#scheduleFlush();
  }

  /** Sends BEP 52 `hash request`. */
  sendHashRequest(ref: HashRequestRef): void {
    if (this.#closed) return;
    this.#writer.hashRequest(ref);
    this.#scheduleFlush();
  }

  /** Sends `cancel` (BEP 3) for a block requested earlier. */
  sendCancel(index: number, begin: number, length: number): void {
    if (this.#closed) return;
    this.#writer.cancel(index, begin, length);
    this.#scheduleFlush();
  }

  /**
   * Periodic housekeeping at monotonic time `now` (ms): keep-alives and the peer timeout.
   * @param outstanding Blocks requested from this peer and not yet received.
   * @returns `"request_timeout"` when requests have waited too long for a block, else `null`.
   */
  tick(now: number, outstanding: number): "request_timeout" | null {
    if (this.#closed) return null;
    if (now - this.lastReceived > PEER_TIMEOUT_SECONDS * 1000) {
      this.close("peer timed out");
      return null;
    }
    if (now - this.#lastSent > KEEP_ALIVE_SECONDS * 1000) {
      this.#writer.keepAlive();
      this.#scheduleFlush();
    }
    if (outstanding > 0 && now - this.lastBlock > REQUEST_TIMEOUT_SECONDS * 1000) {
      this.lastBlock = now;
      return "request_timeout";
    }
    return null;
  }

  /** Closes the connection; the delegate hears of it once. */
  close(reason: string, error?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#lazyFlush);
    this.#uploads.clear();
    try {
      this.#transport.close();
    } catch {
      // Already closed by the other side.
    }
    this.#delegate.peerClosed(this, reason, error);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#flushing || this.#closed) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (!this.#closed && this.#writer.length > 0) {
        const bytes = this.#writer.take();
        await writeAll(this.#transport, bytes);
        this.#lastSent = performance.now();
        this.#uploads.serve();
      }
    } catch (error) {
      this.close("write failed", error);
    } finally {
      this.#flushing = false;
    }
  }
}
