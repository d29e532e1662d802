/**
 * The iterative lookup of BEP 5 (Kademlia): query the closest known nodes, alpha at a time, move towards the
 * target with the `nodes` they return, and stop when the k closest have all answered. Transport-free: the caller
 * supplies the query function.
 *
 * @module
 */

import type { BencodeDict } from "../bencode/mod.ts";
import { decodeCompactNodes, decodeCompactPeer, type NodeContact } from "./compact.ts";
import type { PeerAddress } from "../tracker/types.ts";
import { compareDistance, K } from "./routing_table.ts";

/** Sends one query to `node` and resolves with the responder's id and return values; rejects on error/timeout. */
export type LookupQuery = (node: NodeContact) => Promise<{ id: Uint8Array; r: BencodeDict }>;

/** Options for {@link iterativeLookup}. */
export interface LookupOptions {
  /** Queries in flight at once. Default 3 (BEP 5 / Kademlia alpha). */
  alpha?: number;
  /** Closest nodes that must answer before the lookup ends. Default 8. */
  k?: number;
  /** Most queries sent in one lookup. Default 64. */
  maxQueries?: number;
  /** Milliseconds before the lookup ends with what it has. Default 15,000. */
  timeoutMs?: number;
  /** Our own id, never queried. */
  selfId?: Uint8Array;
  /** Most peers collected from `values`. Default 500. */
  maxPeers?: number;
}

/** A node that answered, with the `token` it gave (for `announce_peer`). */
export interface Responder {
  readonly node: NodeContact;
  readonly token: Uint8Array | undefined;
}

/** What a lookup found. */
export interface LookupResult {
  /** Peers from `values` (get_peers only), deduplicated. */
  readonly peers: PeerAddress[];
  /** Up to k nodes that answered, closest to the target first. */
  readonly responders: Responder[];
  /** Queries sent. */
  readonly queries: number;
}

const MAX_CANDIDATES = 256;

interface Candidate {
  node: NodeContact;
  state: "new" | "pending" | "done" | "failed";
  token: Uint8Array | undefined;
}

/**
 * Runs an iterative lookup towards `target`, starting from `seeds`.
 *
 * @param target 20-byte node id or info-hash.
 * @param seeds Starting nodes (usually the routing table's closest).
 * @param query Sends `find_node` or `get_peers` to one node.
 * @param options Alpha, k, caps and overall timeout.
 * @returns Peers and the closest responders; never rejects.
 */
export function iterativeLookup(
  target: Uint8Array,
  seeds: readonly NodeContact[],
  query: LookupQuery,
  options: LookupOptions = {},
): Promise<LookupResult> {
  const alpha = options.alpha ?? 3;
  const k = options.k ?? K;
  const maxQueries = options.maxQueries ?? 64;
  const maxPeers = options.maxPeers ?? 500;
  const candidates = new Map<string, Candidate>();
  const peers = new Map<string, PeerAddress>();
  let inFlight = 0;
  let queries = 0;
  let finished = false;

  const isSelf = (id: Uint8Array) => options.selfId?.every((b, i) => b === id[i]) === true;
  const offer = (node: NodeContact) => {
    const key = `${node.host}:${node.port}`;
    if (candidates.has(key) || candidates.size >= MAX_CANDIDATES || isSelf(node.id)) return;
    candidates.set(key, { node, state: "new", token: undefined });
  };
  seeds.forEach(offer);

  return new Promise<LookupResult>((resolve) => {
    const sorted = () =>
      [...candidates.values()].filter((c) => c.state !== "failed")
        .sort((a, b) => compareDistance(target, a.node.id, b.node.id));
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const responders = sorted().filter((c) => c.state === "done").slice(0, k)
        .map((c) => ({ node: c.node, token: c.token }));
      resolve({ peers: [...peers.values()], responders, queries });
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 15_000);
    const pump = () => {
      if (finished) return;
      const closest = sorted().slice(0, k);
      for (const c of closest) {
        if (inFlight >= alpha || queries >= maxQueries) break;
        if (c.state !== "new") continue;
        c.state = "pending";
        inFlight++;
        queries++;
        query(c.node).then(({ id, r }) => {
          c.state = "done";
          c.node = { id, host: c.node.host, port: c.node.port };
          const token = r.get("token");
          if (token instanceof Uint8Array && token.length <= 64) c.token = token;
          const nodes = r.get("nodes");
          if (nodes instanceof Uint8Array) decodeCompactNodes(nodes).forEach(offer);
          const values = r.get("values");
          if (Array.isArray(values)) {
            for (const v of values.slice(0, 100)) {
              const peer = v instanceof Uint8Array ? decodeCompactPeer(v) : undefined;
              if (peer !== undefined && peers.size < maxPeers) peers.set(`${peer.host}:${peer.port}`, peer);
            }
          }
        }, () => {
          c.state = "failed";
        }).finally(() => {
          inFlight--;
          pump();
        });
      }
      if (inFlight === 0) finish();
    };
    pump();
  });
}
