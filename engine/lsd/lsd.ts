/**
 * The BEP 14 Local Service Discovery service: announces our torrents on the IPv4 LSD multicast group and reports
 * peers that announce the same torrents on the local network.
 *
 * @module
 */

import dgram from "node:dgram";
import { AnnounceSchedule } from "./_announce_schedule.ts";
import { SourceLimiter } from "./_source_limiter.ts";
import { encodeLsdAnnounce, LSD_GROUP, LSD_PORT, parseLsdAnnounce } from "./lsd_announce.ts";

/** Default time between two announces of one torrent, in ms (BEP 14: every 5 minutes). */
export const LSD_REANNOUNCE_INTERVAL = 5 * 60_000;
/** Default least time between two announce packets, in ms (BEP 14: no more than 1 announce per minute). */
export const LSD_MIN_ANNOUNCE_GAP = 60_000;
/** Default most announces handled from one source address per second; more are dropped. */
export const LSD_MAX_MESSAGES_PER_SECOND = 5;
/** Most info-hashes per announce packet; 20 keeps a packet under 1400 bytes with any cookie. */
export const LSD_MAX_INFO_HASHES_PER_ANNOUNCE = 20;

const INFO_HASH = /^[0-9a-fA-F]{40}$/;

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
}

/**
 * Called for each info-hash of each announce heard from another client: `infoHash` is 40 lowercase hex
 * characters, `host` the UDP source address (BEP 14), `port` the announced BitTorrent port.
 */
export type LsdPeerCallback = (infoHash: string, host: string, port: number) => void;

/**
 * Local Service Discovery (BEP 14) over IPv4 multicast. Wanted torrents are announced when added and then every
 * 5 minutes, with at most one packet per minute carrying up to 20 info-hashes (BEP 14 allows several per
 * announce; the rest wait for the next packet). Incoming datagrams are size-capped and parsed strictly
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
  readonly #group: string;
  readonly #interface: string | undefined;
  readonly #bindAddress: string;
  readonly #ttl: number;
  readonly #cookie: string;
  readonly #schedule: AnnounceSchedule;
  readonly #limiter: SourceLimiter;
  readonly #callbacks: LsdPeerCallback[] = [];
  #lsdPort: number;
  #socket: dgram.Socket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Makes a stopped service; {@linkcode LsdService.start} opens the socket.
   * @param options Listen port, group, interface, rate limits.
   * @throws {RangeError} When `port` is outside 1..65535 or `lsdPort` outside 0..65535.
   * @throws {TypeError} When `cookie` is not 1..64 visible ASCII characters.
   */
  constructor(options: LsdServiceOptions) {
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 0xffff) {
      throw new RangeError(`Cannot make LSD service: port ${options.port} is outside 1..65535`);
    }
    const lsdPort = options.lsdPort ?? LSD_PORT;
    if (!Number.isInteger(lsdPort) || lsdPort < 0 || lsdPort > 0xffff) {
      throw new RangeError(`Cannot make LSD service: LSD port ${lsdPort} is outside 0..65535`);
    }
    this.#cookie = options.cookie ?? randomCookie();
    if (!/^[!-~]{1,64}$/.test(this.#cookie)) {
      throw new TypeError(
        `Cannot make LSD service: cookie ${JSON.stringify(this.#cookie)} is not visible ASCII`,
      );
    }
    this.#port = options.port;
    this.#group = options.group ?? LSD_GROUP;
    this.#lsdPort = lsdPort;
    this.#interface = options.interface;
    this.#bindAddress = options.bindAddress ?? (Deno.build.os === "windows" ? "0.0.0.0" : this.#group);
    this.#ttl = options.ttl ?? 1;
    this.#schedule = new AnnounceSchedule({
      reannounce: options.reannounceInterval ?? LSD_REANNOUNCE_INTERVAL,
      minGap: options.minAnnounceGap ?? LSD_MIN_ANNOUNCE_GAP,
      maxPerPacket: LSD_MAX_INFO_HASHES_PER_ANNOUNCE,
    });
    this.#limiter = new SourceLimiter(options.maxMessagesPerSecond ?? LSD_MAX_MESSAGES_PER_SECOND);
  }

  /** The UDP port of the group, once started (the chosen one when `lsdPort` was 0). */
  get lsdPort(): number {
    return this.#lsdPort;
  }

  /** Our cookie, sent in every announce. */
  get cookie(): string {
    return this.#cookie;
  }

  /**
   * Binds the UDP socket (with address reuse, so other LSD clients on this machine share the port), joins the
   * group and turns on multicast loopback so clients on this machine hear each other.
   * @returns When the socket is ready.
   * @throws {Error} When the service was started or closed before, or the socket cannot bind or join the group
   *   (the node:dgram error); the socket is closed then.
   */
  async start(): Promise<void> {
    if (this.#socket !== undefined || this.#closed) {
      throw new Error("Cannot start LSD service: already started or closed");
    }
    const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
    this.#socket = socket;
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(this.#lsdPort, this.#bindAddress, () => {
          socket.off("error", reject);
          resolve();
        });
      });
      socket.addMembership(this.#group, this.#interface);
      if (this.#interface !== undefined) socket.setMulticastInterface(this.#interface);
      socket.setMulticastLoopback(true);
      socket.setMulticastTTL(this.#ttl);
    } catch (e) {
      this.#closed = true;
      socket.close();
      throw e;
    }
    this.#lsdPort = socket.address().port;
    socket.on("error", () => {});
    socket.on("message", (bytes, remote) => this.#receive(bytes, remote.address));
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
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #flush(): void {
    const socket = this.#socket;
    if (socket === undefined || this.#closed) return;
    const now = performance.now();
    const batch = this.#schedule.take(now);
    if (batch !== null) {
      const bytes = encodeLsdAnnounce({
        port: this.#port,
        infoHashes: batch,
        cookie: this.#cookie,
        host: `${this.#group}:${this.#lsdPort}`,
      });
      socket.send(bytes, this.#lsdPort, this.#group, () => {});
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

function randomCookie(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
