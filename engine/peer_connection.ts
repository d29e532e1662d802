/**
 * One peer: the BEP 3 peer wire state machine over an injected byte transport. It never opens sockets itself;
 * TCP (and, later, in-memory pipes or uTP) plug in through {@linkcode ByteTransport}.
 *
 * @module
 */

import { PeerProtocolError } from "./errors.ts";
import { Bitfield } from "./picker/bitfield.ts";
import { RateMeter } from "./rate_meter.ts";
import {
  checkBitfield,
  type Handshake,
  HANDSHAKE_LENGTH,
  MessageWriter,
  type WireDecoder,
  type WireMessage,
} from "./wire/mod.ts";

/** Largest block a peer may request or send (BEP 3 practice; DESIGN.md section 8). */
export const MAX_BLOCK_LENGTH = 16 * 1024;
/** Incoming request queue cap per peer (DESIGN.md section 8). */
export const MAX_REQUEST_QUEUE = 2000;
/** Invalid requests tolerated from one peer before it is dropped (DESIGN.md section 8). */
export const MAX_INVALID_REQUESTS = 300;
/** Outgoing bytes buffered per peer above which uploads wait (HOSTILE_INPUTS.md case 70). */
export const SEND_BUFFER_WATERMARK = 512 * 1024;
/** Seconds without any byte from a peer before it is dropped (DESIGN.md section 8: peer timeout). */
export const PEER_TIMEOUT_SECONDS = 120;
/** Seconds without a block while requests are outstanding before they are given back (request timeout). */
export const REQUEST_TIMEOUT_SECONDS = 60;
/** Seconds between keep-alives we send when otherwise idle (BEP 3: about two minutes). */
export const KEEP_ALIVE_SECONDS = 90;

/** A reliable, ordered byte stream to one peer (a TCP connection in production). */
export interface ByteTransport {
  /** Reads into `buffer`; resolves to the byte count, or `null` at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `data`; resolves to the count written. */
  write(data: Uint8Array): Promise<number>;
  /** Closes the stream; pending reads end. */
  close(): void;
}

/** The torrent side of a connection: what the wire state machine reports upward. */
export interface PeerDelegate {
  /** The peer's bitfield or `have` changed availability: `index` is a piece, or -1 for a whole bitfield. */
  peerHas(peer: PeerConnection, index: number): void;
  /** The peer choked us: our outstanding requests to it are void. */
  peerChoked(peer: PeerConnection): void;
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
}

