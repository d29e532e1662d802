/**
 * A standalone BEP 5 DHT node over UDP (IPv4): serves `ping`, `find_node`, `get_peers` and `announce_peer`, and
 * runs iterative lookups to find and announce peers for an info-hash.
 *
 * @module
 */

import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { BencodeDict, Encodable } from "../bencode/mod.ts";
import { ByteBudget } from "./_byte_budget.ts";
import { iterativeLookup, type LookupResult } from "./_lookup.ts";
import {
  decodeCompactNodes,
  encodeCompactNodes,
  encodeCompactPeer,
  ipv4Bytes,
  type NodeContact,
} from "./compact.ts";
import type { PeerAddress } from "../tracker/types.ts";
import { decodeKrpc, encodeError, encodeQuery, encodeResponse, type KrpcQuery } from "./krpc.ts";
import { KrpcError } from "./krpc_error.ts";
import { PeerStore } from "./peer_store.ts";
import { RateLimiter } from "./rate_limiter.ts";
import { K, type NodeSighting, RoutingTable } from "./routing_table.ts";
import { TokenManager } from "./tokens.ts";

/** Options for {@link DhtNode}. */
export interface DhtNodeOptions {
  /** UDP port to bind; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind. Default `"0.0.0.0"`. */
  host?: string;
  /** Our node id, 20 bytes, e.g. the one saved by an earlier run (BEP 5 keeps a node's id). Default random. */
  id?: Uint8Array;
  /**
   * Nodes to contact in {@link DhtNode.bootstrap}, e.g. `router.bittorrent.com:6881` resolved to IPv4; IPv6
   * addresses are ignored.
   */
  bootstrap?: readonly { host: string; port: number }[];
  /**
   * Nodes known from an earlier run (e.g. saved by the state store): {@link DhtNode.bootstrap} pings each, and
   * those that answer join the routing table and start the lookup of our own id. IPv6 contacts are ignored:
   * this node speaks IPv4.
   */
  seeds?: readonly NodeContact[];
  /**
   * Treat each `host:port` as its own IP for the routing-table address cap and the query rate limit, so many
   * nodes on 127.0.0.1 can form a swarm in tests. Default `false`.
   */
  allowSameIp?: boolean;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Incoming query limit per IP (HOSTILE_INPUTS.md 53). Default `{ perIpPerSecond: 5, banSeconds: 300 }`. */
  rateLimit?: { perIpPerSecond: number; banSeconds: number };
  /** Milliseconds to wait for each reply. Default 2000. */
  queryTimeoutMs?: number;
  /** Cap on everything we send, in bytes/s (HOSTILE_INPUTS.md 53). Default 8192, with a 32 KiB burst. */
  maxOutgoingBytesPerSecond?: number;
}

/** Options for {@link DhtNode.getPeers} and {@link DhtNode.announcePeer}. */
export interface DhtLookupOptions {
  /** Milliseconds before the lookup ends with what it found. Default 15,000. */
  timeoutMs?: number;
  /** Most queries the lookup sends. Default 64. */
  maxQueries?: number;
}

