/**
 * A tiny raw-TCP BitTorrent peer driven message by message, for hostile-input tests: it sends exactly the bytes a
 * test gives it (malformed or not) and reads what the other side answers, with a timeout on every wait.
 *
 * @module
 */

import {
  encodeHandshake,
  encodeMessage,
  type Handshake,
  HANDSHAKE_LENGTH,
  makeReserved,
  WireDecoder,
  type WireMessage,
} from "../../engine/wire/mod.ts";

/** What {@linkcode ScriptedPeer.waitForClose} saw. */
export type CloseOutcome = "closed" | "timeout";

/** Options for {@linkcode ScriptedPeer.sendHandshake}. */
export interface ScriptedHandshake {
  /** 20-byte info-hash. */
  infoHash: Uint8Array;
  /** 20-byte peer id (default: `-SP0001-` and random bytes). */
  peerId?: Uint8Array;
  /** 8 reserved bytes (default: all zero, nothing negotiated). */
  reserved?: Uint8Array;
}

/** Makes a 20-byte peer id `-SP0001-` + 12 random bytes. */
export function scriptedPeerId(): Uint8Array {
  const id = new Uint8Array(20);
  id.set(new TextEncoder().encode("-SP0001-"));
  crypto.getRandomValues(id.subarray(8));
  return id;
}

/**
 * Races `promise` against a timer; on timeout calls `onTimeout` (which should cancel the work, e.g. close the
 * socket) and rejects. The timer is always cleared, so no op outlives the call.
 */
