/**
 * The redirect rule for HTTP trackers (HOSTILE_INPUTS.md case 32, server-side request forgery): a redirect may
 * not lead somewhere more local than where we started. Public → private or loopback is refused, private →
 * loopback is refused; loopback → anything and same-or-wider scope are fine (our tests run trackers on
 * 127.0.0.1). Unspecified addresses (`0.0.0.0` reaches this machine on Linux) count as loopback.
 *
 * @module
 */

import { addressScope, parseIp } from "./_ip.ts";

/** Looks a host name up; returns its addresses (4 or 16 bytes each), empty when it does not resolve. */
export type HostResolver = (hostname: string) => Promise<Uint8Array[]>;

const RANK = { unusable: 0, loopback: 0, private: 1, public: 2 } as const;

/**
 * Why following a redirect from `from` to `to` is refused, or `undefined` when it is allowed.
 * @param options.resolve Name lookup for hosts that are not IP literals (default: `Deno.resolveDns` A and AAAA).
 */
export async function refuseRedirect(
  from: URL,
  to: URL,
  { resolve = resolveHost }: { resolve?: HostResolver } = {},
): Promise<string | undefined> {
  if (to.protocol !== "http:" && to.protocol !== "https:") {
    return `redirect to a ${to.protocol} URL is not allowed`;
  }
  const [fromRank, toRank] = await Promise.all([hostRank(from, resolve), hostRank(to, resolve)]);
  if (toRank < fromRank) {
    return `redirect from ${from.hostname} to the more local ${to.hostname} is not allowed`;
  }
  return undefined;
}

/** The most local scope among the addresses of `url`'s host; a name that does not resolve counts as public. */
async function hostRank(url: URL, resolve: HostResolver): Promise<number> {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const literal = parseIp(host);
  if (literal !== undefined) return RANK[addressScope(literal)];
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return RANK.loopback;
  let rank: number = RANK.public;
  for (const address of await resolve(name)) rank = Math.min(rank, RANK[addressScope(address)]);
  return rank;
}

async function resolveHost(hostname: string): Promise<Uint8Array[]> {
  const lookups = await Promise.allSettled([
    Deno.resolveDns(hostname, "A"),
    Deno.resolveDns(hostname, "AAAA"),
  ]);
  const addresses: Uint8Array[] = [];
  for (const lookup of lookups) {
    if (lookup.status !== "fulfilled") continue;
    for (const text of lookup.value) {
      const bytes = parseIp(text);
      if (bytes !== undefined) addresses.push(bytes);
    }
  }
  return addresses;
}