interface Pending {
  host: string;
  port: number;
  resolve: (reply: { id: Uint8Array; r: BencodeDict }) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const MAX_PENDING = 256;
const MAINTENANCE_MS = 60_000;

/**
 * A BEP 5 DHT node on one UDP socket. `start()` binds it; `bootstrap()` fills the routing table; `getPeers()` and
 * `announcePeer()` run iterative lookups (alpha 3, k 8). Incoming queries are rate-limited per IP, replies are
 * bounded in size, and all output shares one byte budget. The socket and timers are unref'd; `close()` stops
 * everything.
 *
 * @example Two nodes on loopback
 * ```ts
 * import { DhtNode } from "./dht_node.ts";
 * import assert from "node:assert/strict";
 *
 * const a = new DhtNode({ host: "127.0.0.1", allowSameIp: true });
 * await a.start();
 * const b = new DhtNode({ host: "127.0.0.1", allowSameIp: true, bootstrap: [{ host: "127.0.0.1", port: a.port }] });
 * await b.start();
 * await b.bootstrap();
 * assert.equal(b.nodes().length, 1);
 * await Promise.all([a.close(), b.close()]);
 * ```
 */
export class DhtNode {
  readonly #id: Uint8Array;
  readonly #host: string;
  readonly #wantPort: number;
  readonly #bootstrapNodes: readonly { host: string; port: number }[];
  readonly #seeds: readonly NodeContact[];
  readonly #allowSameIp: boolean;
  readonly #queryTimeoutMs: number;
  readonly #table: RoutingTable;
  readonly #tokens: TokenManager;
  readonly #store: PeerStore;
  readonly #limiter: RateLimiter;
  readonly #budget: ByteBudget;
  readonly #pending = new Map<number, Pending>();
  readonly #pinging = new Set<string>();
  #socket: Socket | undefined;
  #port = 0;
  #nextTransaction = Math.floor(Math.random() * 0x10000);
  #maintenance: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /**
   * Makes a node; nothing happens until {@link DhtNode.start}.
   * @param options Port, host, id, bootstrap nodes, limits, clock.
   * @throws {TypeError} When `id` is given and is not 20 bytes.
   */
  constructor(options: DhtNodeOptions = {}) {
    if (options.id !== undefined && options.id.length !== 20) {
      throw new TypeError(`Cannot make DHT node: id is ${options.id.length} bytes, not 20`);
    }
    const now = options.now ?? Date.now;
    this.#id = options.id?.slice() ?? crypto.getRandomValues(new Uint8Array(20));
    this.#host = options.host ?? "0.0.0.0";
    this.#wantPort = options.port ?? 0;
    // This node speaks IPv4 (udp4): an IPv6 literal could never answer.
    this.#bootstrapNodes = (options.bootstrap ?? []).filter((node) => !node.host.includes(":"));
    this.#seeds = (options.seeds ?? []).filter((node) =>
      node.id.length === 20 && ipv4Bytes(node.host) !== undefined
    );
    this.#allowSameIp = options.allowSameIp === true;
    this.#queryTimeoutMs = options.queryTimeoutMs ?? 2000;
    this.#table = new RoutingTable(this.#id, { now, allowSameIp: this.#allowSameIp });
    this.#tokens = new TokenManager({ now });
    this.#store = new PeerStore({ now });
    this.#limiter = new RateLimiter({ now, ...options.rateLimit });
    const rate = options.maxOutgoingBytesPerSecond ?? 8192;
    this.#budget = new ByteBudget(rate, Math.max(rate * 4, 2048), now);
  }

  /** Our node id, 20 bytes (a copy). */
  get id(): Uint8Array {
    return this.#id.slice();
  }

  /** The bound UDP port, or 0 before {@link DhtNode.start}. */
  get port(): number {
    return this.#port;
  }