async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  onTimeout: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`Scripted peer timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
    promise.catch(() => {});
  }
}

/**
 * One scripted connection. Messages read are copies (safe to keep). Every wait takes a timeout in ms; a wait that
 * times out closes the socket so no read stays pending.
 *
 * @example Connect, handshake, and check the peer drops us after garbage
 * ```ts ignore
 * const peer = await ScriptedPeer.connect(session.listenPort);
 * await peer.sendHandshake({ infoHash });
 * await peer.readHandshake(2_000);
 * await peer.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
 * assert.equal(await peer.waitForClose(3_000), "closed");
 * ```
 */
export class ScriptedPeer {
  readonly #conn: Deno.TcpConn;
  readonly #decoder = new WireDecoder({ bufferSize: 64 * 1024, maxMessageLength: 2 * 1024 * 1024 });
  #closed = false;
  #eof = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects to `host:port` (default host 127.0.0.1). */
  static async connect(port: number, host = "127.0.0.1"): Promise<ScriptedPeer> {
    const conn = await Deno.connect({ hostname: host, port, transport: "tcp" });
    conn.setNoDelay(true);
    return new ScriptedPeer(conn);
  }

  /** Accepts one connection on `listener`, waiting at most `timeoutMs`. */
  static async accept(listener: Deno.TcpListener, timeoutMs: number): Promise<ScriptedPeer> {
    const conn = await withTimeout(listener.accept(), timeoutMs, "an incoming connection", () => {});
    conn.setNoDelay(true);
    return new ScriptedPeer(conn);
  }

  /** `host:port` of our end, as the other side names us in alerts. */
  get localName(): string {
    const addr = this.#conn.localAddr;
    return `${addr.hostname}:${addr.port}`;
  }

  /** Whether the other side closed the connection (EOF or reset) during a read. */
  get eof(): boolean {
    return this.#eof;
  }

  /** Sends raw bytes. Resolves `false` when the other side has already gone (write failed). */
  async send(bytes: Uint8Array): Promise<boolean> {
    try {
      let offset = 0;
      while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
      return true;
    } catch {
      return false;
    }
  }

  /** Sends well-formed messages, encoded with the engine's codec, in one write. */
  sendMessages(...messages: WireMessage[]): Promise<boolean> {
    const parts = messages.map((message) => encodeMessage(message));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      all.set(part, offset);
      offset += part.length;
    }
    return this.send(all);
  }

  /** Sends a BEP 3 handshake (nothing negotiated unless `reserved` says so). */
  sendHandshake(handshake: ScriptedHandshake): Promise<boolean> {
    return this.send(encodeHandshake({
      reserved: handshake.reserved ?? makeReserved({}),
      infoHash: handshake.infoHash,
      peerId: handshake.peerId ?? scriptedPeerId(),
    }));
  }

  /** Reads the other side's 68-byte handshake. */
  readHandshake(timeoutMs: number): Promise<Handshake> {
    return withTimeout(
      (async () => {
        while (true) {
          const handshake = this.#decoder.nextHandshake();
          if (handshake !== null) return handshake;
          if (!await this.#fill()) {
            throw new Error(
              `Peer closed after ${this.#decoder.buffered} of ${HANDSHAKE_LENGTH} handshake bytes`,
            );
          }
        }
      })(),
      timeoutMs,
      "a handshake",
      () => this.close(),
    );
  }

  /** The next message (keep-alives included), or `null` when the other side closed. */
  nextMessage(timeoutMs: number): Promise<WireMessage | null> {
    return withTimeout(this.#next(), timeoutMs, "a message", () => this.close());
  }

  /**
   * Reads messages until one satisfies `test` and returns it; messages before it are passed to `onOther` when
   * given.
   * @throws {Error} When the connection closes first or `timeoutMs` passes.
   */
  waitForMessage(
    test: (message: WireMessage) => boolean,
    timeoutMs: number,
    onOther?: (message: WireMessage) => void,
  ): Promise<WireMessage> {
    return withTimeout(
      (async () => {
        while (true) {
          const message = await this.#next();
          if (message === null) throw new Error("Peer closed the connection while we waited for a message");
          if (test(message)) return message;
          onOther?.(message);
        }
      })(),
      timeoutMs,
      "a matching message",
      () => this.close(),
    );
  }

  /**
   * Reads and discards everything until the other side closes the connection (`"closed"`), or `timeoutMs`
   * passes (`"timeout"`, and our side is closed). Never allocates per byte read.
   */
  async waitForClose(timeoutMs: number): Promise<CloseOutcome> {
    if (this.#eof) return "closed";
    const scratch = new Uint8Array(64 * 1024);
    try {
      return await withTimeout(
        (async (): Promise<CloseOutcome> => {
          while (true) {
            let n: number | null;
            try {
              n = await this.#conn.read(scratch);
            } catch (error) {
              if (this.#closed) throw error;
              n = null; // reset by peer
            }
            if (n === null) {
              this.#eof = true;
              return "closed";
            }
          }
        })(),
        timeoutMs,
        "the connection to close",
        () => this.close(),
      );
    } catch {
      return "timeout";
    }
  }

  /** Closes our end. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  /** `using peer = ...` closes it at scope exit. */
  [Symbol.dispose](): void {
    this.close();
  }

  async #next(): Promise<WireMessage | null> {
    while (true) {
      const message = this.#decoder.next();
      if (message !== null) return copyMessage(message);
      if (!await this.#fill()) return null;
    }
  }

  /** Reads once into the decoder; `false` at EOF or reset. */
  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    let n: number | null;
    try {
      n = await this.#conn.read(this.#decoder.writable());
    } catch (error) {
      if (this.#closed) throw error;
      n = null;
    }
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.#decoder.commit(n);
    return true;
  }
}

/** Copies the byte fields of a decoded message out of the decoder's buffer. */
function copyMessage(message: WireMessage): WireMessage {
  switch (message.type) {
    case "bitfield":
      return { ...message, bitfield: message.bitfield.slice() };
    case "piece":
      return { ...message, block: message.block.slice() };
    case "extended":
      return { ...message, payload: message.payload.slice() };
    case "hash_request":
    case "hash_reject":
      return { ...message, piecesRoot: message.piecesRoot.slice() };
    case "hashes":
      return { ...message, piecesRoot: message.piecesRoot.slice(), hashes: message.hashes.slice() };
    default:
      return message;
  }
}
