/**
 * Resolves DHT bootstrap nodes given by host name (`router.bittorrent.com:6881`) to addresses, for a
 * {@link DhtNode}'s `bootstrap` option (BEP 5: a new node "bootstraps" from one known node).
 *
 * @module
 */

import { formatIp, parseIp } from "../tracker/_ip.ts";
import type { PeerAddress } from "../tracker/types.ts";

/** Looks up the records of one type for a name; `Deno.resolveDns` by default. */
export type DnsResolver = (
  name: string,
  type: "A" | "AAAA",
  options: { signal: AbortSignal },
) => Promise<string[]>;

/** Options for {@linkcode resolveBootstrap}. */
export interface ResolveBootstrapOptions {
  /** The DNS lookup (default `Deno.resolveDns`); tests give their own. */
  resolveDns?: DnsResolver;
  /** Milliseconds each name may take (default 5,000). */
  timeoutMs?: number;
  /** Receives one line per node that yields no address, e.g. "Cannot resolve DHT bootstrap node ...". */
  onWarning?: (message: string) => void;
}

/**
 * Resolves bootstrap nodes: IP literals are kept (in canonical form), host names become one node per address of
 * their A and AAAA records, all looked up in parallel. A name that cannot be resolved (no network, no
 * permission, no such name, a timeout) is reported to `onWarning` and left out; this never throws.
 *
 * @param nodes Bootstrap nodes as `{ host, port }`; `host` an IP address or a host name.
 * @param options Resolver, timeout, warning sink.
 * @returns The addresses, without duplicates, in the order given (A before AAAA records of a name).
 *
 * @example IP literals need no lookup
 * ```ts
 * import { resolveBootstrap } from "./resolve_bootstrap.ts";
 * import assert from "node:assert/strict";
 *
 * const nodes = await resolveBootstrap([{ host: "10.0.0.1", port: 6881 }, { host: "10.0.0.1", port: 6881 }]);
 * assert.deepEqual(nodes, [{ host: "10.0.0.1", port: 6881 }]);
 * ```
 */
export async function resolveBootstrap(
  nodes: readonly PeerAddress[],
  options: ResolveBootstrapOptions = {},
): Promise<PeerAddress[]> {
  const resolve = options.resolveDns ?? ((name, type, init) => Deno.resolveDns(name, type, init));
  const timeoutMs = options.timeoutMs ?? 5000;
  const lists = await Promise.all(nodes.map(async (node): Promise<PeerAddress[]> => {
    const ip = parseIp(node.host);
    if (ip !== undefined) return [{ host: formatIp(ip), port: node.port }];
    const signal = AbortSignal.timeout(timeoutMs);
    const [a, aaaa] = await Promise.allSettled([
      resolve(node.host, "A", { signal }),
      resolve(node.host, "AAAA", { signal }),
    ]);
    const hosts = [a, aaaa].flatMap((r) => r.status === "fulfilled" ? r.value : []);
    const found = hosts.flatMap((host) => {
      const bytes = parseIp(host);
      return bytes === undefined ? [] : [{ host: formatIp(bytes), port: node.port }];
    });
    if (found.length === 0) {
      const failure = [a, aaaa].find((r) => r.status === "rejected");
      const reason = failure === undefined ? "no A or AAAA records" : errorText(failure.reason);
      options.onWarning?.(`Cannot resolve DHT bootstrap node ${node.host}:${node.port}: ${reason}`);
    }
    return found;
  }));
  const unique = new Map<string, PeerAddress>();
  for (const address of lists.flat()) unique.set(`${address.host}|${address.port}`, address);
  return [...unique.values()];
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
