/**
 * A torrent's peers: known addresses, outgoing connection attempts with the BEP 3 handshake, incoming
 * connections handed over by the session, bans, and the connected set.
 *
 * @module
 */

import type { TorrentInfo } from "./metainfo/mod.ts";
import { PeerConnection, type PeerDelegate } from "./peer_connection.ts";
import { type ByteTransport, readHandshake, writeAll } from "./peer_handshake.ts";
import { Choker } from "./picker/mod.ts";
import type { TorrentContext } from "./torrent_context.ts";
import type { PeerAddress } from "./tracker/mod.ts";
import { addressScope, formatIp, parseIp } from "./tracker/_ip.ts";
import {
  encodeHandshake,
  type Handshake,
  makeReserved,
  supportsExtensionProtocol,
  supportsFast,
  WireDecoder,
} from "./wire/mod.ts";
import { sameBytes } from "./bytes.ts";

/** Connection attempts to one address before it is given up. */
const MAX_FAILURES = 5;
/** Seconds to wait after a failed attempt, multiplied by the failure count. */
const RETRY_SECONDS = 30;
/** Receive buffer per peer (bytes): several 16 KiB blocks per read on the hot path. */
const RECEIVE_BUFFER = 256 * 1024;

/** The torrent, as the peer set sees it. */
export interface PeerSetOwner extends PeerDelegate {
  /** A connection finished its handshake and joined the swarm. */
  peerReady(peer: PeerConnection): void;
  /** Whether we have every piece (two seeds do not stay connected). */
  readonly complete: boolean;
}

interface Candidate {
  address: PeerAddress;
  failures: number;
  nextAttempt: number;
  connecting: boolean;
  connected: boolean;
  self: boolean;
}

/**
 * Formats an address as `host:port`, with IPv6 hosts in brackets. IP hosts are written in canonical form (RFC
 * 5952 for IPv6, dotted IPv4 for IPv4-mapped IPv6 such as `::ffff:127.0.0.1`, which is how a dual-stack listener
 * sees an IPv4 peer), so one peer has one name whichever way it reached us; other hosts are kept as given.
 *
 * @param address Host (IP text or a name) and port.
 * @returns E.g. `"192.0.2.7:6881"`, `"[2001:db8::7]:6881"`.
 *
 * @example An IPv4-mapped address is named as IPv4
 * ```ts
 * import assert from "node:assert/strict";
 * import { peerName } from "./torrent_peers.ts";
 * assert.equal(peerName({ host: "::ffff:127.0.0.1", port: 6881 }), "127.0.0.1:6881");
 * assert.equal(peerName({ host: "0:0:0:0:0:0:0:1", port: 6881 }), "[::1]:6881");
 * ```
 */
export function peerName(address: PeerAddress): string {
  const bytes = parseIp(address.host);
  const host = bytes === undefined ? address.host : formatIp(bytes);
  return host.includes(":") ? `[${host}]:${address.port}` : `${host}:${address.port}`;
}

/**
 * The address in a `host:port` name made by {@linkcode peerName} (IPv6 hosts come back without brackets).
 *
 * @param name E.g. `"192.0.2.7:6881"` or `"[::1]:6881"`.
 * @returns The host and port; the port is `NaN` when `name` has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addressOf } from "./torrent_peers.ts";
 * assert.deepEqual(addressOf("[::1]:6881"), { host: "::1", port: 6881 });
 * ```
 */
export function addressOf(name: string): PeerAddress {
  const colon = name.lastIndexOf(":");
  return { host: name.slice(0, colon).replace(/^\[|\]$/g, ""), port: Number(name.slice(colon + 1)) };
}

function hostOf(name: string): string {
  return addressOf(name).host;
}

function isLoopback(host: string): boolean {
  const bytes = parseIp(host);
  return bytes !== undefined && addressScope(bytes) === "loopback";
}

