/**
 * The BEP 14 Local Service Discovery service: announces our torrents on the LSD multicast groups (IPv4, and IPv6
 * when asked and available) and reports peers that announce the same torrents on the local network.
 *
 * @module
 */

import { AnnounceSchedule } from "./_announce_schedule.ts";
import { LsdSocket } from "./_lsd_socket.ts";
import { SourceLimiter } from "./_source_limiter.ts";
import { encodeLsdAnnounce, LSD_GROUP, LSD_GROUP6, LSD_PORT, parseLsdAnnounce } from "./lsd_announce.ts";
import { hex } from "../bytes.ts";

/** Default time between two announces of one torrent, in ms (BEP 14: every 5 minutes). */
export const LSD_REANNOUNCE_INTERVAL = 5 * 60_000;
/** Default least time between two announce packets, in ms (BEP 14: no more than 1 announce per minute). */
export const LSD_MIN_ANNOUNCE_GAP = 60_000;
/** Default most announces handled from one source address per second; more are dropped. */
export const LSD_MAX_MESSAGES_PER_SECOND = 5;
/** Most info-hashes per announce packet; 20 keeps a packet under 1400 bytes with any cookie. */
export const LSD_MAX_INFO_HASHES_PER_ANNOUNCE = 20;

const INFO_HASH = /^[0-9a-fA-F]{40}$/;

/** The IPv6 side of an {@linkcode LsdService} (BEP 14 group B). */
export interface LsdIpv6Options {
  /** The IPv6 multicast group. Default `ff15::efc0:988f` (BEP 14). */
  group?: string;
  /** The UDP port of the group; 0 picks a free port (tests). Default 6771 (BEP 14). */
  lsdPort?: number;
  /**
   * The interface to join the group on and send from, as `::%NAME` (`::%eth0`). Needed for interface- and
   * link-local groups (`ff11::`, `ff12::`); link-local sources heard on it are reported with its zone
   * (`fe80::1%eth0`), so they can be dialled. Default: the system's choice.
   */
  interface?: string;
  /** Address to bind. Default: the group (with the interface's zone); `::` on Windows. */
  bindAddress?: string;
}

/** Options for {@linkcode LsdService}. */
export interface LsdServiceOptions {
  /** Our BitTorrent listen port, 1..65535, announced in `Port`. */
  port: number;
  /** The multicast group. Default `239.192.152.143` (BEP 14). */
  group?: string;
  /** The UDP port of the group; 0 picks a free port (tests). Default 6771 (BEP 14). */
  lsdPort?: number;
  /**
   * Address of the local interface to send on and join the group on (`IP_MULTICAST_IF`), e.g. `"127.0.0.1"`
   * to keep announces on this machine. Default: the system's choice.
   */
  interface?: string;
  /** Address to bind. Default: the group address (only group traffic is received); `0.0.0.0` on Windows. */
  bindAddress?: string;
  /** Multicast TTL (hops). Default 1: the local network only. */
  ttl?: number;
  /** Our cookie (1..64 visible ASCII), to recognise our own looped-back announces. Default: 16 random hex. */
  cookie?: string;
  /** Time between two announces of one torrent, in ms. Default {@linkcode LSD_REANNOUNCE_INTERVAL}. */
  reannounceInterval?: number;
  /** Least time between two announce packets, in ms. Default {@linkcode LSD_MIN_ANNOUNCE_GAP}. */
  minAnnounceGap?: number;
  /** Most announces handled per source address per second. Default {@linkcode LSD_MAX_MESSAGES_PER_SECOND}. */
  maxMessagesPerSecond?: number;
  /**
   * Also announce and listen on an IPv6 group (BEP 14 group B): `true` for the BEP 14 defaults, or its settings.
   * When the IPv6 socket cannot be opened (no IPv6, no multicast route), the service runs on IPv4 alone.
   * Default `false`.
   */
  ipv6?: boolean | LsdIpv6Options;
}

/**
 * Called for each info-hash of each announce heard from another client: `infoHash` is 40 lowercase hex
 * characters, `host` the UDP source address (BEP 14), `port` the announced BitTorrent port.
 */
export type LsdPeerCallback = (infoHash: string, host: string, port: number) => void;

