/**
 * The UDP tracker client (BEP 15): one socket per address family shared by every announce and scrape, connection
 * ids cached per tracker for their one-minute life, and retransmission after `base · 2^n`.
 *
 * @module
 */

import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { TrackerError } from "../errors.ts";
import { withDeadline } from "./_deadline.ts";
import { formatIp, parseIp } from "./_ip.ts";
import { checkAnnounceRequest } from "./_request.ts";
import {
  ACTION_SCRAPE,
  asScrapeError,
  checkScrapeHashes,
  parseUdpScrapeReply,
  scrapeBatches,
  type ScrapeCounts,
  udpScrapeRequest,
} from "./_scrape.ts";
import {
  ACTION_ANNOUNCE,
  ACTION_CONNECT,
  ACTION_ERROR,
  announceRequest,
  connectionIdOf,
  connectRequest,
  errorMessageOf,
  MIN_REPLY_LENGTH,
  parseUdpAnnounceReply,
  replyHeader,
} from "./_udp_packets.ts";
import type { AnnounceRequest, AnnounceResponse } from "./types.ts";

/** Options of {@link UdpTrackerClient}. */
export interface UdpTrackerClientOptions {
  /** Milliseconds before the first retransmission; the n-th waits `baseTimeout · 2^n`. Default 15,000 (BEP 15). */
  baseTimeout?: number;
  /** Largest n in `baseTimeout · 2^n` before the announce gives up. Default 8 (BEP 15). */
  maxRetransmits?: number;
  /** Milliseconds a connection id may be used after it was received. Default 60,000 (BEP 15). */
  connectionIdLifetime?: number;
}

/** Options of {@link UdpTrackerClient.announce} and {@link UdpTrackerClient.scrape}. */
export interface UdpAnnounceOptions {
  /** Aborts the announce; it then rejects with a {@link TrackerError} whose `cause` is the signal's reason. */
  signal?: AbortSignal;
  /**
   * Milliseconds for the whole announce or scrape, retransmissions included. Default 60,000; `Infinity` for none.
   */
  timeout?: number;
}

type Family = 4 | 6;

/** What a request is called in error messages. */
type Verb = "announce" | "scrape";

interface Endpoint {
  family: Family;
  /** Canonical address text (see `formatIp`). */
  address: string;
  port: number;
}

interface Pending extends Endpoint {
  /** The announce URL, for errors. */
  url: string;
  verb: Verb;
  action: number;
  settle: (packet: Uint8Array) => void;
  fail: (error: unknown) => void;
}

/**
 * A BEP 15 UDP tracker client. A session owns one and announces every torrent through it: it binds one socket
 * per address family (0.0.0.0 or `::`, port 0) on first use, and caches each tracker's connection id for 60 s.
 * Replies are matched by transaction id and must come from the tracker's address and port with the expected
 * action (or action 3, error); anything else, and any packet under 8 bytes or shorter than its action needs
 * (connect 16, announce 20, scrape 8), is ignored. Idle sockets do not keep the process alive.
 *
 * @example Announce, then close
 * ```ts ignore
 * await using client = new UdpTrackerClient();
 * const reply = await client.announce("udp://127.0.0.1:6969/announce", request);
 * ```
 */
export class UdpTrackerClient {
  readonly #baseTimeout: number;
  readonly #maxRetransmits: number;
  readonly #connectionIdLifetime: number;
  readonly #sockets = new Map<Family, Promise<dgram.Socket>>();
  readonly #pending = new Map<number, Pending>();
  readonly #connections = new Map<string, { id: Uint8Array; expires: number }>();
  #closed = false;

  /**
   * Makes a client; its socket opens on the first request.
   * @param options Retransmission base timeout (ms), retransmission count and connection-id lifetime (ms).
   * @throws {RangeError} When an option is negative or not finite.
   */
  constructor(options: UdpTrackerClientOptions = {}) {
    this.#baseTimeout = positive("baseTimeout", options.baseTimeout ?? 15_000);
    this.#maxRetransmits = Math.floor(positive("maxRetransmits", options.maxRetransmits ?? 8));
    this.#connectionIdLifetime = positive("connectionIdLifetime", options.connectionIdLifetime ?? 60_000);
  }

