/**
 * The DHT routing table (BEP 5): k-buckets over the 160-bit XOR metric, where only the bucket covering our own id
 * splits, node states good/questionable/bad, and a per-IP cap (BEP 42 spirit, HOSTILE_INPUTS.md 55).
 *
 * @module
 */

import type { NodeContact } from "./compact.ts";

/** Nodes per bucket (BEP 5 `K`). */
export const K = 8;
/** Milliseconds without activity after which a good node becomes questionable (BEP 5: 15 minutes). */
export const QUESTIONABLE_AFTER_MS = 15 * 60_000;
/** Consecutive failed queries after which a node is bad (BEP 5: "multiple queries in a row"). */
export const BAD_AFTER_FAILURES = 2;

/** State of a node (BEP 5). */
export type NodeState = "good" | "questionable" | "bad";

/** Options for {@link RoutingTable}. */
export interface RoutingTableOptions {
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Most nodes sharing one IP. Default 2. Ignored when `allowSameIp` is set. */
  maxPerIp?: number;
  /**
   * Key the address cap on `host:port` instead of the IP (one node per address), so many nodes on 127.0.0.1 can
   * share a table in tests. Default `false`.
   */
  allowSameIp?: boolean;
}

/** A contact with when the node was last heard from (a reply, or a query to us). */
export interface NodeSighting extends NodeContact {
  /** Time of the last reply or query from the node, on the table's clock (ms; `Date.now()` by default). */
  readonly lastSeen: number;
}

/** Result of {@link RoutingTable.add}. */
export type AddResult =
  | { readonly status: "added" | "updated" | "rejected" }
  /** Bucket full of good nodes; `questionable` (if any) should be pinged and `markFailed` on timeout. */
  | { readonly status: "full"; readonly questionable: NodeContact | undefined };

interface Entry {
  id: Uint8Array;
  host: string;
  port: number;
  lastSeen: number;
  failures: number;
}

/**
 * Number of leading bits two 20-byte ids share (0–160).
 *
 * @param a 20 bytes.
 * @param b 20 bytes.
 * @returns Common prefix length in bits.
 */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 20; i++) {
    const x = a[i] ^ b[i];
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return 160;
}

/**
 * Compares the XOR distances of `a` and `b` to `target` (BEP 5 metric).
 *
 * @param target 20 bytes.
 * @param a 20 bytes.
 * @param b 20 bytes.
 * @returns Negative when `a` is closer, positive when `b` is closer, 0 when equal.
 */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 20; i++) {
    const d = (a[i] ^ target[i]) - (b[i] ^ target[i]);
    if (d !== 0) return d;
  }
  return 0;
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 20; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A BEP 5 routing table. Bucket `i` (for `i` below the last) holds nodes whose id shares exactly `i` leading bits
 * with ours; the last bucket holds the rest and is the only one that splits, which is the BEP 5 rule that only
 * the bucket whose range contains our own id splits. Pure: no I/O, no timers; time comes from `now`.
 *
 * @example Closest nodes
 * ```ts
 * import { RoutingTable } from "./routing_table.ts";
 * import assert from "node:assert/strict";
 *
 * const table = new RoutingTable(new Uint8Array(20));
 * table.add({ id: new Uint8Array(20).fill(0xff), host: "10.0.0.1", port: 1 });
 * table.add({ id: new Uint8Array(20).fill(0x01), host: "10.0.0.2", port: 1 });
 * assert.equal(table.closest(new Uint8Array(20), 1)[0].host, "10.0.0.2");
 * ```
 */
export class RoutingTable {
  readonly #id: Uint8Array;
  readonly #now: () => number;
  readonly #maxPerIp: number;
  readonly #allowSameIp: boolean;
  #buckets: Entry[][] = [[]];
  readonly #changedAt: number[];
  readonly #perAddress = new Map<string, number>();

