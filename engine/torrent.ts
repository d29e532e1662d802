/**
 * One torrent's swarm: the have-bitfield and picker, the peers, the trackers, the choker, and the piece buffers
 * on their way to the disk workers (DESIGN.md section 3).
 *
 * @module
 */

import type { AlertInput, TorrentState } from "./alerts.ts";
import { StorageError } from "./errors.ts";
import type { TorrentInfo } from "./metainfo/mod.ts";
import type { ByteTransport, PeerConnection, PeerDelegate } from "./peer_connection.ts";
import type { PeerKey, PiecePicker } from "./picker/mod.ts";
import { TorrentAnnouncer } from "./torrent_announcer.ts";
import { statusOf, type TorrentStatus } from "./torrent_status.ts";
import type { PeerAddress } from "./tracker/mod.ts";
import type { Handshake, WireDecoder } from "./wire/mod.ts";
import { PeerSet, wireInfoHashes } from "./torrent_peers.ts";
import type { TorrentContext, TorrentOptions } from "./torrent_context.ts";
import { TorrentDownload } from "./torrent_download.ts";
import { TorrentExtensions } from "./peer_extensions.ts";
import type { HashMessage } from "./peer_delegate.ts";
import { TorrentHashes } from "./torrent_hashes.ts";
import { TorrentDht } from "./torrent_dht.ts";
import { type CheckpointState, type StartMode, TorrentData } from "./torrent_data.ts";
import { TorrentFiles } from "./torrent_files.ts";

/** Seconds between choker runs (BEP 3: every ten seconds). */
const RECHOKE_SECONDS = 10;

/** One torrent in a session. Internal: the public API is `TorrentHandle`. */
export class Torrent implements PeerDelegate {
  /** Parsed metainfo. */
  readonly info: TorrentInfo;
  /** Absolute save directory. */
  readonly savePath: string;
  readonly #ctx: TorrentContext;
  readonly #download: TorrentDownload;
  /** The file selection (priorities) and the verified-byte counts over it. */
  readonly files: TorrentFiles;
  readonly #data: TorrentData;
  #mode: StartMode;
  readonly #peers: PeerSet;
  /** One announcer per info-hash: a hybrid torrent joins its v1 and its v2 swarm (BEP 52). */
  readonly #announcers: TorrentAnnouncer[];
  #state: TorrentState = "checking";
  #error: string | undefined;
  readonly #extensions: TorrentExtensions;
  readonly #hashes: TorrentHashes;
  readonly #dht: TorrentDht[] = [];
  #uploaded = 0;
  #finishedAt: number | null = null;
  #tick: ReturnType<typeof setInterval> | undefined;
  #lastRechoke = 0;
  #closed = false;
  /** Whether `event=completed` needs no sending: sent already, or every piece was had at start. */
  #completedSent = false;