  /**
   * Announces to a `udp://host:port` tracker: connect (unless a fresh connection id is cached), then announce,
   * retransmitting after `baseTimeout · 2^n` ms with n counting every timeout (BEP 15). An error reply drops the
   * cached connection id. Peers are read as 6-byte entries from an IPv4 tracker, 18-byte from an IPv6 one.
   *
   * @param url The tracker URL, `udp://host:port` with any path (ignored).
   * @param request What to announce (`trackerId` is HTTP-only and ignored).
   * @param options Abort signal and whole-announce timeout.
   * @returns The tracker's reply; `interval` clamped to [300, 7200] s.
   * @throws {TrackerError} When the URL is not a `udp:` URL with a port, the host does not resolve, the
   *   tracker answers with an error (the message quotes it), no reply comes after the last retransmission or
   *   within the timeout, the announce is aborted, or the client is closed.
   * @throws {TypeError} When `request.infoHash` or `request.peerId` is not 20 bytes.
   * @throws {RangeError} When a number in `request` is out of range.
   */
  async announce(
    url: string,
    request: AnnounceRequest,
    options: UdpAnnounceOptions = {},
  ): Promise<AnnounceResponse> {
    checkAnnounceRequest(request);
    const { hostname, port } = udpTarget(url, "announce");
    if (this.#closed) throw new TrackerError(url, "Cannot announce: the UDP tracker client is closed");
    return await withDeadline(url, options, async (signal) => {
      const endpoint = await resolveEndpoint(url, hostname, port, signal);
      const reply = await this.#request({ ...endpoint, url, verb: "announce" }, signal, {
        action: ACTION_ANNOUNCE,
        packet: (connectionId, transactionId) => announceRequest(connectionId, transactionId, request),
      });
      return parseUdpAnnounceReply(reply, endpoint.family === 4 ? 6 : 18);
    });
  }

  /**
   * Scrapes a `udp://host:port` tracker (BEP 15 action 2): the swarm counts of each info-hash, asked in requests
   * of at most 74 hashes, one after another, each connecting and retransmitting like an announce. Repeated
   * hashes are asked once.
   *
   * @param url The tracker URL, `udp://host:port` with any path (ignored).
   * @param infoHashes The torrents to ask about: `Uint8Array`s of 20 bytes, at least one.
   * @param options Abort signal and whole-scrape timeout.
   * @returns Counts keyed by lowercase hex info-hash; a hash the tracker's reply stops short of has no entry.
   * @throws {TrackerError} Like {@link UdpTrackerClient.announce}, with messages starting "Cannot scrape:".
   * @throws {TypeError} When an info-hash is not 20 bytes.
   * @throws {RangeError} When `infoHashes` is empty.
   */
  async scrape(
    url: string,
    infoHashes: readonly Uint8Array[],
    options: UdpAnnounceOptions = {},
  ): Promise<Map<string, ScrapeCounts>> {
    const hashes = checkScrapeHashes(infoHashes);
    const { hostname, port } = udpTarget(url, "scrape");
    if (this.#closed) throw new TrackerError(url, "Cannot scrape: the UDP tracker client is closed");
    try {
      return await withDeadline(url, options, async (signal) => {
        const endpoint = await resolveEndpoint(url, hostname, port, signal);
        const counts = new Map<string, ScrapeCounts>();
        for (const batch of scrapeBatches(hashes)) {
          const reply = await this.#request({ ...endpoint, url, verb: "scrape" }, signal, {
            action: ACTION_SCRAPE,
            packet: (connectionId, transactionId) => udpScrapeRequest(connectionId, transactionId, batch),
          });
          parseUdpScrapeReply(reply, batch, counts);
        }
        return counts;
      });
    } catch (error) {
      throw asScrapeError(error);
    }
  }

  /**
   * Connects (unless a fresh connection id is cached), then sends the request built by `packet` and returns the
   * tracker's reply to it, retransmitting after `baseTimeout · 2^n` ms with n counting every timeout (BEP 15).
   * An error reply drops the cached connection id and throws.
   */
  async #request(
    target: Endpoint & { url: string; verb: Verb },
    signal: AbortSignal,
    { action, packet }: {
      action: number;
      packet: (connectionId: Uint8Array, transactionId: number) => Uint8Array;
    },
  ): Promise<Uint8Array> {
    const socket = await this.#socket(target.family);
    const key = `${target.address}|${target.port}`;
    for (let n = 0; n <= this.#maxRetransmits; n++) {
      const wait = this.#baseTimeout * 2 ** n;
      let connectionId = this.#connectionId(key);
      if (connectionId === undefined) {
        const transactionId = this.#newTransactionId();
        const reply = await this.#transact(socket, target, ACTION_CONNECT, transactionId, {
          packet: connectRequest(transactionId),
          wait,
          signal,
        });
        if (reply === undefined) continue;
        this.#throwIfError(target, key, reply);
        connectionId = connectionIdOf(reply);
        this.#connections.set(key, {
          id: connectionId,
          expires: performance.now() + this.#connectionIdLifetime,
        });
      }
      const transactionId = this.#newTransactionId();
      const reply = await this.#transact(socket, target, action, transactionId, {
        packet: packet(connectionId, transactionId),
        wait,
        signal,
      });
      if (reply === undefined) continue;
      this.#throwIfError(target, key, reply);
      return reply;
    }
    throw new TrackerError(
      target.url,
      `Cannot ${target.verb}: no reply after ${this.#maxRetransmits + 1} attempts`,
    );
  }

  /** Closes the sockets; announces still running reject with a {@link TrackerError}. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#pending.values()) {
      pending.fail(
        new TrackerError(pending.url, `Cannot ${pending.verb}: the UDP tracker client was closed`),
      );
    }
    const sockets = [...this.#sockets.values()];
    this.#sockets.clear();
    for (const opening of sockets) {
      const socket = await opening.catch(() => undefined);
      if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
  }

  /** Same as {@link UdpTrackerClient.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #connectionId(key: string): Uint8Array | undefined {
    const cached = this.#connections.get(key);
    if (cached === undefined) return undefined;
    if (performance.now() < cached.expires) return cached.id;
    this.#connections.delete(key);
    return undefined;
  }

  #throwIfError({ url, verb }: { url: string; verb: Verb }, key: string, reply: Uint8Array): void {
    if (replyHeader(reply)?.action !== ACTION_ERROR) return;
    this.#connections.delete(key);
    throw new TrackerError(url, `Cannot ${verb}: tracker error: ${errorMessageOf(reply)}`);
  }

  #newTransactionId(): number {
    const id = new Uint32Array(1);
    do crypto.getRandomValues(id); while (this.#pending.has(id[0]));
    return id[0];
  }

  /** Sends `packet` and waits `wait` ms for the matching reply; `undefined` on timeout. */
  #transact(
    socket: dgram.Socket,
    endpoint: Endpoint & { url: string; verb: Verb },
    action: number,
    transactionId: number,
    { packet, wait, signal }: { packet: Uint8Array; wait: number; signal: AbortSignal },
  ): Promise<Uint8Array | undefined> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#pending.delete(transactionId);
      };
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        done();
        resolve(undefined);
      }, wait);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(transactionId, {
        ...endpoint,
        action,
        settle: (reply) => {
          done();
          resolve(reply);
        },
        fail: (error) => {
          done();
          reject(error);
        },
      });
      socket.send(packet, endpoint.port, endpoint.address, (error) => {
        if (error) this.#pending.get(transactionId)?.fail(error);
      });
    });
  }

  #socket(family: Family): Promise<dgram.Socket> {
    let opening = this.#sockets.get(family);
    if (opening === undefined) {
      opening = new Promise((resolve, reject) => {
        const socket = dgram.createSocket(family === 4 ? "udp4" : "udp6");
        socket.once("error", reject);
        socket.on("message", (message, remote) => this.#receive(family, message, remote));
        socket.bind(0, family === 4 ? "0.0.0.0" : "::", () => {
          socket.off("error", reject);
          // Send errors reach the send callback; nothing else on an unconnected socket needs handling.
          socket.on("error", () => {});
          socket.unref();
          resolve(socket);
        });
      });
      this.#sockets.set(family, opening);
      opening.catch(() => this.#sockets.delete(family));
    }
    return opening;
  }

  #receive(family: Family, message: Uint8Array, remote: { address: string; port: number }): void {
    const header = replyHeader(message);
    if (header === undefined) return;
    const pending = this.#pending.get(header.transactionId);
    if (pending === undefined || pending.family !== family || pending.port !== remote.port) return;
    const address = parseIp(remote.address);
    if (address === undefined || formatIp(address) !== pending.address) return;
    if (header.action !== pending.action && header.action !== ACTION_ERROR) return;
    if (message.length < (MIN_REPLY_LENGTH[header.action] ?? 8)) return;
    pending.settle(new Uint8Array(message));
  }
}

