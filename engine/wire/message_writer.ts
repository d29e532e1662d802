/**
 * The send side of the peer wire: encoders that append to one growable buffer, so that a tick's worth of small
 * messages (requests, haves, cancels) goes out in one socket write (DESIGN.md section 3).
 *
 * @module
 */

import { type Handshake, HANDSHAKE_LENGTH, writeHandshake } from "./handshake.ts";
import {
  HASH_LENGTH,
  type HashRequestRef,
  MessageId,
  PIECES_ROOT_LENGTH,
  type WireMessage,
} from "./wire_message.ts";

const UINT32_MAX = 0xffff_ffff;

/**
 * A growable outgoing buffer of encoded peer wire messages (BEP 3, 5, 6, 10, 52). The connection appends
 * messages during a tick and flushes them with one write: either {@linkcode MessageWriter.take} (a fresh
 * buffer) or {@linkcode MessageWriter.pending} + {@linkcode MessageWriter.consume} (no copy, handles partial
 * socket writes).
 *
 * @example Coalesce two requests into one write
 * ```ts
 * import assert from "node:assert/strict";
 * import { MessageWriter } from "./message_writer.ts";
 * const w = new MessageWriter();
 * w.request(0, 0, 16384);
 * w.request(0, 16384, 16384);
 * assert.equal(w.length, 34);
 * const bytes = w.take();
 * assert.deepEqual([...bytes.subarray(0, 5)], [0, 0, 0, 13, 6]);
 * assert.equal(w.length, 0);
 * ```
 */
export class MessageWriter {
  #buf: Uint8Array;
  #view: DataView;
  #start = 0;
  #end = 0;