/** One torrent's peers. */
export class PeerSet {
  #ctx: TorrentContext;
  #owner: PeerSetOwner;
  #info: TorrentInfo;
  #candidates = new Map<string, Candidate>();
  #peers = new Map<number, PeerConnection>();
  #banned = new Set<string>();
  #strikes = new Map<string, number>();
  #choker: Choker;
  #nextKey = 0;
  #halfOpen = 0;
  /** The owner wants connections: set by `connectMore()`, cleared by `closeAll()` (pause, error, close). */
  #wanted = false;
  #closed = false;

  constructor(ctx: TorrentContext, owner: PeerSetOwner, info: TorrentInfo) {
    this.#ctx = ctx;
    this.#owner = owner;
    this.#info = info;
    this.#choker = new Choker({ uploadSlots: ctx.settings.uploadSlots });
  }

  /** Connected peers. */
  get size(): number {
    return this.#peers.size;
  }

  /** Payload rates summed over the connected peers (bytes/s), and how many of them are seeds. */
  rates(now: number): { downloadRate: number; uploadRate: number; seeds: number } {
    let downloadRate = 0;
    let uploadRate = 0;
    let seeds = 0;
    for (const peer of this.#peers.values()) {
      downloadRate += peer.download.rate(now);
      uploadRate += peer.upload.rate(now);
      if (peer.isSeed) seeds++;
    }
    return { downloadRate, uploadRate, seeds };
  }

  /** The connected peer with this key. */
  get(key: number): PeerConnection | undefined {
    return this.#peers.get(key);
  }

  /** Connected peers, in connection order. */
  connected(): IterableIterator<PeerConnection> {
    return this.#peers.values();
  }

  /** Remembers an address to connect to. Port 0 and banned hosts are ignored. */
  addCandidate(address: PeerAddress): void {
    const name = peerName(address);
    if (address.port <= 0 || address.port > 65535 || this.#isBanned(name)) return;
    if (this.#candidates.has(name) || this.#candidates.size >= 1000) return;
    this.#candidates.set(name, {
      address,
      failures: 0,
      nextAttempt: 0,
      connecting: false,
      connected: false,
      self: false,
    });
  }

