/**
 * The receive side of the peer wire, built for the hot path (DESIGN.md section 3): the connection reads the
 * socket straight into the decoder's buffer and pulls messages parsed in place, with block payloads handed out
 * as views (no copy).
 *
 * @module
 */

import { PeerProtocolError } from "../errors.ts";
import { checkHandshakePrefix, type Handshake, HANDSHAKE_LENGTH } from "./handshake.ts";
import { uncleCount } from "../merkle/mod.ts";
import {
  HASH_LENGTH,
  MAX_HASH_REQUEST_LENGTH,
  MAX_HASHES_PER_MESSAGE,
  MessageId,
  PIECES_ROOT_LENGTH,
  type WireMessage,
} from "./wire_message.ts";

/** Default size of the receive buffer in bytes. */
export const DEFAULT_BUFFER_SIZE = 512 * 1024;
/** Default largest accepted length prefix in bytes (DESIGN.md section 8: > 1 MiB drops the peer). */
export const DEFAULT_MAX_MESSAGE_LENGTH = 1024 * 1024;
/** Default hard cap of the receive buffer in bytes (HOSTILE_INPUTS.md case 70). */
export const DEFAULT_MAX_BUFFER_SIZE = 2 * 1024 * 1024;

/** Options of {@linkcode WireDecoder}; sizes in bytes. */
export interface WireDecoderOptions {
  /** Initial (and resting) receive buffer size; default 512 KiB, at least 68. */
  bufferSize?: number;
  /** Largest accepted length prefix (message id + payload); default 1 MiB. */
  maxMessageLength?: number;
  /** Hard cap of the receive buffer; default 2 MiB; must hold `maxMessageLength + 4`. */
  maxBufferSize?: number;
}

/** Smallest and largest length prefix per message id; `MIN_LENGTH[id] === 0` marks an unknown id. */
const MIN_LENGTH = new Uint32Array(256);
const MAX_LENGTH = new Uint32Array(256);
const ANY = 0xffff_ffff;
const HASH_HEADER_LENGTH = 1 + PIECES_ROOT_LENGTH + 16;
for (
  const [id, min, max] of [
    [MessageId.choke, 1, 1],
    [MessageId.unchoke, 1, 1],
    [MessageId.interested, 1, 1],
    [MessageId.not_interested, 1, 1],
    [MessageId.have, 5, 5],
    [MessageId.bitfield, 1, ANY],
    [MessageId.request, 13, 13],
    [MessageId.piece, 9, ANY],
    [MessageId.cancel, 13, 13],
    [MessageId.port, 3, 3],
    [MessageId.suggest, 5, 5],
    [MessageId.have_all, 1, 1],
    [MessageId.have_none, 1, 1],
    [MessageId.reject, 13, 13],
    [MessageId.allowed_fast, 5, 5],
    [MessageId.extended, 2, ANY],
    [MessageId.hash_request, HASH_HEADER_LENGTH, HASH_HEADER_LENGTH],
    [
      MessageId.hashes,
      HASH_HEADER_LENGTH + 2 * HASH_LENGTH,
      HASH_HEADER_LENGTH + MAX_HASHES_PER_MESSAGE * HASH_LENGTH,
    ],
    [MessageId.hash_reject, HASH_HEADER_LENGTH, HASH_HEADER_LENGTH],
  ]
) {
  MIN_LENGTH[id] = min;
  MAX_LENGTH[id] = max;
}

const NAMES: string[] = [];
for (const [name, id] of Object.entries(MessageId)) NAMES[id] = name;

const KEEP_ALIVE: WireMessage = Object.freeze({ type: "keep_alive" });
const CHOKE: WireMessage = Object.freeze({ type: "choke" });
const UNCHOKE: WireMessage = Object.freeze({ type: "unchoke" });
const INTERESTED: WireMessage = Object.freeze({ type: "interested" });
const NOT_INTERESTED: WireMessage = Object.freeze({ type: "not_interested" });
const HAVE_ALL: WireMessage = Object.freeze({ type: "have_all" });
const HAVE_NONE: WireMessage = Object.freeze({ type: "have_none" });