/**
 * Local Service Discovery (BEP 14) over IPv4 multicast, and IPv6 multicast when `ipv6` is set. Wanted torrents
 * are announced when added and then every 5 minutes, with at most one packet per minute carrying up to 20
 * info-hashes (BEP 14 allows several per announce; the rest wait for the next packet); each packet goes to every
 * open group, with that group's `Host` header. Incoming datagrams are size-capped and parsed strictly
 * (`parseLsdAnnounce`); our own (same cookie) are ignored, and a source sending more than
 * `maxMessagesPerSecond` is ignored for the rest of that second. Callbacks never throw into the service.
 *
 * @example Two services on this machine
 * ```ts ignore
 * const a = new LsdService({ port: 6881, interface: "127.0.0.1", lsdPort: 0 });
 * await a.start();
 * const b = new LsdService({ port: 6882, interface: "127.0.0.1", lsdPort: a.lsdPort });
 * b.onPeer((infoHash, host, port) => console.log(infoHash, host, port)); // ... 127.0.0.1 6881
 * await b.start();
 * a.announce(["0123456789abcdef0123456789abcdef01234567"]);
 * ```
 */
export class LsdService {
  readonly #port: number;
  readonly #ipv4: GroupSettings;
  readonly #ipv6: GroupSettings | undefined;
  readonly #ttl: number;
  readonly #cookie: string;
  readonly #schedule: AnnounceSchedule;
  readonly #limiter: SourceLimiter;
  readonly #callbacks: LsdPeerCallback[] = [];
  #socket: LsdSocket | undefined;
  #socket6: LsdSocket | undefined;
  #lsdPort: number;
  #lsdPort6 = 0;
  #started = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Makes a stopped service; {@linkcode LsdService.start} opens the socket.
   * @param options Listen port, group, interface, rate limits.
   * @throws {RangeError} When `port` is outside 1..65535 or an `lsdPort` outside 0..65535.
   * @throws {TypeError} When `cookie` is not 1..64 visible ASCII characters.
   */
  constructor(options: LsdServiceOptions) {
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 0xffff) {
      throw new RangeError(`Cannot make LSD service: port ${options.port} is outside 1..65535`);
    }
    const ipv6 = options.ipv6 === true ? {} : options.ipv6 === false ? undefined : options.ipv6;
    for (const lsdPort of [options.lsdPort ?? LSD_PORT, ipv6?.lsdPort ?? LSD_PORT]) {
      if (!Number.isInteger(lsdPort) || lsdPort < 0 || lsdPort > 0xffff) {
        throw new RangeError(`Cannot make LSD service: LSD port ${lsdPort} is outside 0..65535`);
      }
    }
    this.#cookie = options.cookie ?? randomCookie();
    if (!/^[!-~]{1,64}$/.test(this.#cookie)) {
      throw new TypeError(
        `Cannot make LSD service: cookie ${JSON.stringify(this.#cookie)} is not visible ASCII`,
      );
    }
    this.#port = options.port;
    this.#lsdPort = options.lsdPort ?? LSD_PORT;
    this.#ipv4 = {
      group: options.group ?? LSD_GROUP,
      port: this.#lsdPort,
      interface: options.interface,
      bindAddress: options.bindAddress,
    };
    if (ipv6 !== undefined) {
      this.#ipv6 = {
        group: ipv6.group ?? LSD_GROUP6,
        port: ipv6.lsdPort ?? LSD_PORT,
        interface: ipv6.interface,
        bindAddress: ipv6.bindAddress,
      };
    }
    this.#ttl = options.ttl ?? 1;
    this.#schedule = new AnnounceSchedule({
      reannounce: options.reannounceInterval ?? LSD_REANNOUNCE_INTERVAL,
      minGap: options.minAnnounceGap ?? LSD_MIN_ANNOUNCE_GAP,
      maxPerPacket: LSD_MAX_INFO_HASHES_PER_ANNOUNCE,
    });
    this.#limiter = new SourceLimiter(options.maxMessagesPerSecond ?? LSD_MAX_MESSAGES_PER_SECOND);
  }

  /** The UDP port of the IPv4 group, once started (the chosen one when `lsdPort` was 0). */
  get lsdPort(): number {
    return this.#lsdPort;
  }

  /** The UDP port of the IPv6 group once it is open (the chosen one when its `lsdPort` was 0), else 0. */
  get lsdPort6(): number {
    return this.#lsdPort6;
  }

  /** Our cookie, sent in every announce. */
  get cookie(): string {
    return this.#cookie;
  }

  /**
   * Binds the UDP sockets (with address reuse, so other LSD clients on this machine share the port), joins the
   * groups and turns on multicast loopback so clients on this machine hear each other. An IPv6 group that cannot
   * be joined is left out (see {@linkcode LsdService.lsdPort6}).
   * @returns When the sockets are ready.
   * @throws {Error} When the service was started or closed before, or the IPv4 socket cannot bind or join the
   *   group (the node:dgram error); the service is closed then.
   */
  async start(): Promise<void> {
    if (this.#started || this.#closed) {
      throw new Error("Cannot start LSD service: already started or closed");
    }
    this.#started = true;
    const onMessage = (bytes: Uint8Array, host: string) => this.#receive(bytes, host);
    try {
      this.#socket = await LsdSocket.open({ ...this.#ipv4, ttl: this.#ttl, onMessage });
    } catch (e) {
      this.#closed = true;
      throw e;
    }
    this.#lsdPort = this.#socket.port;
    if (this.#ipv6 !== undefined) {
      this.#socket6 = await LsdSocket.open({ ...this.#ipv6, ttl: this.#ttl, onMessage }).catch(() =>
        undefined
      );
      this.#lsdPort6 = this.#socket6?.port ?? 0;
    }
    if (this.#closed) {
      await this.#closeSockets();
      return;
    }
    this.#flush();
  }

  /**
   * Announces torrents from now on, until {@linkcode LsdService.withdraw}: each at once if the packet gap
   * allows (else with the next packet), then every `reannounceInterval`. Already-announced ones are unchanged.
   * @param infoHashes Info-hashes as 40 hex characters.
   * @throws {TypeError} When an info-hash is not 40 hex characters.
   */
  announce(infoHashes: Iterable<string>): void {
    const list = [...infoHashes];
    for (const infoHash of list) {
      if (!INFO_HASH.test(infoHash)) {
        throw new TypeError(`Cannot announce on LSD: ${JSON.stringify(infoHash)} is not a hex info-hash`);
      }
    }
    for (const infoHash of list) this.#schedule.add(infoHash.toLowerCase());
    this.#flush();
  }

  /**
   * Stops announcing a torrent.
   * @param infoHash The info-hash as 40 hex characters.
   */
  withdraw(infoHash: string): void {
    this.#schedule.remove(infoHash.toLowerCase());
    this.#flush();
  }

  /**
   * Registers a callback for peers heard on the group (see {@linkcode LsdPeerCallback}). The caller checks the
   * info-hash against its torrents.
   * @param callback Called synchronously per info-hash; what it throws is swallowed.
   */
  onPeer(callback: LsdPeerCallback): void {
    this.#callbacks.push(callback);
  }

  /**
   * Leaves the group, closes the socket and stops the timer. Idempotent.
   * @returns When the socket is closed.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#closeSockets();
  }

  async #closeSockets(): Promise<void> {
    const sockets = [this.#socket, this.#socket6];
    this.#socket = undefined;
    this.#socket6 = undefined;
    await Promise.all(sockets.map((socket) => socket?.close()));
  }

  #flush(): void {
    if (this.#socket === undefined || this.#closed) return;
    const now = performance.now();
    const batch = this.#schedule.take(now);
    if (batch !== null) {
      for (const socket of [this.#socket, this.#socket6]) {
        if (socket === undefined) continue;
        const bytes = encodeLsdAnnounce({
          port: this.#port,
          infoHashes: batch,
          cookie: this.#cookie,
          host: socket.host,
        });
        socket.send(bytes);
      }
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = this.#schedule.nextAt(now);
    if (next === undefined) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, Math.max(1, next - now));
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #receive(bytes: Uint8Array, host: string): void {
    if (this.#closed || !this.#limiter.allow(host, performance.now())) return;
    const announce = parseLsdAnnounce(bytes, { ownCookie: this.#cookie });
    if (announce === null) return;
    for (const infoHash of announce.infoHashes) {
      for (const callback of this.#callbacks) {
        try {
          callback(infoHash, host, announce.port);
        } catch {
          // A callback's failure is the caller's; the service keeps serving the others.
        }
      }
    }
  }
}

/** Where one group's socket binds and joins. */
interface GroupSettings {
  group: string;
  port: number;
  interface: string | undefined;
  bindAddress: string | undefined;
}

function randomCookie(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return hex(bytes);
}
