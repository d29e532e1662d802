/**
 * A session: the listen socket, the worker pool, limits, alerts and the torrents (DESIGN.md section 6).
 *
 * @module
 */

import { type Alert, AlertQueue } from "./alerts.ts";
import { PeerProtocolError } from "./errors.ts";
import { parseMagnet, parseTorrent } from "./metainfo/mod.ts";
import { magnetSelection } from "./magnet_metadata.ts";
import { resolveMagnet } from "./magnet_add.ts";
import { type ByteTransport, readHandshake } from "./peer_handshake.ts";
import type { DiskIo } from "./storage/disk_io.ts";
import { StateStore, WorkerDiskIo } from "./storage/mod.ts";
import type { DhtNode } from "./dht/mod.ts";
import { LSD_GROUP, LSD_PORT, LsdService } from "./lsd/mod.ts";
import { SessionDht } from "./session_dht.ts";
import type { AddMagnetParams, AddTorrentParams, SessionOptions } from "./session_options.ts";
import { Torrent } from "./torrent.ts";
import type { Budget, SwarmSettings, TorrentContext } from "./torrent_context.ts";
import { TorrentHandle } from "./torrent_handle.ts";
import { checkFilePriorities } from "./torrent_files.ts";
import { peerName, wireInfoHashes } from "./torrent_peers.ts";
import { announce, type PeerAddress, UdpTrackerClient } from "./tracker/mod.ts";
import { WireDecoder } from "./wire/mod.ts";
import { hex } from "./bytes.ts";

export type { AddMagnetParams, AddTorrentParams, SessionOptions } from "./session_options.ts";

/** Makes a 20-byte Azureus-style peer id: `-CC0100-` and 12 random bytes. */
function makePeerId(): Uint8Array {
  const id = new Uint8Array(20);
  id.set(new TextEncoder().encode("-CC0100-"));
  crypto.getRandomValues(id.subarray(8));
  return id;
}

/**
 * Many torrents sharing one listen socket, one worker pool and one set of limits.
 *
 * @example Download a torrent
 * ```ts ignore
 * await using session = new Session({ listenPort: 0 });
 * const handle = await session.addTorrent({ torrent: await Deno.readFile("x.torrent"), savePath: "out" });
 * for await (const alert of session.alerts()) {
 *   if (alert.type === "torrent_finished") break;
 * }
 * console.log(handle.status().progress);
 * ```
 */
export class Session {
  readonly #options: SessionOptions;
  readonly #alerts: AlertQueue;
  readonly #torrents = new Map<string, Torrent>();
  /** Torrents by the other info-hash peers may use: a hybrid's truncated v2 info-hash (BEP 52), in hex. */
  readonly #aliases = new Map<string, Torrent>();
  readonly #peerId = makePeerId();
  readonly #trackerKey = crypto.getRandomValues(new Uint32Array(1))[0];
  readonly #budget: Budget;
  readonly #connections: Budget;
  readonly #settings: SwarmSettings;
  #diskIo: DiskIo | undefined;
  #ownsDiskIo = false;
  #udp: UdpTrackerClient | undefined;
  #store: StateStore | undefined;
  #dht: DhtNode | undefined;
  #sessionDht: SessionDht | undefined;
  #lsd: LsdService | undefined;
  #listener: Deno.TcpListener | undefined;
  #incoming = new Set<ByteTransport>();
  #removing = new Set<Promise<void>>();
  #started: Promise<void> | undefined;
  #closed = false;