  /**
   * Creates an empty writer.
   *
   * @param initialSize Initial buffer size in bytes (default 16 KiB); the buffer doubles as needed.
   * @throws {RangeError} When `initialSize` is not a positive integer.
   */
  constructor(initialSize = 16 * 1024) {
    if (!Number.isInteger(initialSize) || initialSize < 1) {
      throw new RangeError(
        `Cannot create message writer: initial size ${initialSize} is not a positive integer`,
      );
    }
    this.#buf = new Uint8Array(initialSize);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Bytes pending (encoded and not yet taken or consumed). */
  get length(): number {
    return this.#end - this.#start;
  }

  /** The pending bytes as a view, valid until the next append, `take()` or `consume()`. */
  get pending(): Uint8Array {
    return this.#buf.subarray(this.#start, this.#end);
  }

  /**
   * Drops the first `n` pending bytes, e.g. after a socket write of `pending` wrote `n` bytes.
   *
   * @throws {RangeError} When `n` is negative or more than `length`.
   */
  consume(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.length) {
      throw new RangeError(`Cannot consume ${n} bytes: ${this.length} pending`);
    }
    this.#start += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  /** Returns the pending bytes as a new `Uint8Array` and empties the writer. */
  take(): Uint8Array {
    const out = this.#buf.slice(this.#start, this.#end);
    this.#start = this.#end = 0;
    return out;
  }

  /** Appends a BEP 3 handshake (68 bytes). @throws {RangeError} When a field has the wrong length. */
  handshake(h: Handshake): void {
    const at = this.#reserve(HANDSHAKE_LENGTH);
    writeHandshake(this.#buf, at, h);
    this.#end += HANDSHAKE_LENGTH;
  }

  /** Appends a keep-alive (a zero length prefix). */
  keepAlive(): void {
    this.#header(0, -1);
  }

  /** Appends `choke`. */
  choke(): void {
    this.#header(1, MessageId.choke);
  }

  /** Appends `unchoke`. */
  unchoke(): void {
    this.#header(1, MessageId.unchoke);
  }

  /** Appends `interested`. */
  interested(): void {
    this.#header(1, MessageId.interested);
  }

  /** Appends `not interested`. */
  notInterested(): void {
    this.#header(1, MessageId.not_interested);
  }

  /** Appends `have` for piece `index`. @throws {RangeError} When `index` is not a uint32. */
  have(index: number): void {
    this.#indexMessage(MessageId.have, index);
  }

  /** Appends `bitfield` with the given wire bytes (high bit of byte 0 = piece 0, BEP 3). */
  bitfield(bytes: Uint8Array): void {
    this.#header(1 + bytes.length, MessageId.bitfield);
    this.#bytes(bytes);
  }

  /** Appends `request` for `length` bytes at `begin` in piece `index`. @throws {RangeError} On a non-uint32. */
  request(index: number, begin: number, length: number): void {
    this.#blockMessage(MessageId.request, index, begin, length);
  }

  /** Appends `piece` carrying `block` (copied) at `begin` in piece `index`. @throws {RangeError} On a non-uint32. */
  piece(index: number, begin: number, block: Uint8Array): void {
    checkU32(index);
    checkU32(begin);
    this.#header(9 + block.length, MessageId.piece);
    this.#u32(index);
    this.#u32(begin);
    this.#bytes(block);
  }

  /** Appends `cancel` for a request sent earlier. @throws {RangeError} On a non-uint32. */
  cancel(index: number, begin: number, length: number): void {
    this.#blockMessage(MessageId.cancel, index, begin, length);
  }

  /** Appends BEP 6 `reject` for a request received. @throws {RangeError} On a non-uint32. */
  reject(index: number, begin: number, length: number): void {
    this.#blockMessage(MessageId.reject, index, begin, length);
  }

  /** Appends BEP 5 `port` with our DHT UDP port. @throws {RangeError} When `port` is not in 0..65535. */
  port(port: number): void {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new RangeError(`Cannot encode port message: port ${port} is outside 0..65535`);
    }
    this.#header(3, MessageId.port);
    this.#view.setUint16(this.#end, port);
    this.#end += 2;
  }

  /** Appends BEP 6 `have all`. */
  haveAll(): void {
    this.#header(1, MessageId.have_all);
  }

  /** Appends BEP 6 `have none`. */
  haveNone(): void {
    this.#header(1, MessageId.have_none);
  }

  /** Appends BEP 6 `suggest piece`. @throws {RangeError} When `index` is not a uint32. */
  suggest(index: number): void {
    this.#indexMessage(MessageId.suggest, index);
  }

  /** Appends BEP 6 `allowed fast`. @throws {RangeError} When `index` is not a uint32. */
  allowedFast(index: number): void {
    this.#indexMessage(MessageId.allowed_fast, index);
  }

  /**
   * Appends BEP 10 `extended`: message id 20, then the extended message id `id` (0 = extension handshake, else
   * the id the peer assigned in its handshake `m`), then `payload`.
   *
   * @throws {RangeError} When `id` is not in 0..255.
   */
  extended(id: number, payload: Uint8Array): void {
    if (!Number.isInteger(id) || id < 0 || id > 0xff) {
      throw new RangeError(`Cannot encode extended message: id ${id} is outside 0..255`);
    }
    this.#header(2 + payload.length, MessageId.extended);
    this.#buf[this.#end++] = id;
    this.#bytes(payload);
  }

  /** Appends BEP 52 `hash request`. @throws {RangeError} On a wrong-size root or a non-uint32 field. */
  hashRequest(ref: HashRequestRef): void {
    this.#hashMessage(MessageId.hash_request, ref, 0);
  }

  /**
   * Appends BEP 52 `hashes`: the request fields, then `hashes` (a multiple of 32 bytes).
   * @throws {RangeError} On a wrong-size root or hash list, or a non-uint32 field.
   */
  hashes(ref: HashRequestRef, hashes: Uint8Array): void {
    if (hashes.length % HASH_LENGTH !== 0) {
      throw new RangeError(`Cannot encode hashes message: ${hashes.length} bytes is not a multiple of 32`);
    }
    this.#hashMessage(MessageId.hashes, ref, hashes.length);
    this.#bytes(hashes);
  }

  /** Appends BEP 52 `hash reject`. @throws {RangeError} On a wrong-size root or a non-uint32 field. */
  hashReject(ref: HashRequestRef): void {
    this.#hashMessage(MessageId.hash_reject, ref, 0);
  }

  /**
   * Appends any {@linkcode WireMessage}.
   * @throws {RangeError} When a field is out of range for its wire encoding.
   */
  write(msg: WireMessage): void {
    switch (msg.type) {
      case "keep_alive":
        return this.keepAlive();
      case "choke":
        return this.choke();
      case "unchoke":
        return this.unchoke();
      case "interested":
        return this.interested();
      case "not_interested":
        return this.notInterested();
      case "have":
        return this.have(msg.index);
      case "bitfield":
        return this.bitfield(msg.bitfield);
      case "request":
        return this.request(msg.index, msg.begin, msg.length);
      case "piece":
        return this.piece(msg.index, msg.begin, msg.block);
      case "cancel":
        return this.cancel(msg.index, msg.begin, msg.length);
      case "port":
        return this.port(msg.port);
      case "suggest":
        return this.suggest(msg.index);
      case "have_all":
        return this.haveAll();
      case "have_none":
        return this.haveNone();
      case "reject":
        return this.reject(msg.index, msg.begin, msg.length);
      case "allowed_fast":
        return this.allowedFast(msg.index);
      case "extended":
        return this.extended(msg.id, msg.payload);
      case "hash_request":
        return this.hashRequest(msg);
      case "hashes":
        return this.hashes(msg, msg.hashes);
      case "hash_reject":
        return this.hashReject(msg);
    }
  }

  /** Makes room for `n` more bytes and returns the offset to write at. */
  #reserve(n: number): number {
    if (this.#end + n > this.#buf.length) {
      const live = this.#end - this.#start;
      if (this.#start > 0 && live + n <= this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        let size = this.#buf.length * 2;
        while (size < live + n) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
        this.#view = new DataView(grown.buffer);
      }
      this.#start = 0;
      this.#end = live;
    }
    return this.#end;
  }