  /**
   * Binds the UDP socket and starts the maintenance timer (bucket refresh, peer expiry).
   * @returns When the socket is listening.
   * @throws {Deno.errors.NotCapable} When `--allow-net` does not cover the address (checked first: node:dgram
   *   would throw that where no caller can catch it).
   * @throws {Error} When already started or closed, or when the port cannot be bound.
   */
  async start(): Promise<void> {
    if (this.#socket !== undefined || this.#closed) {
      throw new Error("Cannot start DHT node: already started or closed");
    }
    const address = `${this.#host}:${this.#wantPort}`;
    if (Deno.permissions.querySync({ name: "net", host: address }).state !== "granted") {
      throw new Deno.errors.NotCapable(`Cannot start DHT node: no net permission for UDP ${address}`);
    }
    const socket = createSocket("udp4");
    this.#socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(this.#wantPort, this.#host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    socket.on("error", () => {});
    socket.on("message", (msg: Uint8Array, rinfo: RemoteInfo) => this.#onMessage(msg, rinfo));
    // Idle, the node must not hold the process open; a query in flight keeps its (ref'd) timeout timer, which
    // keeps the event loop, and so the socket, alive until the reply or the timeout.
    socket.unref();
    this.#port = socket.address().port;
    const maintenance = setInterval(() => this.#maintain(), MAINTENANCE_MS);
    Deno.unrefTimer(maintenance);
    this.#maintenance = maintenance;
  }

  /**
   * Asks each bootstrap node for nodes near our id and pings each seed node (those that answer join the routing
   * table), then runs a `find_node` lookup of our own id from what answered (BEP 5: "when starting up, the node
   * should attempt to find the closest nodes in the DHT to itself").
   * @returns When the lookup ends; failures are absorbed (the table may stay empty).
   */
  async bootstrap(): Promise<void> {
    const [replies] = await Promise.all([
      Promise.allSettled(this.#bootstrapNodes.map((b) => this.#query(b, "find_node", { target: this.#id }))),
      Promise.all(this.#seeds.map((seed) => this.addNode(seed.host, seed.port))),
    ]);
    const seeds: NodeContact[] = [];
    for (const reply of replies) {
      const nodes = reply.status === "fulfilled" ? reply.value.r.get("nodes") : undefined;
      if (nodes instanceof Uint8Array) seeds.push(...decodeCompactNodes(nodes));
    }
    await this.#lookup(this.#id, "find_node", {}, seeds);
  }

  /**
   * Finds peers for an info-hash with an iterative `get_peers` lookup (BEP 5), plus any peers announced to us.
   * @param infoHash 20 bytes.
   * @param options Overall timeout and query cap.
   * @returns Peers, deduplicated; empty when none were found.
   * @throws {TypeError} When `infoHash` is not 20 bytes.
   */
  async getPeers(infoHash: Uint8Array, options: DhtLookupOptions = {}): Promise<PeerAddress[]> {
    checkHash(infoHash);
    const result = await this.#lookup(infoHash, "get_peers", options);
    const peers = new Map<string, PeerAddress>();
    for (const p of [...this.#store.get(infoHash), ...result.peers]) peers.set(`${p.host}:${p.port}`, p);
    return [...peers.values()];
  }

  /**
   * Announces that we have peers for an info-hash on `port`: a `get_peers` lookup, then `announce_peer` with
   * each of the k closest responders' tokens (BEP 5).
   * @param infoHash 20 bytes.
   * @param port Our TCP port, 1–65535; ignored by receivers when `impliedPort` is set (they use our UDP port).
   * @param options Lookup options and `impliedPort` (BEP 5 `implied_port`).
   * @returns How many nodes accepted the announce.
   * @throws {TypeError} When `infoHash` is not 20 bytes.
   * @throws {RangeError} When `port` is not 1–65535.
   */
  async announcePeer(
    infoHash: Uint8Array,
    port: number,
    options: DhtLookupOptions & { impliedPort?: boolean } = {},
  ): Promise<number> {
    checkHash(infoHash);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`Cannot announce to DHT: port ${port} is not 1–65535`);
    }
    const { responders } = await this.#lookup(infoHash, "get_peers", options);
    const results = await Promise.allSettled(
      responders.filter((r) => r.token !== undefined).map((r) =>
        this.#query(r.node, "announce_peer", {
          info_hash: infoHash,
          port,
          token: r.token,
          implied_port: options.impliedPort === true ? 1 : undefined,
        })
      ),
    );
    return results.filter((r) => r.status === "fulfilled").length;
  }

  /**
   * The routing table's nodes, for persistence.
   * @returns Contacts with 20-byte ids.
   */
  nodes(): NodeContact[] {
    return this.#table.nodes();
  }

  /**
   * The good nodes of the routing table (BEP 5: heard from within 15 minutes), most recently seen first: what
   * to save for the next run's {@link DhtNodeOptions.seeds}.
   * @param max Most nodes to return (default all).
   * @returns Contacts with 20-byte ids and last-seen times (ms, on the node's clock).
   */
  goodNodes(max?: number): NodeSighting[] {
    return this.#table.goodNodes(max);
  }

  /**
   * Pings a node and adds it to the routing table if it answers (e.g. a node saved from an earlier run, or a
   * BEP 5 `PORT` message from a peer).
   * @param host IPv4 address.
   * @param port UDP port.
   * @returns `true` when the node answered.
   */
  async addNode(host: string, port: number): Promise<boolean> {
    try {
      await this.#query({ host, port }, "ping", {});
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Stops the node: pending queries reject, timers stop, the socket closes. Safe to call twice.
   * @returns When the socket is closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#maintenance);
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error("Cannot query DHT node: the DHT node was closed"));
    }
    this.#pending.clear();
    const socket = this.#socket;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Same as {@link DhtNode.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #lookup(
    target: Uint8Array,
    method: "find_node" | "get_peers",
    options: DhtLookupOptions,
    extraSeeds: readonly NodeContact[] = [],
  ): Promise<LookupResult> {
    const key = method === "find_node" ? "target" : "info_hash";
    return iterativeLookup(
      target,
      [...this.#table.closest(target, K), ...extraSeeds],
      (node) => this.#query(node, method, { [key]: target }),
      { selfId: this.#id, timeoutMs: options.timeoutMs, maxQueries: options.maxQueries },
    );
  }

  #send(bytes: Uint8Array, host: string, port: number): boolean {
    if (this.#closed || this.#socket === undefined || !this.#budget.take(bytes.length)) return false;
    this.#socket.send(bytes, port, host, () => {});
    return true;
  }

  #query(
    node: { id?: Uint8Array; host: string; port: number },
    method: string,
    args: Record<string, Encodable | undefined>,
  ): Promise<{ id: Uint8Array; r: BencodeDict }> {
    if (this.#closed || this.#socket === undefined) {
      return Promise.reject(new Error(`Cannot send DHT ${method}: the DHT node is not running`));
    }
    if (this.#pending.size >= MAX_PENDING) {
      return Promise.reject(new Error(`Cannot send DHT ${method}: too many queries in flight`));
    }
    let tid = this.#nextTransaction;
    while (this.#pending.has(tid)) tid = (tid + 1) & 0xffff;
    this.#nextTransaction = (tid + 1) & 0xffff;
    const bytes = encodeQuery(new Uint8Array([tid >> 8, tid & 0xff]), method, { id: this.#id, ...args });
    if (!this.#send(bytes, node.host, node.port)) {
      return Promise.reject(new Error(`Cannot send DHT ${method}: outgoing rate cap reached`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(tid);
        if (node.id !== undefined) this.#table.markFailed(node.id);
        reject(new Error(`Cannot query DHT node ${node.host}:${node.port}: no reply to ${method}`));
      }, this.#queryTimeoutMs);
      this.#pending.set(tid, { host: node.host, port: node.port, resolve, reject, timer });
    });
  }

  #onMessage(msg: Uint8Array, rinfo: RemoteInfo): void {
    if (this.#closed) return;
    const limitKey = this.#allowSameIp ? `${rinfo.address}:${rinfo.port}` : rinfo.address;
    let message;
    try {
      message = decodeKrpc(msg);
    } catch (error) {
      const t = error instanceof KrpcError ? error.transactionId : undefined;
      if (t !== undefined && this.#limiter.allow(limitKey)) {
        this.#send(encodeError(t, 203, "Protocol Error"), rinfo.address, rinfo.port);
      }
      return;
    }
    if (message.y === "q") {
      if (this.#limiter.allow(limitKey)) this.#onQuery(message, rinfo);
      return;
    }
    if (message.t.length !== 2) return;
    const tid = (message.t[0] << 8) | message.t[1];
    const pending = this.#pending.get(tid);
    if (pending === undefined || pending.host !== rinfo.address || pending.port !== rinfo.port) return;
    this.#pending.delete(tid);
    clearTimeout(pending.timer);
    if (message.y === "e") {
      pending.reject(
        new KrpcError(message.code, `Cannot query DHT node: it replied ${message.code} ${message.message}`),
      );
      return;
    }
    this.#learn({ id: message.id, host: rinfo.address, port: rinfo.port });
    pending.resolve({ id: message.id, r: message.r });
  }

  #learn(node: NodeContact): void {
    const result = this.#table.add(node);
    if (result.status === "full" && result.questionable !== undefined) this.#ping(result.questionable);
  }

  /**
   * A node sent us a query. One in the table is refreshed; a new one is pinged and joins when it answers (its
   * reply goes through `#learn`): BEP 5 keeps only nodes that answered us, so one-shot or spoofed queriers cannot
   * fill the table with dead contacts that we would hand out.
   */
  #heardFrom(node: NodeContact): void {
    if (this.#table.state(node.id) !== undefined) this.#learn(node);
    else this.#ping(node);
  }

  #ping(node: NodeContact): void {
    const key = `${node.host}:${node.port}`;
    if (this.#pinging.has(key) || this.#pinging.size >= 8) return;
    this.#pinging.add(key);
    this.#query(node, "ping", {}).catch(() => {}).finally(() => this.#pinging.delete(key));
  }

  #onQuery(query: KrpcQuery, rinfo: RemoteInfo): void {
    const { t, a } = query;
    const reply = (values: Record<string, Encodable | undefined>) =>
      this.#send(encodeResponse(t, { id: this.#id, ...values }), rinfo.address, rinfo.port);
    const fail = (code: number, text: string) =>
      this.#send(encodeError(t, code, text), rinfo.address, rinfo.port);
    // After the answer below is sent, so a new querier hears the answer before our ping.
    if (a.get("ro") !== 1) {
      queueMicrotask(() => this.#heardFrom({ id: query.id, host: rinfo.address, port: rinfo.port }));
    }
    switch (query.q) {
      case "ping":
        reply({});
        return;
      case "find_node": {
        const target = a.get("target");
        if (!(target instanceof Uint8Array) || target.length !== 20) {
          return void fail(203, "Protocol Error: bad target");
        }
        reply({ nodes: encodeCompactNodes(this.#table.closest(target, K)) });
        return;
      }
      case "get_peers": {
        const infoHash = a.get("info_hash");
        if (!(infoHash instanceof Uint8Array) || infoHash.length !== 20) {
          return void fail(203, "Protocol Error: bad info_hash");
        }
        const token = this.#tokens.create(rinfo.address);
        const peers = this.#store.get(infoHash, 50);
        if (peers.length > 0) reply({ token, values: peers.map(encodeCompactPeer) });
        else reply({ token, nodes: encodeCompactNodes(this.#table.closest(infoHash, K)) });
        return;
      }
      case "announce_peer": {
        const infoHash = a.get("info_hash");
        const token = a.get("token");
        const implied = a.get("implied_port") === 1;
        const port = implied ? rinfo.port : a.get("port");
        if (!(infoHash instanceof Uint8Array) || infoHash.length !== 20) {
          return void fail(203, "Protocol Error: bad info_hash");
        }
        if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
          return void fail(203, "Protocol Error: bad port");
        }
        if (!(token instanceof Uint8Array) || !this.#tokens.verify(rinfo.address, token)) {
          return void fail(203, "Protocol Error: bad token");
        }
        this.#store.add(infoHash, { host: rinfo.address, port });
        reply({});
        return;
      }
      default:
        fail(204, "Method Unknown");
    }
  }

  #maintain(): void {
    this.#store.prune();
    for (const target of this.#table.refreshTargets()) this.#lookup(target, "find_node", {});
  }
}

function checkHash(infoHash: Uint8Array): void {
  if (infoHash.length !== 20) {
    throw new TypeError(`Cannot look up info-hash: it is ${infoHash.length} bytes, not 20`);
  }
}