/**
 * Incremental peer wire decoder (BEP 3, 5, 6, 10, 52) over one reusable buffer.
 *
 * Framing only: it checks each message's length against its id, and leaves checks that need the torrent
 * (piece index in range, bitfield size, request bounds, whether BEP 6 was negotiated) to the connection.
 *
 * Unknown message ids throw `unknown_message`. BEP 3 defines no rule for them; every later message is
 * negotiated (reserved bits, BEP 10 ids inside message 20), so a peer that sends an id neither side announced
 * is broken or hostile, and libtorrent disconnects too (HOSTILE_INPUTS.md case 36). The known ids are 0-9,
 * 13-17 (BEP 6), 20 (BEP 10) and 21-23 (BEP 52).
 *
 * Byte fields of returned messages are views into the buffer, valid until the next `writable()` or `push()`.
 * The buffer grows only when one message of at most `maxMessageLength` needs it, never past `maxBufferSize`,
 * and shrinks back to `bufferSize` afterwards.
 *
 * @example Read from a socket (sketch)
 * ```ts ignore
 * const decoder = new WireDecoder();
 * while (true) {
 *   const n = await conn.read(decoder.writable());
 *   if (n === null) break;
 *   decoder.commit(n);
 *   for (let m = decoder.next(); m !== null; m = decoder.next()) handle(m);
 * }
 * ```
 *
 * @example Decode pushed bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { WireDecoder } from "./wire_decoder.ts";
 * const decoder = new WireDecoder();
 * decoder.push(Uint8Array.of(0, 0, 0, 5, 4, 0, 0, 0, 7, 0, 0, 0));
 * assert.deepEqual(decoder.next(), { type: "have", index: 7 });
 * assert.equal(decoder.next(), null);
 * assert.equal(decoder.buffered, 3);
 * ```
 */
export class WireDecoder {
  #initialSize: number;
  #maxMessageLength: number;
  #maxBufferSize: number;
  #buf: Uint8Array;
  #view: DataView;
  /** Offset of the first unconsumed byte. */
  #start = 0;
  /** Offset after the last buffered byte. */
  #end = 0;
  /** Offset of the region last returned by writable(), or -1 when none is outstanding. */
  #region = -1;
  /** Pushed bytes that did not fit in the buffer yet. */
  #queue: Uint8Array[] = [];
  #queued = 0;

