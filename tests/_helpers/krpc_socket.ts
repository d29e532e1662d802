/**
 * A raw UDP socket on 127.0.0.1 that speaks KRPC (BEP 5) by hand, for hostile DHT tests: it sends any bytes and
 * records every datagram that comes back, and can play a minimal DHT node that answers queries with a handler.
 *
 * @module
 */

import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { decodeKrpc, type KrpcMessage, type KrpcQuery } from "../../engine/dht/mod.ts";
import { delay } from "./hostile_session.ts";

/** One datagram received, decoded when it is KRPC. */
export interface Received {
  /** The raw bytes. */
  bytes: Uint8Array;
  /** The decoded message, or `undefined` when it did not decode. */
  message: KrpcMessage | undefined;
  /** Sender. */
  from: { host: string; port: number };
}

/** Answers a query (return the bytes of the reply) or stays silent (`undefined`). */
export type QueryHandler = (query: KrpcQuery, from: { host: string; port: number }) => Uint8Array | undefined;

/** A bound UDP socket on 127.0.0.1. */
export class KrpcSocket {
  /** Every datagram received that is not a query (replies, errors, garbage), oldest first. */
  readonly received: Received[] = [];
  /** Every query received (e.g. a node checking us with a ping), oldest first. */
  readonly queries: Received[] = [];
  readonly #socket: Socket;
  readonly #onQuery: QueryHandler | undefined;
  #closed = false;

  private constructor(socket: Socket, onQuery: QueryHandler | undefined) {
    this.#socket = socket;
    this.#onQuery = onQuery;
    socket.on("error", () => {});
    socket.on("message", (bytes: Uint8Array, rinfo: RemoteInfo) => this.#receive(bytes, rinfo));
  }

  /** Binds a socket on 127.0.0.1 (port 0); with `onQuery`, it answers queries it receives. */
  static async open(onQuery?: QueryHandler): Promise<KrpcSocket> {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, "127.0.0.1", () => resolve());
    });
    return new KrpcSocket(socket, onQuery);
  }

  /** The bound port. */
  get port(): number {
    return this.#socket.address().port;
  }

  /** Sends one datagram to 127.0.0.1:`port` and resolves when the kernel took it. */
  send(bytes: Uint8Array, port: number): Promise<void> {
    return new Promise((resolve) => this.#socket.send(bytes, port, "127.0.0.1", () => resolve()));
  }

  /**
   * Sends `bytes` and waits for the next datagram that is not a query.
   * @throws {Error} When nothing arrives within `timeoutMs`.
   */
  async ask(bytes: Uint8Array, port: number, timeoutMs = 2_000): Promise<Received> {
    const before = this.received.length;
    await this.send(bytes, port);
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === before) {
      if (Date.now() > deadline) throw new Error(`No reply within ${timeoutMs} ms`);
      await delay(5);
    }
    return this.received[before];
  }

  /** Sends `bytes`, waits `ms`, and returns how many datagrams that are not queries came back meanwhile. */
  async repliesTo(bytes: Uint8Array, port: number, ms = 300): Promise<number> {
    const before = this.received.length;
    await this.send(bytes, port);
    await delay(ms);
    return this.received.length - before;
  }

  /** Closes the socket. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  /** `await using socket = await KrpcSocket.open()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #receive(raw: Uint8Array, rinfo: RemoteInfo): void {
    const bytes = Uint8Array.from(raw);
    let message: KrpcMessage | undefined;
    try {
      message = decodeKrpc(bytes);
    } catch {
      message = undefined;
    }
    const from = { host: rinfo.address, port: rinfo.port };
    if (message?.y !== "q") {
      this.received.push({ bytes, message, from });
      return;
    }
    this.queries.push({ bytes, message, from });
    const reply = this.#closed ? undefined : this.#onQuery?.(message, from);
    if (reply !== undefined) this.#socket.send(reply, from.port, from.host);
  }
}