  /** `filePriorities`: one per file, 0 (skip) to 7, set by the caller; else recorded ones, else all wanted. */
  constructor(ctx: TorrentContext, options: TorrentOptions & { filePriorities?: readonly number[] }) {
    this.#ctx = ctx;
    this.info = options.info;
    this.savePath = options.savePath;
    this.#download = new TorrentDownload(options.info, ctx.budget, ctx.diskIo, () => this.#data.storageId, {
      verified: (index) => this.#pieceVerified(index),
      failed: (index, blamed) => this.#pieceFailed(index, blamed),
      unverified: (index) => this.#hashes.unverified(index),
      error: (error) => this.#fail(error),
      drained: () => this.#fillAll(),
      cancel: (keys, index, begin, length) => {
        for (const key of keys) this.#peers.get(key)?.sendCancel(index, begin, length);
      },
    });
    this.#mode = options.mode ?? "resume";
    this.#data = new TorrentData({
      ...options,
      store: ctx.store,
      diskIo: ctx.diskIo,
      alerts: ctx.alerts,
      snapshot: () => this.#snapshot(),
      fileWanted: (i) => this.files.fileWanted(i),
      onDataLost: (pieces) => this.files.lose(pieces),
      fetchedLayers: () => this.#hashes.fetchedLayers,
    });
    this.files = new TorrentFiles(options.info, {
      priorities: options.filePriorities,
      data: this.#data,
      onChange: () => this.#wantChanged(),
      onError: (error) => this.#fail(error),
    });
    this.#extensions = new TorrentExtensions({
      infoBytes: options.info.infoBytes,
      private: options.info.private,
      pex: ctx.settings.pex,
      onPeers: (peers) => this.#peers.learn(peers),
      listenPort: ctx.listenPort,
    });
    // BEP 52: a magnet's metadata has no piece layers; they are fetched from v2 peers.
    this.#hashes = new TorrentHashes(options.info, {
      diskIo: ctx.diskIo,
      storageId: () => this.#data.storageId,
      reverify: (index) => this.#download.reverify(index),
      ban: (peer, reason) => this.#peers.ban(peer, reason),
      layersFetched: (layers) => this.#data.savePieceLayers(layers),
      layerMismatch: (fileIndex, message) =>
        this.#alert({
          type: "hybrid_mismatch",
          category: "error",
          infoHash: this.infoHash,
          fileIndex,
          message,
        }),
    });
    this.#peers = new PeerSet(ctx, this, options.info);
    for (const peer of options.peers ?? []) this.#peers.addCandidate(peer);
    const hashes = wireInfoHashes(options.info);
    this.#announcers = hashes.map((infoHash) =>
      new TorrentAnnouncer({
        tiers: options.info.announceList,
        announce: ctx.announce,
        request: (event) => ({
          infoHash,
          peerId: ctx.peerId,
          port: ctx.listenPort(),
          uploaded: this.#uploaded,
          downloaded: this.#download.downloaded,
          // Every missing piece counts, wanted or not: a partial selection is never reported as complete.
          left: this.info.totalLength - this.files.verifiedBytes,
          event,
          numwant: 50,
          key: ctx.trackerKey,
        }),
        alerts: ctx.alerts,
        infoHash: options.info.infoHashHex,
        onPeers: (peers) => this.#peers.learn(peers),
      })
    );
    if (ctx.dht !== undefined && !options.info.private) {
      const dht = ctx.dht;
      this.#dht = hashes.map((hash) =>
        new TorrentDht(dht, hash, ctx.listenPort, (p) => this.#peers.learn(p))
      );
    }
    if (options.paused) this.#state = "paused";
  }

  /** The picker of the current run (a new one per check). */
  get #picker(): PiecePicker {
    return this.#download.picker;
  }

  /** Info-hash as 40 lowercase hex characters. */
  get infoHash(): string {
    return this.info.infoHashHex;
  }

  /** Whether every piece is verified (wanted or not). */
  get complete(): boolean {
    return this.files.allVerified;
  }

  /** What is wanted or had changed: a finished torrent downloads again, or finishes; peers hear our interest. */
  #wantChanged(): void {
    if (this.#state === "seeding" && !this.#picker.complete) this.#setState("downloading");
    else if (this.#state === "downloading" && this.#picker.complete) this.#finished();
    for (const peer of this.#peers.connected()) this.#updateInterest(peer);
  }

  /**
   * Registers the storage, decides from the record what to trust and what to hash, checks that, records the
   * result, then joins the swarm (unless paused). Also how a torrent in `error` starts again.
   */
  async start(): Promise<void> {
    this.#download.reset();
    this.#hashes.reset();
    this.#error = undefined;
    const paused = this.#state === "paused";
    this.#setState("checking");
    try {
      this.files.attach(this.#picker);
      await this.#data.openStorage();
      const plan = await this.#data.plan(this.#mode);
      this.#mode = "resume";
      await this.files.adopt(plan.filePriorities);
      for (const index of plan.trusted.indices()) this.files.markHave(index);
      await this.#data.check(plan.check, (index) => this.files.markHave(index), () => this.#closed);
      if (this.#closed) return;
      // Record what the check found; with nothing checked, the record already says it all.
      if (plan.check.length > 0) await this.#data.checkpoint();
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (this.#closed) return;
    this.#completedSent = this.files.allVerified;
    this.#alert({
      type: "torrent_checked",
      category: "status",
      infoHash: this.infoHash,
      piecesHave: this.#picker.have.count,
    });
    this.#setState(paused ? "paused" : this.#picker.complete ? "seeding" : "downloading");
    if (this.#picker.complete) this.#finishedAt = performance.now();
    this.#buildLayers();
    clearInterval(this.#tick);
    this.#tick = setInterval(() => this.#onTick(), 1000);
    if (!paused) this.#join();
  }

  #join(): void {
    // Peers we dropped ourselves (pause, error) are worth dialling again at once.
    this.#peers.retryNow();
    for (const announcer of this.#announcers) announcer.start();
    for (const dht of this.#dht) dht.start();
    this.#peers.connectMore();
  }

  /** Adds a peer address to connect to (e.g. `--peer`). */
  addPeer(peer: PeerAddress): void {
    this.#peers.addCandidate(peer);
    if (this.#state === "downloading" || this.#state === "seeding") this.#peers.connectMore();
  }

  /** Takes over an incoming connection whose handshake named this torrent. */
  acceptIncoming(transport: ByteTransport, decoder: WireDecoder, handshake: Handshake, name: string): void {
    if (this.#closed || this.#state === "checking" || this.#state === "paused" || this.#state === "error") {
      transport.close();
      return;
    }
    this.#peers.acceptIncoming(transport, decoder, handshake, name);
  }

  /** Re-announces to the trackers now. */
  reannounce(): void {
    for (const announcer of this.#announcers) announcer.reannounce();
  }

  /** Stops transferring: disconnects peers, keeps the data. */
  pause(): void {
    if (this.#state === "paused" || this.#state === "checking" || this.#closed) return;
    this.#peers.closeAll("paused");
    this.#setState("paused");
  }

  /** Resumes after `pause()`. */
  resume(): void {
    if (this.#closed) return;
    if (this.#state === "error") {
      // Start again from what is recorded: files that changed are checked, the rest is trusted.
      this.start();
      return;
    }
    if (this.#state !== "paused") return;
    this.#setState(this.#picker.complete ? "seeding" : "downloading");
    this.#join();
  }

  /** A frozen snapshot of the torrent's state. */
  status(): TorrentStatus {
    const now = performance.now();
    return statusOf({
      info: this.info,
      savePath: this.savePath,
      state: this.#state,
      error: this.#error,
      checkProgress: this.#data.checkProgress,
      bytes: this.files,
      piecesHave: this.#picker.have.count,
      peers: this.#peers.size,
      rates: this.#peers.rates(now),
      counters: {
        downloaded: this.#download.downloaded,
        uploaded: this.#uploaded,
        wasted: this.#download.wasted,
      },
      seedingSeconds: this.#finishedAt === null ? null : (now - this.#finishedAt) / 1000,
    });
  }

  /** Leaves the swarm: `stopped` announce, peers closed, storage released. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#tick);
    for (const dht of this.#dht) dht.stop();
    this.#peers.closeAll("torrent closed", true);
    // Writes in flight still finish and count, so the last checkpoint records everything that reached the disk.
    await this.#download.settle();
    if (this.#data.storageId >= 0 && this.#state !== "checking" && this.#state !== "error") {
      await this.#data.checkpoint().catch((error) => this.#fail(error));
    }
    await this.#data.idle();
    await Promise.all(this.#announcers.map((announcer) => announcer.stop()));
    if (this.#data.storageId >= 0) await this.#ctx.diskIo.removeStorage(this.#data.storageId).catch(() => {});
    this.#download.releaseAll();
  }

  peerHas(peer: PeerConnection, index: number): void {
    if (index < 0) this.#picker.addAvailability(peer.bitfield);
    else this.#picker.incrementAvailability(index);
    // A torrent finished with files left out keeps its seeds: changing the selection needs them again.
    if (this.complete && peer.isSeed) {
      peer.close("both seeds");
      return;
    }
    this.#updateInterest(peer);
  }

  peerChoked(peer: PeerConnection): void {
    // BEP 6: with the fast extension a choke does not void requests; the peer rejects the ones it drops.
    if (!peer.fast) this.#picker.abortPeer(peer.key);
  }

  extendedMessage(peer: PeerConnection, id: number, payload: Uint8Array): void {
    this.#extensions.received(peer, id, payload);
  }

  hashMessage(peer: PeerConnection, message: HashMessage): void {
    this.#hashes.received(peer, message);
  }

  requestRejected(peer: PeerConnection, index: number, begin: number): void {
    this.#picker.abortRequest(peer.key, index, begin);
  }

  peerUnchoked(peer: PeerConnection): void {
    this.#fillRequests(peer);
  }

  peerInterestChanged(_peer: PeerConnection): void {
    this.#rechoke(performance.now());
  }

  blockReceived(peer: PeerConnection, index: number, begin: number, block: Uint8Array): void {
    this.#download.blockReceived(peer, index, begin, block);
  }

  readBlock(_peer: PeerConnection, index: number, begin: number, length: number): Promise<Uint8Array | null> {
    if (!this.#picker.have.has(index) || this.#data.storageId < 0) return Promise.resolve(null);
    return this.#ctx.diskIo.read(this.#data.storageId, index, begin, length).then((block) => {
      this.#uploaded += block.length;
      return block;
    }, (error) => {
      this.#fail(error);
      return null;
    });
  }

  havePiece(index: number): boolean {
    return this.#picker.have.has(index);
  }

  pieceSize(index: number): number {
    return this.#picker.pieceSize(index);
  }

  afterMessages(peer: PeerConnection): void {
    this.#fillRequests(peer);
    this.#hashes.request(peer);
  }

  peerClosed(peer: PeerConnection, reason: string): void {
    this.#picker.abortPeer(peer.key);
    this.#extensions.forget(peer);
    this.#hashes.forget(peer);
    this.#picker.removeAvailability(peer.bitfield);
    this.#peers.remove(peer, reason);
    if (!this.#closed && this.#state !== "paused") this.#peers.connectMore();
  }

  /** Called by the peer set when a connection is set up. */
  peerReady(peer: PeerConnection): void {
    peer.sendBitfield(this.#picker.have);
    if (peer.extensions) this.#extensions.handshake(peer);
    this.#rechoke(performance.now());
  }

  #updateInterest(peer: PeerConnection): void {
    const interesting = this.#state === "downloading" &&
      this.#picker.isInteresting(peer.isSeed ? "all" : peer.bitfield);
    peer.setInterested(interesting);
    if (interesting) this.#fillRequests(peer);
  }

  #fillRequests(peer: PeerConnection): void {
    if (this.#state === "downloading") this.#download.fill(peer);
  }

  #pieceVerified(index: number): void {
    this.files.markHave(index);
    this.#data.markDirty();
    this.#alert({ type: "piece_finished", category: "progress", infoHash: this.infoHash, piece: index });
    for (const peer of this.#peers.connected()) {
      peer.sendHave(index);
      if (peer.amInterested && !this.#picker.isInteresting(peer.isSeed ? "all" : peer.bitfield)) {
        peer.setInterested(false);
      }
    }
    if (this.#picker.complete && this.#state === "downloading") this.#finished();
  }

  /** Every wanted piece is verified: finished once durable; trackers hear `completed` once every piece is. */
  async #finished(): Promise<void> {
    try {
      await this.#data.checkpoint();
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (this.#state !== "downloading" || !this.#picker.complete) return;
    try {
      await this.#data.applyAttributes((i) => this.files.fileWanted(i));
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (this.#state !== "downloading" || !this.#picker.complete) return;
    this.#finishedAt = performance.now();
    this.#setState("seeding");
    this.#alert({ type: "torrent_finished", category: "status", infoHash: this.infoHash });
    this.#buildLayers();
    if (!this.complete) return;
    if (!this.#completedSent) { for (const announcer of this.#announcers) announcer.completed(); }
    this.#completedSent = true;
    for (const peer of this.#peers.connected()) {
      if (peer.isSeed) peer.close("both seeds");
    }
  }

  /** A hybrid from a magnet: the piece layers of its verified files, from the data (BEP 52). */
  #buildLayers(): void {
    this.#hashes.buildLayers((piece) => this.#picker.have.has(piece));
  }

  #pieceFailed(index: number, blamed: PeerKey[]): void {
    const peers = this.#peers.blame(blamed, index);
    this.#alert({ type: "hash_failed", category: "error", infoHash: this.infoHash, piece: index, peers });
  }

  #fail(error: unknown): void {
    if (this.#state === "error") return;
    if (error instanceof StorageError) {
      const { path, message } = error;
      this.#alert({ type: "storage_error", category: "storage", infoHash: this.infoHash, path, message });
    }
    this.#error = error instanceof Error ? error.message : String(error);
    this.#setState("error");
    this.#alert({ type: "torrent_error", category: "error", infoHash: this.infoHash, message: this.#error });
    this.#peers.closeAll("torrent error");
    this.#data.recordFailure();
  }

  #snapshot(): CheckpointState {
    return {
      have: this.#picker.have.clone(),
      live: this.#picker.have,
      uploaded: this.#uploaded,
      downloaded: this.#download.downloaded,
      state: this.#state,
      error: this.#error,
      complete: this.complete,
    };
  }

  #fillAll(): void {
    for (const peer of this.#peers.connected()) this.#fillRequests(peer);
  }

  #onTick(): void {
    const now = performance.now();
    for (const peer of this.#peers.connected()) {
      if (peer.tick(now, this.#picker.requestsOf(peer.key)) === "request_timeout") {
        this.#picker.abortPeer(peer.key);
      }
    }
    if (now - this.#lastRechoke >= RECHOKE_SECONDS * 1000) this.#rechoke(now);
    this.#extensions.tick([...this.#peers.connected()], now);
    this.#hashes.tick(this.#peers.connected(), now);
    if (this.#data.checkpointDue(now)) this.#data.checkpoint().catch((error) => this.#fail(error));
    if (this.#state === "downloading" || this.#state === "seeding") {
      this.#fillAll();
      this.#peers.connectMore();
    }
  }

  #rechoke(now: number): void {
    this.#lastRechoke = now;
    this.#peers.rechoke(now, this.#picker.complete);
  }

  #setState(state: TorrentState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#alert({ type: "state_changed", category: "status", infoHash: this.infoHash, state });
  }

  #alert(alert: AlertInput): void {
    this.#ctx.alerts.push(alert);
  }
}