  /**
   * Makes a session; nothing is opened until `start()` or the first `addTorrent()`.
   * @param options Settings; see {@linkcode SessionOptions}.
   */
  constructor(options: SessionOptions = {}) {
    this.#options = options;
    this.#alerts = new AlertQueue(options.alertQueueSize ?? 4096);
    this.#budget = { used: 0, limit: options.memoryBudget ?? 32 * 1024 * 1024 };
    this.#connections = { used: 0, limit: options.maxConnections ?? 200 };
    this.#settings = {
      uploadSlots: options.uploadSlots ?? 4,
      maxPeersPerTorrent: options.maxPeersPerTorrent ?? 50,
      maxHalfOpen: 8,
      connectTimeout: options.connectTimeout ?? 15_000,
      handshakeTimeout: options.handshakeTimeout ?? 10_000,
      pex: options.pex ?? true,
    };
  }

  /** The TCP port peers can reach us on, or 0 when not listening. */
  get listenPort(): number {
    return this.#listener?.addr.port ?? 0;
  }

  /** Our 20-byte peer id (a copy). */
  get peerId(): Uint8Array {
    return this.#peerId.slice();
  }

  /**
   * Opens the listen socket and the disk workers. Called by `addTorrent` when needed.
   * @throws {Deno.errors.AddrInUse} When the listen port is taken.
   * @throws {Deno.errors.NotCapable} When `--allow-net` does not cover the listen address.
   */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #startDht(): Promise<void> {
    const host = this.#options.listenHost ?? "0.0.0.0";
    this.#sessionDht = await SessionDht.start({
      host,
      port: this.#options.dhtPort ?? 0,
      bootstrap: this.#options.dhtBootstrap ?? [],
      store: this.#store,
      warn: (message) => this.#warn(message),
      // On loopback every node shares one address: count them by host and port, as in tests.
      allowSameIp: host.startsWith("127."),
    });
    this.#dht = this.#sessionDht?.node;
  }

  /** LSD only adds peers: when it cannot start (no permission, no multicast) the session runs without it. */
  async #startLsdOrWarn(): Promise<void> {
    const settings = typeof this.#options.lsd === "object" ? this.#options.lsd : {};
    // node:dgram throws a missing permission where nobody can catch it: ask first.
    const address = `${settings.group ?? LSD_GROUP}:${settings.port ?? LSD_PORT}`;
    const failure = Deno.permissions.querySync({ name: "net", host: address }).state !== "granted"
      ? `no net permission for UDP ${address}`
      : await this.#startLsd().then(() => undefined, (error) => String(error?.message ?? error));
    if (failure === undefined) return;
    this.#lsd = undefined;
    this.#warn(`Cannot start local service discovery: ${failure}; running without it`);
  }

  /** A problem that leaves the session running (DHT, LSD, state), as a `state_warning` alert. */
  #warn(message: string): void {
    this.#alerts.push({ type: "state_warning", category: "storage", message });
  }

  async #startLsd(): Promise<void> {
    const settings = typeof this.#options.lsd === "object" ? this.#options.lsd : {};
    this.#lsd = new LsdService({
      port: this.listenPort,
      group: settings.group,
      lsdPort: settings.port,
      interface: settings.interface,
      minAnnounceGap: settings.minAnnounceGap,
      ipv6: typeof settings.ipv6 === "object"
        ? { ...settings.ipv6, lsdPort: settings.ipv6.port }
        : settings.ipv6 ?? this.#options.lsd === true,
    });
    this.#lsd.onPeer((infoHash, host, port) => {
      const torrent = this.#torrents.get(infoHash);
      if (torrent !== undefined && !torrent.info.private) torrent.addPeer({ host, port });
    });
    await this.#lsd.start();
  }

  /** The UDP port local service discovery listens on, or 0 when it is off. */
  get lsdPort(): number {
    return this.#lsd?.lsdPort ?? 0;
  }

  /** The UDP port of the DHT node, or 0 when the DHT is off. */
  get dhtPort(): number {
    return this.#dht?.port ?? 0;
  }

  async #start(): Promise<void> {
    if (this.#options.stateDir !== undefined) {
      const { store, warnings } = StateStore.open(this.#options.stateDir);
      this.#store = store;
      for (const message of warnings) {
        this.#alerts.push({ type: "state_warning", category: "storage", message });
      }
    }
    if (this.#options.diskIo !== undefined) {
      this.#diskIo = this.#options.diskIo;
    } else {
      this.#diskIo = new WorkerDiskIo({
        hashBackend: this.#options.hashBackend,
        workers: this.#options.workers,
      });
      this.#ownsDiskIo = true;
    }
    if (this.#options.dht) await this.#startDht();
    if (this.#options.listen !== false) {
      this.#listener = Deno.listen({
        hostname: this.#options.listenHost ?? "0.0.0.0",
        port: this.#options.listenPort ?? 0,
      });
      this.#acceptLoop(this.#listener);
      if (this.#options.lsd) await this.#startLsdOrWarn();
    }
  }

  /**
   * Adds a torrent and starts it: existing data is checked, then trackers and peers are contacted.
   * @returns The torrent's handle; `status().state` is `checking` until the check is done.
   * @throws {MetainfoError} When the torrent bytes are not valid metainfo. A v2 torrent without its piece layers
   *   (from a magnet) fetches them from v2 peers (BEP 52 hash requests).
   * @throws {RangeError} When a torrent with the same info-hash is already in the session, or `filePriorities`
   *   does not hold one integer in 0..7 per file.
   */
  async addTorrent(params: AddTorrentParams): Promise<TorrentHandle> {
    if (this.#closed) throw new Error("Cannot add a torrent: the session is closed");
    const info = params.torrent instanceof Uint8Array ? parseTorrent(params.torrent) : params.torrent;
    if (params.filePriorities !== undefined) checkFilePriorities(info.files.length, params.filePriorities);
    if (this.#torrents.has(info.infoHashHex)) {
      throw new RangeError(`Cannot add torrent ${info.infoHashHex}: it is already in the session`);
    }
    await this.start();
    const savePath = await absoluteDir(params.savePath);
    const torrent = new Torrent(this.#context(), {
      info,
      savePath,
      peers: params.peers,
      paused: params.paused,
      mode: params.mode,
      metainfo: params.torrent instanceof Uint8Array ? params.torrent : undefined,
      filePriorities: params.filePriorities,
    });
    this.#torrents.set(info.infoHashHex, torrent);
    for (const hash of wireInfoHashes(info).slice(1)) this.#aliases.set(hex(hash), torrent);
    this.#alerts.push({
      type: "torrent_added",
      category: "status",
      infoHash: info.infoHashHex,
      name: info.name,
    });
    torrent.start().then(() => {
      // Announced on the LAN once it can take connections; BEP 27: private torrents use their trackers only.
      if (!info.private && this.#torrents.get(info.infoHashHex) === torrent) {
        this.#lsd?.announce([info.infoHashHex]);
      }
    });
    return new TorrentHandle(torrent);
  }

  /**
   * Adds a magnet link (BEP 9): asks the link's `x.pe` peers, `params.peers`, and the peers its trackers and the
   * DHT (when on) return for the metadata, checks it against the info-hash (`urn:btih`, `urn:btmh` or both, BEP
   * 52; the piece layers a v2 torrent needs are then fetched from peers), then adds the torrent as
   * `addTorrent` does. Unless `filePriorities` is given, the link's BEP 53 `so` selects the files to download
   * (the others get priority 0); `so` indices beyond the file count are ignored with a `select_only_ignored`
   * alert.
   * @throws {MagnetError} When the link cannot be parsed.
   * @throws {Error} When no peer provides the metadata within `timeoutMs` (default 60 s).
   */
  async addMagnet(params: AddMagnetParams): Promise<TorrentHandle> {
    const link = typeof params.magnet === "string" ? parseMagnet(params.magnet) : params.magnet;
    if (this.#torrents.has(link.infoHashHex)) {
      throw new RangeError(`Cannot add torrent ${link.infoHashHex}: it is already in the session`);
    }
    await this.start();
    const ctx = this.#context();
    const savePath = await absoluteDir(params.savePath);
    const { torrent, peers } = await resolveMagnet(link, savePath, params.peers ?? [], {
      store: this.#store,
      announce: ctx.announce,
      dht: this.#dht,
      request: { peerId: this.#peerId, port: this.listenPort, numwant: 50, key: this.#trackerKey },
      peerId: this.#peerId,
      connect: ctx.connect,
      connectTimeout: this.#settings.connectTimeout,
      handshakeTimeout: this.#settings.handshakeTimeout,
    }, { timeoutMs: params.timeoutMs });
    const selection = params.filePriorities === undefined ? magnetSelection(link, torrent) : {};
    if (selection.warning !== undefined) this.#alerts.push(selection.warning);
    return await this.addTorrent({
      torrent,
      savePath,
      peers,
      paused: params.paused,
      mode: params.mode,
      filePriorities: params.filePriorities ?? selection.priorities,
    });
  }

  /** Removes a torrent (keeping its files) after a `stopped` announce. */
  async removeTorrent(handle: TorrentHandle | string): Promise<void> {
    const infoHash = typeof handle === "string" ? handle : handle.infoHash;
    const torrent = this.#torrents.get(infoHash);
    if (torrent === undefined) return;
    this.#torrents.delete(infoHash);
    for (const [alias, aliased] of this.#aliases) if (aliased === torrent) this.#aliases.delete(alias);
    this.#lsd?.withdraw(infoHash);
    const closing = torrent.close();
    this.#removing.add(closing);
    await closing.finally(() => this.#removing.delete(closing));
    this.#alerts.push({ type: "torrent_removed", category: "status", infoHash });
  }

  /** Handles of all torrents in the session. */
  torrents(): TorrentHandle[] {
    return [...this.#torrents.values()].map((torrent) => new TorrentHandle(torrent));
  }

  /** The session's alerts, until it is closed. Read them, or the queue drops the oldest news. */
  alerts(): AsyncIterableIterator<Alert> {
    return this.#alerts[Symbol.asyncIterator]();
  }

  /** Stops every torrent (with `stopped` announces), the listener and the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener?.close();
    for (const transport of this.#incoming) transport.close();
    await Promise.all([...this.#torrents.values()].map((torrent) => torrent.close()));
    // Torrents being removed finish their last checkpoint before the store closes.
    await Promise.allSettled([...this.#removing]);
    this.#torrents.clear();
    this.#aliases.clear();
    await this.#udp?.close();
    await this.#sessionDht?.close();
    await this.#lsd?.close();
    if (this.#ownsDiskIo) await this.#diskIo?.close();
    this.#store?.close();
    this.#alerts.close();
  }

  /** `await using session = new Session()` closes it at scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #context(): TorrentContext {
    return {
      peerId: this.#peerId,
      trackerKey: this.#trackerKey,
      listenPort: () => this.listenPort,
      diskIo: this.#diskIo!,
      alerts: this.#alerts,
      announce: (url, request, options) => {
        this.#udp ??= new UdpTrackerClient();
        return announce(url, request, { ...options, udpClient: this.#udp });
      },
      settings: this.#settings,
      budget: this.#budget,
      connections: this.#connections,
      store: this.#store,
      dht: this.#dht,
      connect: (peer, timeoutMs) => connectTcp(peer, timeoutMs),
    };
  }

  async #acceptLoop(listener: Deno.TcpListener): Promise<void> {
    try {
      for await (const conn of listener) this.#onIncoming(conn);
    } catch (error) {
      if (!this.#closed) {
        this.#alerts.push({ type: "listen_failed", category: "error", message: String(error) });
      }
    }
  }

  async #onIncoming(conn: Deno.TcpConn): Promise<void> {
    const remote = conn.remoteAddr;
    const name = peerName({ host: remote.hostname, port: remote.port });
    if (this.#connections.used + this.#incoming.size >= this.#connections.limit) {
      conn.close();
      return;
    }
    conn.setNoDelay(true);
    this.#incoming.add(conn);
    try {
      const decoder = new WireDecoder({ bufferSize: 256 * 1024 });
      const handshake = await readHandshake(conn, decoder, this.#settings.handshakeTimeout);
      const infoHash = hex(handshake.infoHash);
      const torrent = this.#torrents.get(infoHash) ?? this.#aliases.get(infoHash);
      this.#incoming.delete(conn);
      if (torrent === undefined || this.#closed) {
        conn.close();
        return;
      }
      torrent.acceptIncoming(conn, decoder, handshake, name);
    } catch {
      this.#incoming.delete(conn);
      try {
        conn.close();
      } catch {
        // Already closed by the handshake timeout.
      }
    }
  }
}

async function connectTcp(peer: PeerAddress, timeoutMs: number): Promise<ByteTransport> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connecting = Deno.connect({ hostname: peer.host, port: peer.port, transport: "tcp" });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      connecting.then((conn) => conn.close(), () => {});
      reject(new PeerProtocolError("connect_timeout", `Cannot connect to ${peerName(peer)}: timed out`));
    }, timeoutMs);
  });
  try {
    const conn = await Promise.race([connecting, timeout]);
    conn.setNoDelay(true);
    return conn;
  } finally {
    clearTimeout(timer);
  }
}

async function absoluteDir(path: string): Promise<string> {
  await Deno.mkdir(path, { recursive: true });
  return await Deno.realPath(path);
}