  /**
   * Remembers addresses from a tracker or a peer exchange and dials them within the limits, if the owner wants
   * connections now (else at its next `connectMore()`).
   */
  learn(peers: readonly PeerAddress[]): void {
    for (const peer of peers) this.addCandidate(peer);
    if (this.#wanted) this.#fill();
  }

  /** Lets every known address that has not failed for good be dialled at once (after a pause or an error). */
  retryNow(): void {
    for (const candidate of this.#candidates.values()) {
      if (candidate.failures < MAX_FAILURES) candidate.nextAttempt = 0;
    }
  }

  /** Starts connection attempts up to the limits, and keeps dialling as attempts end until `closeAll()`. */
  connectMore(): void {
    this.#wanted = true;
    this.#fill();
  }

  #fill(): void {
    if (this.#closed || !this.#wanted) return;
    const settings = this.#ctx.settings;
    const now = performance.now();
    for (const candidate of this.#candidates.values()) {
      if (this.#peers.size + this.#halfOpen >= settings.maxPeersPerTorrent) return;
      if (this.#halfOpen >= settings.maxHalfOpen) return;
      if (this.#ctx.connections.used + this.#halfOpen >= this.#ctx.connections.limit) return;
      if (candidate.connecting || candidate.connected || candidate.self || candidate.nextAttempt > now) {
        continue;
      }
      if (candidate.failures >= MAX_FAILURES || this.#isBanned(peerName(candidate.address))) continue;
      this.#dial(candidate);
    }
  }

  async #dial(candidate: Candidate): Promise<void> {
    candidate.connecting = true;
    this.#halfOpen++;
    let transport: ByteTransport | undefined;
    try {
      transport = await this.#ctx.connect(candidate.address, this.#ctx.settings.connectTimeout);
      if (this.#closed) throw new Error("Torrent closed");
      await writeAll(transport, encodeHandshake(this.#ourHandshake()));
      const decoder = new WireDecoder({ bufferSize: RECEIVE_BUFFER });
      const handshake = await readHandshake(transport, decoder, this.#ctx.settings.handshakeTimeout);
      if (!wireInfoHashes(this.#info).some((hash) => sameBytes(hash, handshake.infoHash))) {
        throw new Error("Peer answered another info-hash");
      }
      if (sameBytes(handshake.peerId, this.#ctx.peerId)) {
        candidate.self = true;
        throw new Error("Connected to ourselves");
      }
      if (this.#closed || !this.#admit(handshake)) throw new Error("Peer not admitted");
      candidate.failures = 0;
      candidate.connected = true;
      this.#start(transport, decoder, handshake, peerName(candidate.address), false);
      transport = undefined;
    } catch {
      candidate.failures++;
      candidate.nextAttempt = performance.now() + RETRY_SECONDS * 1000 * candidate.failures;
      try {
        transport?.close();
      } catch {
        // Already closed.
      }
    } finally {
      candidate.connecting = false;
      this.#halfOpen--;
      // The slot is free: the next address is dialled now, not at the next tick (most addresses a tracker or a
      // peer exchange gives are dead; waiting a second for each batch of 8 would be slow).
      this.#fill();
    }
  }

  /** Takes over an incoming connection after its handshake (BEP 3: we answer with ours). */
  acceptIncoming(transport: ByteTransport, decoder: WireDecoder, handshake: Handshake, name: string): void {
    if (
      this.#closed || this.#isBanned(name) || sameBytes(handshake.peerId, this.#ctx.peerId) ||
      this.#peers.size >= this.#ctx.settings.maxPeersPerTorrent || !this.#admit(handshake)
    ) {
      transport.close();
      return;
    }
    // BEP 52: a hybrid torrent answers with the info-hash the peer chose (v1, or the truncated v2 one).
    writeAll(transport, encodeHandshake(this.#ourHandshake(handshake.infoHash))).then(
      () => {
        if (this.#closed) transport.close();
        else this.#start(transport, decoder, handshake, name, true);
      },
      () => transport.close(),
    );
  }

  #isBanned(name: string): boolean {
    return this.#banned.has(name) || this.#banned.has(hostOf(name));
  }

  /** Whether a connection with this handshake may join: no duplicate peer ids, within the session cap. */
  #admit(handshake: Handshake): boolean {
    if (this.#ctx.connections.used >= this.#ctx.connections.limit) return false;
    for (const peer of this.#peers.values()) {
      if (sameBytes(peer.peerId, handshake.peerId)) return false;
    }
    return true;
  }

  #ourHandshake(infoHash: Uint8Array = this.#info.infoHash): Handshake {
    return {
      // BEP 52: for a hybrid, the v2 bit says the peer may upgrade the connection by answering the v2 hash.
      reserved: makeReserved({ fast: true, extensionProtocol: true, v2: this.#info.version !== "v1" }),
      infoHash,
      peerId: this.#ctx.peerId,
    };
  }

  #start(
    transport: ByteTransport,
    decoder: WireDecoder,
    handshake: Handshake,
    name: string,
    incoming: boolean,
  ) {
    const key = this.#nextKey++;
    const peer = new PeerConnection({
      transport,
      decoder,
      handshake,
      pieceCount: this.#info.pieceCount,
      name,
      incoming,
      key,
      delegate: this.#owner,
      // Both sides set the bit (ours always is): BEP 6 is on.
      fast: supportsFast(handshake.reserved),
      extensions: supportsExtensionProtocol(handshake.reserved),
      // BEP 52: a v2-only torrent's hash, or a hybrid's truncated v2 hash chosen by either side.
      v2: this.#info.version !== "v1" && !sameBytes(handshake.infoHash, v1InfoHash(this.#info)),
    });
    this.#peers.set(key, peer);
    this.#ctx.connections.used++;
    this.#ctx.alerts.push({
      type: "peer_connected",
      category: "peer",
      infoHash: this.#info.infoHashHex,
      peer: name,
      incoming,
    });
    this.#owner.peerReady(peer);
    peer.run();
  }

  /** Forgets a closed connection (called from the owner's `peerClosed`). */
  remove(peer: PeerConnection, reason: string): void {
    if (!this.#peers.delete(peer.key)) return;
    this.#ctx.connections.used--;
    const candidate = this.#candidates.get(peer.name);
    if (candidate !== undefined) {
      candidate.connected = false;
      // Reconnect later, but not to a seed while we are one too.
      candidate.nextAttempt = performance.now() + RETRY_SECONDS * 1000;
      if (reason === "both seeds") candidate.failures = MAX_FAILURES;
    }
    this.#ctx.alerts.push({
      type: "peer_disconnected",
      category: "peer",
      infoHash: this.#info.infoHashHex,
      peer: peer.name,
      reason,
    });
  }

  /**
   * Runs the choker (BEP 3 choking) over the connected peers and sends the resulting choke and unchoke messages.
   * @param now Monotonic time (ms).
   * @param seeding Whether we have every piece (slots then go by upload rate).
   */
  rechoke(now: number, seeding: boolean): void {
    const peers = [...this.#peers.values()];
    const unchoke = this.#choker.rechoke(
      peers.map((peer) => ({
        key: peer.key,
        interested: peer.peerInterested,
        choked: peer.amChoking,
        downloadRate: peer.download.rate(now),
        uploadRate: peer.upload.rate(now),
        isSeed: peer.isSeed,
        connectedAt: peer.connectedAt,
      })),
      now,
      seeding,
    );
    for (const peer of peers) {
      if (unchoke.has(peer.key)) peer.unchoke();
      else peer.choke();
    }
  }

  /**
   * Blames the peers that sent blocks of a piece that failed its hash check (smart ban, simplified): a sole
   * contributor surely sent bad data and is banned at once; with several, each gets a strike and is banned at
   * three.
   * @param contributors Keys of the connected peers that sent blocks of the piece.
   * @param piece The piece index, for the ban reason.
   * @returns The contributors' names (`host:port`).
   */
  blame(contributors: readonly number[], piece: number): string[] {
    const names: string[] = [];
    for (const key of contributors) {
      const peer = this.#peers.get(key);
      if (peer === undefined) continue;
      names.push(peer.name);
      const strikes = (this.#strikes.get(peer.name) ?? 0) + (contributors.length === 1 ? 3 : 1);
      this.#strikes.set(peer.name, strikes);
      if (strikes >= 3) this.ban(peer, `sent data for piece ${piece} that failed its hash check`);
    }
    return names;
  }

  /**
   * Closes a peer and refuses its IP address from now on. Loopback peers are banned by `host:port` instead:
   * every local peer shares 127.0.0.1, and one bad local peer must not cut off the others.
   */
  ban(peer: PeerConnection, reason: string): void {
    const host = hostOf(peer.name);
    this.#banned.add(isLoopback(host) ? peer.name : host);
    this.#ctx.alerts.push({
      type: "peer_banned",
      category: "peer",
      infoHash: this.#info.infoHashHex,
      peer: peer.name,
      reason,
    });
    peer.close(`banned: ${reason}`);
  }

  /** Closes every connection; with `final`, also stops new ones for good. */
  closeAll(reason: string, final = false): void {
    if (final) this.#closed = true;
    this.#wanted = false;
    for (const peer of [...this.#peers.values()]) peer.close(reason);
  }
}

/**
 * The 20-byte info-hashes a torrent's peers may use in the handshake: the v1 SHA-1 (v1 and hybrid), and for v2
 * and hybrid torrents the SHA-256 of the info dictionary truncated to 20 bytes (BEP 52).
 */
export function wireInfoHashes(info: Pick<TorrentInfo, "infoHash" | "infoHashV2">): Uint8Array[] {
  const hashes = [info.infoHash];
  if (info.infoHashV2 !== undefined) {
    const truncated = info.infoHashV2.subarray(0, 20);
    if (!sameBytes(truncated, info.infoHash)) hashes.push(truncated);
  }
  return hashes;
}

/** The v1 (SHA-1) info-hash of a v1 or hybrid torrent; an empty array for a v2-only one. */
function v1InfoHash(info: TorrentInfo): Uint8Array {
  return info.version === "v2" ? new Uint8Array(0) : info.infoHash;
}
