/**
 * The session's DHT node (BEP 5) and what it keeps between runs: bootstrap names resolved at start, the node id
 * and good nodes loaded from the state store, and saved back every 5 minutes and at close (DESIGN.md section 5).
 *
 * @module
 */

import { DhtNode, type DnsResolver, resolveBootstrap } from "./dht/mod.ts";
import { MAX_SAVED_DHT_NODES, type SavedDhtNode, type StateStore } from "./storage/mod.ts";
import type { PeerAddress } from "./tracker/mod.ts";

/** How often the routing table's good nodes are saved, in ms (5 minutes). */
export const DHT_SAVE_INTERVAL_MS = 5 * 60_000;

/** Options for {@linkcode SessionDht.start}. */
export interface SessionDhtOptions {
  /** Address to bind the UDP socket to. */
  host: string;
  /** UDP port; 0 picks a free one. */
  port: number;
  /** Nodes to bootstrap from: IP addresses or host names (resolved, A and AAAA). */
  bootstrap: readonly PeerAddress[];
  /** Where the node id and nodes are kept between runs; none: a random id and only `bootstrap`. */
  store?: StateStore;
  /** Receives what went wrong without stopping the session (a name that does not resolve, no permission). */
  warn: (message: string) => void;
  /** DNS lookup for bootstrap names (default `Deno.resolveDns`). */
  resolveDns?: DnsResolver;
  /** Count nodes by host and port, not by IP, as on loopback (see `DhtNodeOptions.allowSameIp`). */
  allowSameIp?: boolean;
}

/**
 * A started DHT node with its persistence. Made by {@linkcode SessionDht.start}; `close()` saves and stops it.
 *
 * @example A node that keeps its id in a state directory
 * ```ts
 * import { SessionDht } from "./session_dht.ts";
 * import { StateStore } from "./storage/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const { store } = StateStore.open(dir);
 * const options = { host: "127.0.0.1", port: 0, bootstrap: [], store, warn: console.warn };
 * const first = await SessionDht.start(options);
 * const id = first!.node.id;
 * await first!.close();
 * const second = await SessionDht.start(options);
 * assert.deepEqual(second!.node.id, id);
 * await second!.close();
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class SessionDht {
  /** The DHT node the session's torrents use. */
  readonly node: DhtNode;
  readonly #store: StateStore | undefined;
  readonly #warn: (message: string) => void;
  readonly #savedNodes: readonly SavedDhtNode[];
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  private constructor(node: DhtNode, options: SessionDhtOptions, savedNodes: readonly SavedDhtNode[]) {
    this.node = node;
    this.#store = options.store;
    this.#warn = options.warn;
    this.#savedNodes = savedNodes;
  }

  /**
   * Starts the node: loads the saved id and nodes from `store`, resolves the bootstrap names, binds the socket,
   * then bootstraps from the saved nodes and the bootstrap nodes (BEP 5) and starts saving every 5 minutes.
   * @returns The running node, or `undefined` when the socket cannot be bound (no permission, port taken):
   *   that is reported to `warn`, and the session runs without the DHT.
   */
  static async start(options: SessionDhtOptions): Promise<SessionDht | undefined> {
    let saved;
    try {
      saved = options.store?.loadDhtState();
    } catch (error) {
      options.warn(`Cannot load the saved DHT state: ${errorText(error)}; starting with a new node id`);
    }
    const bootstrap = await resolveBootstrap(options.bootstrap, {
      resolveDns: options.resolveDns,
      onWarning: options.warn,
    });
    const node = new DhtNode({
      host: options.host,
      port: options.port,
      id: saved?.nodeId,
      bootstrap,
      seeds: saved?.nodes,
      allowSameIp: options.allowSameIp,
    });
    try {
      await node.start();
    } catch (error) {
      await node.close();
      options.warn(
        `Cannot start the DHT on UDP ${options.host}:${options.port}: ${
          errorText(error)
        }; running without it`,
      );
      return undefined;
    }
    const dht = new SessionDht(node, options, saved?.nodes ?? []);
    // Our id is kept from the first start, even if this run ends with kill -9 before the first save.
    if (saved === undefined) dht.save();
    // Torrents look up peers as they start: fill the routing table first (a few seconds at most).
    await node.bootstrap().catch(() => {});
    if (options.store !== undefined) {
      dht.#timer = setInterval(() => dht.save(), DHT_SAVE_INTERVAL_MS);
      Deno.unrefTimer(dht.#timer);
    }
    return dht;
  }

  /**
   * Saves the node id and the routing table's good nodes (most recently seen first, at most 200). A table with
   * no good node (offline, or nobody answered yet) keeps the nodes saved by the last run. A failure is reported
   * to `warn`.
   */
  save(): void {
    if (this.#store === undefined || this.#closed) return;
    const good = this.node.goodNodes(MAX_SAVED_DHT_NODES);
    const nodes = good.length > 0 ? good : [...this.#savedNodes];
    try {
      this.#store.saveDhtState({ nodeId: this.node.id, nodes });
    } catch (error) {
      this.#warn(`Cannot save the DHT state: ${errorText(error)}`);
    }
  }

  /** Saves once more, stops the timer and closes the node. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.save();
    this.#closed = true;
    clearInterval(this.#timer);
    await this.node.close();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
