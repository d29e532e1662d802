/**
 * Test support: finds an interface on which IPv6 multicast to an interface-local group (`ff11::/16`) loops back
 * to this machine. Such packets never leave the node (RFC 4291 section 2.7: interface-local scope is for loopback
 * transmission only), so tests can use them the way IPv4 tests use 127.0.0.1. The loopback interface itself
 * cannot carry IPv6 multicast on Linux (no MULTICAST flag: sending gives ENETUNREACH).
 *
 * @module
 */

import dgram from "node:dgram";

/** A group of our own in interface-local scope, for tests. */
export const TEST_GROUP6 = "ff11::efc0:98a1";

/** Where IPv6 multicast works here, or why it does not. */
export type Ipv6Multicast = { interface: string; zone: string } | { reason: string };

/**
 * Probes each non-loopback interface with an IPv6 address: joins {@linkcode TEST_GROUP6} on it, sends one
 * datagram, and waits up to 500 ms for it to loop back.
 * @returns The first interface that works (`::%NAME` as node:dgram takes it, and its name), or the reason none
 *   does.
 */
export async function findIpv6Multicast(): Promise<Ipv6Multicast> {
  let names: string[];
  try {
    names = [
      ...new Set(
        Deno.networkInterfaces().filter((i) => i.family === "IPv6" && i.name !== "lo").map((i) => i.name),
      ),
    ];
  } catch (error) {
    return { reason: `cannot list network interfaces (${(error as Error).message})` };
  }
  for (const zone of names) {
    if (await loopsBack(zone)) return { interface: `::%${zone}`, zone };
  }
  return {
    reason: names.length === 0
      ? "no network interface with IPv6 besides lo (lo carries no IPv6 multicast)"
      : `IPv6 multicast does not loop back on ${names.join(", ")} (lo carries no IPv6 multicast)`,
  };
}

async function loopsBack(zone: string): Promise<boolean> {
  const socket = dgram.createSocket({ type: "udp6", reuseAddr: true });
  socket.on("error", () => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, `${TEST_GROUP6}%${zone}`, () => resolve());
    });
    socket.addMembership(TEST_GROUP6, `::%${zone}`);
    socket.setMulticastInterface(`::%${zone}`);
    socket.setMulticastLoopback(true);
    const probe = crypto.getRandomValues(new Uint8Array(8));
    const heard = new Promise<boolean>((resolve) => {
      socket.on("message", (bytes: Uint8Array) => {
        if (bytes.length === probe.length && bytes.every((b, i) => b === probe[i])) resolve(true);
      });
      timer = setTimeout(() => resolve(false), 500);
    });
    socket.send(probe, socket.address().port, TEST_GROUP6, () => {});
    return await heard;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