  /**
   * Creates a decoder with an empty buffer of `bufferSize` bytes.
   *
   * @param options Buffer sizes and the message length cap, in bytes.
   * @throws {RangeError} When a size is not a positive integer, `bufferSize` < 68, or `maxBufferSize` is smaller
   *   than `bufferSize` or `maxMessageLength + 4`.
   */
  constructor(options: WireDecoderOptions = {}) {
    const {
      bufferSize = DEFAULT_BUFFER_SIZE,
      maxMessageLength = DEFAULT_MAX_MESSAGE_LENGTH,
      maxBufferSize = Math.max(DEFAULT_MAX_BUFFER_SIZE, bufferSize, maxMessageLength + 4),
    } = options;
    for (
      const [name, value] of [["bufferSize", bufferSize], ["maxMessageLength", maxMessageLength]] as const
    ) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`Cannot create wire decoder: ${name} ${value} is not a positive integer`);
      }
    }
    if (bufferSize < HANDSHAKE_LENGTH) {
      throw new RangeError(
        `Cannot create wire decoder: bufferSize ${bufferSize} is below ${HANDSHAKE_LENGTH}`,
      );
    }
    if (!Number.isSafeInteger(maxBufferSize) || maxBufferSize < Math.max(bufferSize, maxMessageLength + 4)) {
      throw new RangeError(
        `Cannot create wire decoder: maxBufferSize ${maxBufferSize} must hold bufferSize and maxMessageLength + 4`,
      );
    }
    this.#initialSize = bufferSize;
    this.#maxMessageLength = maxMessageLength;
    this.#maxBufferSize = maxBufferSize;
    this.#buf = new Uint8Array(bufferSize);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Bytes buffered (read or pushed) and not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start + this.#queued;
  }

  /** Current size of the receive buffer in bytes (between `bufferSize` and `maxBufferSize`). */
  get capacity(): number {
    return this.#buf.length;
  }

  /**
   * A region to read the socket into (`conn.read(decoder.writable())`), then report the count with `commit()`.
   * Compacts consumed bytes first when worthwhile (amortised O(1) per byte), and grows the buffer only when the
   * pending message needs it. Invalidates views handed out by `next()`.
   *
   * @returns A non-empty view of the free tail of the buffer.
   * @throws {RangeError} When the buffer is full because messages were not drained with `next()` first, or when
   *   pushed bytes are still queued.
   */
  writable(): Uint8Array {
    if (this.#queued > 0) {
      throw new RangeError("Cannot read into the wire decoder: pushed bytes are queued; call next() first");
    }
    this.#compact(1);
    if (this.#end === this.#buf.length) {
      throw new RangeError(
        "Cannot read into the wire decoder: buffer is full; call next() until it returns null",
      );
    }
    this.#region = this.#end;
    return this.#buf.subarray(this.#end);
  }

  /**
   * Records that `n` bytes were written at the start of the region last returned by `writable()`.
   *
   * @throws {RangeError} When no region is outstanding or `n` is not in 0..region length.
   */
  commit(n: number): void {
    if (this.#region !== this.#end || !Number.isInteger(n) || n < 0 || n > this.#buf.length - this.#end) {
      throw new RangeError(`Cannot commit ${n} bytes: not within the region last returned by writable()`);
    }
    this.#end += n;
    this.#region = -1;
  }

  /**
   * Appends a copy of `chunk` (tests, in-memory pipes). Bytes that do not fit in the buffer are queued and moved
   * in by `next()` as messages are consumed (into a fresh buffer, so views from earlier `next()` calls stay
   * valid), so any chunk size is accepted. Invalidates views handed out by `next()` before this call, and any
   * region from `writable()`.
   */
  push(chunk: Uint8Array): void {
    this.#region = -1;
    if (chunk.length === 0) return;
    if (this.#queued === 0) {
      if (this.#buf.length - this.#end < chunk.length) this.#compact(chunk.length);
      const n = Math.min(this.#buf.length - this.#end, chunk.length);
      this.#buf.set(n === chunk.length ? chunk : chunk.subarray(0, n), this.#end);
      this.#end += n;
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    this.#queue.push(chunk.slice());
    this.#queued += chunk.length;
  }

  /**
   * The 68-byte BEP 3 handshake, once buffered; call this (instead of `next()`) until it returns non-null. The
   * first 20 bytes are checked as they arrive, so a wrong protocol is refused early (HOSTILE_INPUTS.md case 34).
   *
   * @returns The handshake (fields are copies), or `null` when more bytes are needed.
   * @throws {PeerProtocolError} `bad_handshake` when pstrlen is not 19 or the protocol string is wrong.
   */
  nextHandshake(): Handshake | null {
    for (;;) {
      const start = this.#start;
      const live = this.#end - start;
      checkHandshakePrefix(this.#buf, start, live);
      if (live >= HANDSHAKE_LENGTH) {
        this.#start = start + HANDSHAKE_LENGTH;
        return {
          reserved: this.#buf.slice(start + 20, start + 28),
          infoHash: this.#buf.slice(start + 28, start + 48),
          peerId: this.#buf.slice(start + 48, start + 68),
        };
      }
      if (this.#queued === 0) return null;
      this.#refill(HANDSHAKE_LENGTH);
    }
  }

  /**
   * The next complete message, parsed in place.
   *
   * @returns The message, or `null` when more bytes are needed.
   * @throws {PeerProtocolError} `packet_too_large` when a length prefix exceeds `maxMessageLength` (checked on
   *   the 4 prefix bytes, before anything is buffered for it); `unknown_message` for an id outside 0-9, 13-17,
   *   20-23; `invalid_message` when the length does not fit the id (e.g. have ≠ 5, request/cancel/reject ≠ 13,
   *   choke ≠ 1, piece < 9, port ≠ 3, extended < 2, hash request/reject ≠ 49, hashes not 49 + 32·n with
   *   2 <= n <= 576), checked as soon as the id arrives; `invalid_hashes` for a `hashes` message whose hash count
   *   does not answer its own fields (BEP 52: `length` a power of two from 2 to 512, then one uncle hash per
   *   proof layer past the first `log2(length) - 1`), checked once it is complete.
   */
  next(): WireMessage | null {
    for (;;) {
      const msg = this.#parse();
      if (msg !== null || this.#queued === 0) return msg;
      this.#refill(this.#needed());
    }
  }

  #parse(): WireMessage | null {
    const start = this.#start;
    const live = this.#end - start;
    if (live < 4) return null;
    const length = this.#view.getUint32(start);
    if (length === 0) {
      this.#start = start + 4;
      return KEEP_ALIVE;
    }
    if (length > this.#maxMessageLength) {
      throw new PeerProtocolError(
        "packet_too_large",
        `Cannot accept message: length prefix ${length} exceeds ${this.#maxMessageLength} bytes`,
      );
    }
    if (live < 5) return null;
    const buf = this.#buf;
    const id = buf[start + 4];
    checkLength(id, length);
    if (live < 4 + length) return null;
    this.#start = start + 4 + length;
    const view = this.#view;
    const p = start + 5;
    switch (id) {
      case MessageId.choke:
        return CHOKE;
      case MessageId.unchoke:
        return UNCHOKE;
      case MessageId.interested:
        return INTERESTED;
      case MessageId.not_interested:
        return NOT_INTERESTED;
      case MessageId.have:
        return { type: "have", index: view.getUint32(p) };
      case MessageId.bitfield:
        return { type: "bitfield", bitfield: buf.subarray(p, p + length - 1) };
      case MessageId.request:
        return {
          type: "request",
          index: view.getUint32(p),
          begin: view.getUint32(p + 4),
          length: view.getUint32(p + 8),
        };
      case MessageId.piece:
        return {
          type: "piece",
          index: view.getUint32(p),
          begin: view.getUint32(p + 4),
          block: buf.subarray(p + 8, p + length - 1),
        };
      case MessageId.cancel:
        return {
          type: "cancel",
          index: view.getUint32(p),
          begin: view.getUint32(p + 4),
          length: view.getUint32(p + 8),
        };
      case MessageId.port:
        return { type: "port", port: view.getUint16(p) };
      case MessageId.suggest:
        return { type: "suggest", index: view.getUint32(p) };
      case MessageId.have_all:
        return HAVE_ALL;
      case MessageId.have_none:
        return HAVE_NONE;
      case MessageId.reject:
        return {
          type: "reject",
          index: view.getUint32(p),
          begin: view.getUint32(p + 4),
          length: view.getUint32(p + 8),
        };
      case MessageId.allowed_fast:
        return { type: "allowed_fast", index: view.getUint32(p) };
      case MessageId.extended:
        return { type: "extended", id: buf[p], payload: buf.subarray(p + 1, p + length - 1) };
      default:
        return this.#hashMessage(id, p, length);
    }
  }

  /** Decodes a BEP 52 hash_request / hashes / hash_reject whose length was already checked. */
  #hashMessage(id: number, p: number, length: number): WireMessage {
    const view = this.#view;
    const q = p + PIECES_ROOT_LENGTH;
    const piecesRoot = this.#buf.subarray(p, q);
    const baseLayer = view.getUint32(q);
    const index = view.getUint32(q + 4);
    const count = view.getUint32(q + 8);
    const proofLayers = view.getUint32(q + 12);
    if (id === MessageId.hashes) {
      const hashes = this.#buf.subarray(q + 16, p + length - 1);
      checkHashCount(count, proofLayers, hashes.length / HASH_LENGTH);
      return { type: "hashes", piecesRoot, baseLayer, index, length: count, proofLayers, hashes };
    }
    const type = id === MessageId.hash_request ? "hash_request" : "hash_reject";
    return { type, piecesRoot, baseLayer, index, length: count, proofLayers };
  }

  /** Total bytes (prefix included) the message at `#start` needs, or 0 when its length prefix is invalid. */
  #needed(): number {
    if (this.#end - this.#start < 4) return 4;
    const length = this.#view.getUint32(this.#start);
    return length <= this.#maxMessageLength ? 4 + length : 0;
  }

  /**
   * Makes room for at least `room` bytes after `#end` when possible: grows to fit the pending message, shrinks
   * back after a large one, and moves unconsumed bytes to the front when at least half the buffer is consumed or
   * the tail is too short (so each byte is moved O(1) times on average, even for a 1-byte-per-read peer).
   */
  #compact(room: number): void {
    const live = this.#end - this.#start;
    if (live === 0) this.#start = this.#end = 0;
    const need = this.#needed();
    const size = this.#buf.length;
    if (need > size || (size > this.#initialSize && need <= this.#initialSize && live < this.#initialSize)) {
      this.#reallocate(
        Math.min(this.#maxBufferSize, Math.max(need, this.#initialSize, need > size ? size * 2 : 0)),
      );
    } else if (
      this.#start > 0 && (this.#start >= size >>> 1 || this.#start + need > size || this.#end + room > size)
    ) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#start = 0;
      this.#end = live;
    }
  }

  /** Moves the unconsumed bytes into a new buffer of `size` bytes (old views stay valid). */
  #reallocate(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(this.#start, this.#end));
    this.#end -= this.#start;
    this.#start = 0;
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /**
   * Moves queued pushed bytes into a fresh buffer big enough for `need` bytes (so views handed out by `next()`
   * earlier stay valid), filling it as far as the queue allows.
   */
  #refill(need: number): void {
    this.#reallocate(Math.min(this.#maxBufferSize, Math.max(this.#buf.length, need)));
    const buf = this.#buf;
    while (this.#queue.length > 0 && this.#end < buf.length) {
      const chunk = this.#queue[0];
      const n = Math.min(chunk.length, buf.length - this.#end);
      buf.set(chunk.subarray(0, n), this.#end);
      this.#end += n;
      this.#queued -= n;
      if (n === chunk.length) this.#queue.shift();
      else this.#queue[0] = chunk.subarray(n);
    }
  }
}

/**
 * @throws {PeerProtocolError} `unknown_message` for an unknown id, `invalid_message` for a length that does not
 *   fit the id.
 */
function checkLength(id: number, length: number): void {
  const min = MIN_LENGTH[id];
  if (min === 0) {
    throw new PeerProtocolError("unknown_message", `Cannot decode message: unknown message id ${id}`);
  }
  if (
    length < min || length > MAX_LENGTH[id] ||
    (id === MessageId.hashes && (length - HASH_HEADER_LENGTH) % HASH_LENGTH !== 0)
  ) {
    throw new PeerProtocolError(
      "invalid_message",
      `Cannot decode ${NAMES[id]} message: length ${length} is invalid for message id ${id}`,
    );
  }
}

/**
 * BEP 52: a `hashes` message carries `length` base hashes (a power of two from 2 to 512) and one uncle hash per
 * proof layer past the first `log2(length) - 1`; libtorrent drops a peer whose count differs (`invalid_hashes`).
 *
 * @throws {PeerProtocolError} `invalid_hashes` when `n` is not that count.
 */
function checkHashCount(length: number, proofLayers: number, n: number): void {
  const shaped = length >= 2 && length <= MAX_HASH_REQUEST_LENGTH && (length & (length - 1)) === 0 &&
    proofLayers <= MAX_HASHES_PER_MESSAGE;
  if (!shaped || n !== length + uncleCount({ length, proofLayers })) {
    throw new PeerProtocolError(
      "invalid_hashes",
      `Cannot decode hashes message: ${n} hashes do not answer a request for ${length} hashes with ${proofLayers} proof layers`,
    );
  }
}