/** Host and port of a `udp://host:port[/path]` URL. */
function udpTarget(url: string, verb: Verb): { hostname: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TrackerError(url, `Cannot ${verb}: tracker URL is not a valid URL`, { cause });
  }
  if (parsed.protocol !== "udp:") {
    throw new TrackerError(url, `Cannot ${verb}: ${parsed.protocol} is not a UDP tracker URL`);
  }
  const port = Number(parsed.port);
  if (parsed.port === "" || port < 1 || port > 65535 || parsed.hostname === "") {
    throw new TrackerError(url, `Cannot ${verb}: UDP tracker URL needs a host and a port`);
  }
  const hostname = parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { hostname, port };
}

async function resolveEndpoint(
  url: string,
  hostname: string,
  port: number,
  signal: AbortSignal,
): Promise<Endpoint> {
  let address = parseIp(hostname);
  if (address === undefined) {
    const aborted = new Promise<never>((_, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    aborted.catch(() => {});
    try {
      const found = await Promise.race([lookup(hostname), aborted]);
      address = parseIp(found.address);
    } catch (cause) {
      if (signal.aborted) throw cause;
      throw new TrackerError(url, `Cannot announce: cannot resolve ${hostname}`, { cause });
    }
    if (address === undefined) throw new TrackerError(url, `Cannot announce: cannot resolve ${hostname}`);
  }
  const text = formatIp(address);
  return { family: text.includes(":") ? 6 : 4, address: text, port };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot create UDP tracker client: ${name} must be a non-negative number, got ${value}`,
    );
  }
  return value;
}