interface QueuedRequest {
  index: number;
  begin: number;
  length: number;
}

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

  #transport: ByteTransport;
  #decoder: WireDecoder;
  #delegate: PeerDelegate;
  #writer = new MessageWriter(4096);
  #flushing = false;
  #flushScheduled = false;
  #lastSent = performance.now();
  #closed = false;
  #sawBitfield = false;
  #invalidRequests = 0;
  #uploadQueue: QueuedRequest[] = [];
  #uploadsReading = 0;
  // A peer we never unchoked has no requests in flight to excuse: the 2 s grace starts at a choke.
  #chokedAt = -Infinity;

  constructor(options: PeerConnectionOptions) {
    this.key = options.key;
    this.name = options.name;
    this.incoming = options.incoming;
    this.peerId = options.handshake.peerId.slice();
    this.bitfield = new Bitfield(options.pieceCount);
    this.#transport = options.transport;
    this.#decoder = options.decoder;
    this.#delegate = options.delegate;
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
    return this.#uploadQueue.length + this.#uploadsReading;
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
      case "bitfield": {
        // BEP 3 sends the bitfield only as the first message, but aria2 sends it after its first requests and
        // sometimes twice. Like libtorrent we accept it anywhere; a peer never loses pieces, so a later bitfield
        // is merged as a batch of haves and availability stays consistent. A wrong size still drops the peer.
        const bitfield = checkBitfield(message.bitfield, this.bitfield.size);
        const first = !this.#sawBitfield && this.bitfield.count === 0;
        this.#sawBitfield = true;
        if (first) {
          for (const index of bitfield.indices()) this.bitfield.set(index);
          this.#delegate.peerHas(this, -1);
        } else {
          for (const index of bitfield.indices()) {
            if (this.bitfield.set(index)) this.#delegate.peerHas(this, index);
          }
        }
        return;
      }
      case "request":
        this.#onRequest(message.index, message.begin, message.length);
        return;
      case "cancel":
        this.#onCancel(message.index, message.begin, message.length);
        return;
      case "piece":
        this.lastBlock = performance.now();
        this.download.add(message.block.length, this.lastBlock);
        this.#delegate.blockReceived(this, message.index, message.begin, message.block);
        return;
      case "port":
        return;
      default:
        // Fast-extension and extension-protocol messages are only valid when both sides set the reserved bits
        // (BEP 6, BEP 10); ccbt does not set them yet, so a peer sending them breaks the protocol.
        throw new PeerProtocolError("unexpected_message", `Peer sent ${message.type} without negotiating it`);
    }
  }

  #onRequest(index: number, begin: number, length: number): void {
    if (this.amChoking) {
      // BEP 3: requests from a choked peer are dropped; a few arrive legitimately right after a choke.
      if (performance.now() - this.#chokedAt > 2000) this.#invalidRequest("request while choked");
      return;
    }
    const valid = index < this.bitfield.size && this.#delegate.havePiece(index) && length > 0 &&
      length <= MAX_BLOCK_LENGTH && begin + length <= this.#delegate.pieceSize(index);
    if (!valid) {
      this.#invalidRequest(`invalid request ${index}:${begin}+${length}`);
      return;
    }
    if (this.#uploadQueue.length >= MAX_REQUEST_QUEUE) {
      this.#invalidRequest("request queue full");
      return;
    }
    this.#uploadQueue.push({ index, begin, length });
    this.#serveUploads();
  }

  #invalidRequest(what: string): void {
    if (++this.#invalidRequests > MAX_INVALID_REQUESTS) {
      throw new PeerProtocolError(
        "too_many_invalid_requests",
        `Peer sent too many invalid requests: last ${what}`,
      );
    }
  }

  #onCancel(index: number, begin: number, length: number): void {
    const i = this.#uploadQueue.findIndex((r) =>
      r.index === index && r.begin === begin && r.length === length
    );
    if (i >= 0) this.#uploadQueue.splice(i, 1);
  }

  #serveUploads(): void {
    while (
      !this.#closed && !this.amChoking && this.#uploadQueue.length > 0 && this.#uploadsReading < 8 &&
      this.#writer.length < SEND_BUFFER_WATERMARK
    ) {
      const request = this.#uploadQueue.shift()!;
      this.#uploadsReading++;
      this.#delegate.readBlock(this, request.index, request.begin, request.length).then((block) => {
        this.#uploadsReading--;
        if (this.#closed || this.amChoking) return;
        if (block === null) return;
        this.#writer.piece(request.index, request.begin, block);
        this.upload.add(block.length, performance.now());
        this.#scheduleFlush();
        this.#serveUploads();
      }, (error) => {
        this.#uploadsReading--;
        this.close("read failed", error);
      });
    }
  }

  /** Sends `choke` (BEP 3) and drops the peer's queued requests. */
  choke(): void {
    if (this.amChoking || this.#closed) return;
    this.amChoking = true;
    this.#chokedAt = performance.now();
    this.#uploadQueue.length = 0;
    this.#writer.choke();
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

  /** Sends our bitfield; only valid as the first message (BEP 3). Skipped when we have nothing. */
  sendBitfield(bitfield: Bitfield): void {
    if (bitfield.count > 0) this.#writer.bitfield(bitfield.bytes);
    this.#scheduleFlush();
  }

  /** Sends `have` (BEP 3). */
  sendHave(index: number): void {
    if (this.#closed) return;
    this.#writer.have(index);
    this.#scheduleFlush();
  }

  /** Sends `request` (BEP 3). */
  sendRequest(index: number, begin: number, length: number): void {
    this.#writer.request(index, begin, length);
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
    this.#uploadQueue.length = 0;
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
        if (this.#uploadQueue.length > 0) this.#serveUploads();
      }
    } catch (error) {
      this.close("write failed", error);
    } finally {
      this.#flushing = false;
    }
  }
}

/** Writes every byte of `data` to `transport`. */
export async function writeAll(transport: ByteTransport, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await transport.write(data.subarray(offset));
}

/**
 * Reads the peer's 68-byte handshake (BEP 3) through `decoder`, waiting at most `timeoutMs`.
 * @throws {PeerProtocolError} `bad_handshake` for a malformed handshake, `handshake_timeout`, or
 *   `connection_closed` when the stream ends first.
 */
export async function readHandshake(
  transport: ByteTransport,
  decoder: WireDecoder,
  timeoutMs: number,
): Promise<Handshake> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      transport.close();
      reject(new PeerProtocolError("handshake_timeout", `Peer sent no handshake within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const read = (async () => {
    while (true) {
      const handshake = decoder.nextHandshake();
      if (handshake !== null) return handshake;
      const n = await transport.read(decoder.writable());
      if (n === null) {
        throw new PeerProtocolError(
          "connection_closed",
          `Peer closed the connection after ${decoder.buffered} of ${HANDSHAKE_LENGTH} handshake bytes`,
        );
      }
      decoder.commit(n);
    }
  })();
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
    read.catch(() => {});
  }
}