  /** Reserves the whole message and writes its length prefix and id (`id` < 0: keep-alive, no id byte). */
  #header(length: number, id: number): void {
    if (length > UINT32_MAX) throw new RangeError(`Cannot encode message: length ${length} exceeds 2^32 - 1`);
    this.#reserve(4 + length);
    this.#view.setUint32(this.#end, length);
    this.#end += 4;
    if (id >= 0) this.#buf[this.#end++] = id;
  }

  /** Writes a uint32 already checked with {@linkcode checkU32}. */
  #u32(value: number): void {
    this.#view.setUint32(this.#end, value);
    this.#end += 4;
  }

  #bytes(bytes: Uint8Array): void {
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  #indexMessage(id: number, index: number): void {
    checkU32(index);
    this.#header(5, id);
    this.#u32(index);
  }

  #blockMessage(id: number, index: number, begin: number, length: number): void {
    checkU32(index);
    checkU32(begin);
    checkU32(length);
    this.#header(13, id);
    this.#u32(index);
    this.#u32(begin);
    this.#u32(length);
  }

  #hashMessage(id: number, ref: HashRequestRef, extra: number): void {
    if (ref.piecesRoot.length !== PIECES_ROOT_LENGTH) {
      throw new RangeError(
        `Cannot encode hash message: pieces root must be 32 bytes, got ${ref.piecesRoot.length}`,
      );
    }
    checkU32(ref.baseLayer);
    checkU32(ref.index);
    checkU32(ref.length);
    checkU32(ref.proofLayers);
    this.#header(1 + PIECES_ROOT_LENGTH + 16 + extra, id);
    this.#bytes(ref.piecesRoot);
    this.#u32(ref.baseLayer);
    this.#u32(ref.index);
    this.#u32(ref.length);
    this.#u32(ref.proofLayers);
  }
}

/** Fields are validated before anything is appended, so a throw never leaves half a message in the buffer. */
function checkU32(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw new RangeError(`Cannot encode message: ${value} is not a 32-bit unsigned integer`);
  }
}
