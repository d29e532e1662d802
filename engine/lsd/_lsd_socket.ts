/**
 * One multicast UDP socket of the LSD service (BEP 14): bound to the group's port, a member of the group, sending
 * on a chosen interface. IPv4 (`udp4`) or IPv6 (`udp6`), picked by the group address.
 *
 * @module
 */

import dgram from "node:dgram";
import { lsdHostHeader } from "./lsd_announce.ts";

/** Options for {@linkcode LsdSocket.open}. */
export interface LsdSocketOptions {
  /** The multicast group, IPv4 (`239.192.152.143`) or IPv6 (`ff15::efc0:988f`). */
  group: string;
  /** The UDP port of the group; 0 picks a free port. */
  port: number;
  /**
   * The interface to join the group on and send from: an IPv4 address for an IPv4 group (`127.0.0.1`); for an
   * IPv6 group, node:dgram's form `::%NAME` (`::%eth0`) or an address with a zone (`fe80::1%eth0`).
   * Default: the system's choice.
   */
  interface?: string;
  /** Address to bind. Default: the group (with the interface's zone for IPv6), `0.0.0.0`/`::` on Windows. */
  bindAddress?: string;
  /** Multicast TTL (IPv4) or hop limit (IPv6). */
  ttl: number;
  /** Called with each datagram and its source address (IPv6 link-local sources get the interface's zone). */
  onMessage: (bytes: Uint8Array, host: string) => void;
}

/** A joined multicast socket. */
export class LsdSocket {
  readonly #socket: dgram.Socket;
  readonly #group: string;
  readonly #port: number;
  #closed = false;

  private constructor(socket: dgram.Socket, group: string) {
    this.#socket = socket;
    this.#group = group;
    this.#port = socket.address().port;
  }

  /**
   * Binds (with address reuse, so other LSD clients on this machine share the port), joins the group, and turns
   * on multicast loopback so clients on this machine hear each other.
   * @param options Group, port, interface, TTL, message callback.
   * @returns The open socket.
   * @throws {Deno.errors.NotCapable} When `--allow-net` does not cover the group (checked first: node:dgram
   *   would throw that where no caller can catch it).
   * @throws {Error} The node:dgram error when the socket cannot bind or join; the socket is closed then.
   */
  static async open(options: LsdSocketOptions): Promise<LsdSocket> {
    const address = lsdHostHeader(options.group, options.port);
    if (Deno.permissions.querySync({ name: "net", host: address }).state !== "granted") {
      throw new Deno.errors.NotCapable(`Cannot open LSD socket: no net permission for UDP ${address}`);
    }
    const ipv6 = options.group.includes(":");
    const zone = ipv6 ? zoneOf(options.interface) : undefined;
    const windows = Deno.build.os === "windows";
    const bindAddress = options.bindAddress ??
      (windows ? (ipv6 ? "::" : "0.0.0.0") : zone === undefined ? options.group : `${options.group}%${zone}`);
    const socket = dgram.createSocket({ type: ipv6 ? "udp6" : "udp4", reuseAddr: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(options.port, bindAddress, () => {
          socket.off("error", reject);
          resolve();
        });
      });
      socket.addMembership(options.group, options.interface);
      if (options.interface !== undefined) socket.setMulticastInterface(options.interface);
      socket.setMulticastLoopback(true);
      socket.setMulticastTTL(options.ttl);
    } catch (e) {
      socket.close();
      throw e;
    }
    socket.on("error", () => {});
    socket.on("message", (bytes: Uint8Array, remote: dgram.RemoteInfo) => {
      // A link-local source can only be dialled with its zone, which the datagram does not carry.
      const host = zone !== undefined && /^fe[89ab]/i.test(remote.address) && !remote.address.includes("%")
        ? `${remote.address}%${zone}`
        : remote.address;
      options.onMessage(bytes, host);
    });
    return new LsdSocket(socket, options.group);
  }

  /** The bound UDP port. */
  get port(): number {
    return this.#port;
  }

  /** The `Host` header value for this group (BEP 14, RFC 2732): `239.192.152.143:6771` or `[ff15::efc0:988f]:6771`. */
  get host(): string {
    return lsdHostHeader(this.#group, this.#port);
  }

  /** Sends one datagram to the group; a failure (e.g. no route) is ignored. */
  send(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#socket.send(bytes, this.#port, this.#group, () => {});
  }

  /** Closes the socket (leaving the group). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}

/** The zone (`eth0`) of an IPv6 interface given as `::%eth0` or `fe80::1%eth0`. */
function zoneOf(iface: string | undefined): string | undefined {
  const at = iface?.indexOf("%") ?? -1;
  return iface === undefined || at < 0 || at === iface.length - 1 ? undefined : iface.slice(at + 1);
}