  /**
   * Makes an empty table around our node id.
   * @param id Our node id, 20 bytes.
   * @param options Clock and address cap.
   * @throws {TypeError} When `id` is not 20 bytes.
   */
  constructor(id: Uint8Array, options: RoutingTableOptions = {}) {
    if (id.length !== 20) throw new TypeError(`Cannot make routing table: id is ${id.length} bytes, not 20`);
    this.#id = id.slice();
    this.#now = options.now ?? Date.now;
    this.#maxPerIp = options.allowSameIp === true ? 1 : options.maxPerIp ?? 2;
    this.#allowSameIp = options.allowSameIp === true;
    this.#changedAt = [this.#now()];
  }

  /** Number of nodes in the table. */
  get size(): number {
    return this.#buckets.reduce((n, b) => n + b.length, 0);
  }

  /** Number of buckets (1 to 160). */
  get bucketCount(): number {
    return this.#buckets.length;
  }

  #addressKey(host: string, port: number): string {
    return this.#allowSameIp ? `${host}:${port}` : host;
  }

  #bucketIndex(id: Uint8Array): number {
    return Math.min(commonPrefixBits(this.#id, id), this.#buckets.length - 1);
  }

  #find(id: Uint8Array): { bucket: Entry[]; index: number } | undefined {
    const bucket = this.#buckets[this.#bucketIndex(id)];
    const index = bucket.findIndex((e) => sameId(e.id, id));
    return index < 0 ? undefined : { bucket, index };
  }

  #state(entry: Entry, now: number): NodeState {
    if (entry.failures >= BAD_AFTER_FAILURES) return "bad";
    return now - entry.lastSeen <= QUESTIONABLE_AFTER_MS ? "good" : "questionable";
  }

  #remove(bucket: Entry[], index: number): void {
    const [entry] = bucket.splice(index, 1);
    const key = this.#addressKey(entry.host, entry.port);
    const n = (this.#perAddress.get(key) ?? 1) - 1;
    if (n <= 0) this.#perAddress.delete(key);
    else this.#perAddress.set(key, n);
  }

  #insert(bucketIndex: number, node: NodeContact, now: number): void {
    this.#buckets[bucketIndex].push({
      id: node.id.slice(),
      host: node.host,
      port: node.port,
      lastSeen: now,
      failures: 0,
    });
    const key = this.#addressKey(node.host, node.port);
    this.#perAddress.set(key, (this.#perAddress.get(key) ?? 0) + 1);
    this.#changedAt[bucketIndex] = now;
  }

  #split(): void {
    const last = this.#buckets.length - 1;
    const old = this.#buckets[last];
    const stay: Entry[] = [];
    const move: Entry[] = [];
    for (const e of old) (commonPrefixBits(this.#id, e.id) > last ? move : stay).push(e);
    this.#buckets[last] = stay;
    this.#buckets.push(move);
    this.#changedAt.push(this.#changedAt[last]);
  }

  /**
   * Adds a node, or refreshes it (last seen = now, failures reset) when its id is already known. Our own id, a
   * second id on an address over the cap, and a known id moving to another address are `rejected`. A full bucket
   * first drops a bad node, then splits if it covers our id, else reports `full` with a questionable node to ping.
   *
   * @param node Contact with a 20-byte id.
   * @returns What happened.
   */
  add(node: NodeContact): AddResult {
    if (node.id.length !== 20 || sameId(node.id, this.#id)) return { status: "rejected" };
    const now = this.#now();
    const found = this.#find(node.id);
    if (found !== undefined) {
      const entry = found.bucket[found.index];
      if (entry.host !== node.host || entry.port !== node.port) return { status: "rejected" };
      entry.lastSeen = now;
      entry.failures = 0;
      return { status: "updated" };
    }
    if ((this.#perAddress.get(this.#addressKey(node.host, node.port)) ?? 0) >= this.#maxPerIp) {
      return { status: "rejected" };
    }
    for (;;) {
      const index = this.#bucketIndex(node.id);
      const bucket = this.#buckets[index];
      if (bucket.length < K) {
        this.#insert(index, node, now);
        return { status: "added" };
      }
      const bad = bucket.findIndex((e) => this.#state(e, now) === "bad");
      if (bad >= 0) {
        this.#remove(bucket, bad);
        continue;
      }
      if (index === this.#buckets.length - 1 && this.#buckets.length < 160) {
        this.#split();
        continue;
      }
      const q = bucket.find((e) => this.#state(e, now) === "questionable");
      return { status: "full", questionable: q && { id: q.id.slice(), host: q.host, port: q.port } };
    }
  }

  /**
   * Records a query to a node that went unanswered; after {@link BAD_AFTER_FAILURES} in a row the node is bad and
   * is replaced by the next node that needs its slot.
   *
   * @param id The node's 20-byte id.
   * @returns `true` when the node was in the table.
   */
  markFailed(id: Uint8Array): boolean {
    const found = this.#find(id);
    if (found === undefined) return false;
    found.bucket[found.index].failures++;
    return true;
  }

  /**
   * Removes a node.
   * @param id The node's 20-byte id.
   * @returns `true` when the node was in the table.
   */
  remove(id: Uint8Array): boolean {
    const found = this.#find(id);
    if (found === undefined) return false;
    this.#remove(found.bucket, found.index);
    return true;
  }

  /**
   * State of a node (BEP 5): good if seen within 15 minutes, bad after repeated failures, else questionable.
   * @param id The node's 20-byte id.
   * @returns The state, or `undefined` when the node is not in the table.
   */
  state(id: Uint8Array): NodeState | undefined {
    const found = this.#find(id);
    return found && this.#state(found.bucket[found.index], this.#now());
  }

  /**
   * The `n` non-bad nodes closest to `target` by XOR distance, closest first.
   * @param target 20 bytes (a node id or an info-hash).
   * @param n How many (default {@link K}).
   * @returns Copies of the contacts.
   */
  closest(target: Uint8Array, n: number = K): NodeContact[] {
    const now = this.#now();
    const all: Entry[] = [];
    for (const bucket of this.#buckets) {
      for (const e of bucket) if (this.#state(e, now) !== "bad") all.push(e);
    }
    all.sort((a, b) => compareDistance(target, a.id, b.id));
    return all.slice(0, n).map((e) => ({ id: e.id.slice(), host: e.host, port: e.port }));
  }

  /**
   * Every node, for persistence (e.g. a resume file); feed them back with `add` or `DhtNode.addNode`.
   * @returns Copies of the contacts, bucket by bucket.
   */
  nodes(): NodeContact[] {
    return this.#buckets.flat().map((e) => ({ id: e.id.slice(), host: e.host, port: e.port }));
  }

  /**
   * The good nodes (BEP 5: heard from within 15 minutes, fewer than {@link BAD_AFTER_FAILURES} failed queries in
   * a row), most recently seen first, for saving between runs.
   * @param max Most nodes to return (default all).
   * @returns Copies of the contacts with their last-seen times.
   */
  goodNodes(max: number = Infinity): NodeSighting[] {
    const now = this.#now();
    return this.#buckets.flat().filter((e) => this.#state(e, now) === "good")
      .sort((a, b) => b.lastSeen - a.lastSeen)
      .slice(0, max)
      .map((e) => ({ id: e.id.slice(), host: e.host, port: e.port, lastSeen: e.lastSeen }));
  }

  /**
   * Random target ids inside every bucket not changed for 15 minutes (BEP 5 bucket refresh); a `find_node` for
   * each refreshes that bucket.
   * @returns 20-byte target ids, one per stale bucket.
   */
  refreshTargets(): Uint8Array[] {
    const now = this.#now();
    const out: Uint8Array[] = [];
    this.#buckets.forEach((_, i) => {
      if (now - this.#changedAt[i] < QUESTIONABLE_AFTER_MS) return;
      out.push(this.#randomIdInBucket(i));
      this.#changedAt[i] = now;
    });
    return out;
  }

  #randomIdInBucket(index: number): Uint8Array {
    const id = crypto.getRandomValues(new Uint8Array(20));
    const last = index === this.#buckets.length - 1;
    const keep = last ? index : index + 1;
    for (let bit = 0; bit < keep; bit++) {
      const byte = bit >> 3;
      const mask = 0x80 >> (bit & 7);
      let ours = this.#id[byte] & mask;
      if (!last && bit === index) ours ^= mask;
      id[byte] = (id[byte] & ~mask) | ours;
    }
    return id;
  }
}
