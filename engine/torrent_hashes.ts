/**
 * One torrent's side of the BEP 52 hash exchange on v2 connections: hash requests answered from our piece layers
 * through a {@linkcode HashServer}, rate-limited per peer, and a flood dropped (HOSTILE_INPUTS.md case 43); and,
 * for a torrent whose metadata came without `piece layers` (a v2 or hybrid magnet, BEP 9), the missing layers
 * fetched from v2 peers with a {@linkcode LayerFetcher}, handed to the storage, and the pieces written unverified
 * meanwhile checked again.
 *
 * @module
 */

import { PeerProtocolError } from "./errors.ts";
import type { TorrentInfo } from "./metainfo/mod.ts";
import type { PeerConnection } from "./peer_connection.ts";
import type { HashMessage } from "./peer_delegate.ts";
import type { DiskIo } from "./storage/disk_io.ts";
import { HashRequestBudget, HashServer, LayerFetcher } from "./v2/mod.ts";
import { hex } from "./bytes.ts";
import { MERKLE_HASH_SIZE } from "./merkle/mod.ts";
import { runInLanes } from "./lanes.ts";

/** What {@linkcode TorrentHashes} uses of its torrent to fetch piece layers. */
export interface TorrentHashesOptions {
  /** The session's disk jobs: fetched layers go to `setPieceLayer`. */
  diskIo: DiskIo;
  /** The torrent's storage id in `diskIo` (-1 before it is registered). */
  storageId: () => number;
  /** Checks a piece written unverified again, now that its layer is in the storage (`TorrentDownload.reverify`). */
  reverify: (index: number) => void;
  /** Bans a peer that sent hashes that do not lead to the pieces root. */
  ban: (peer: PeerConnection, reason: string) => void;
  /** Every missing layer is fetched and stored: to record them (keyed by pieces root in lowercase hex). */
  layersFetched?: (layers: ReadonlyMap<string, Uint8Array>) => void;
  /**
   * A hybrid's file whose data passed its SHA-1 checks does not lead to its v2 pieces root (see
   * {@linkcode TorrentHashes.buildLayers}): the torrent's two hash trees describe different data.
   */
  layerMismatch?: (fileIndex: number, message: string) => void;
}

/** Pieces hashed at once when a layer is computed from the data: enough for every worker, few enough to share. */
const BUILD_JOBS = 4;

/** Answers the hash requests of a torrent's v2 peers, and fetches the piece layers its metadata lacks. */
export class TorrentHashes {
  readonly #server: HashServer | undefined;
  readonly #budgets = new Map<number, HashRequestBudget>();
  readonly #fetcher: LayerFetcher | undefined;
  readonly #options: TorrentHashesOptions | undefined;
  /** Pieces root (hex) of each piece of a file that has a piece layer to fetch. */
  readonly #rootOfPiece = new Map<number, string>();
  /** Pieces roots (hex) whose layer the storage has. */
  readonly #stored = new Set<string>();
  /** Pieces written unverified, by pieces root (hex), until their layer is stored. */
  readonly #pending = new Map<string, Set<number>>();
  /** Pieces roots (hex) of the files whose layer is fetched. */
  readonly #roots = new Set<string>();
  #info: TorrentInfo | undefined;
  #building = false;
  #buildAgain = false;
  #buildHas: (piece: number) => boolean = () => false;
  /** Files of a hybrid whose data does not lead to their v2 pieces root: not hashed again. */
  readonly #mismatched = new Set<number>();

  /**
   * @param info The torrent. With its piece layers, requests are served from them. A v2 or hybrid torrent
   *   without them (from a magnet) fetches them when `options` is given, and serves each layer once fetched.
   * @param options How to hand fetched layers to the storage; without it nothing is fetched.
   */
  constructor(info: TorrentInfo, options?: TorrentHashesOptions) {
    if (info.version === "v1") return;
    if (info.pieceLayers !== undefined) {
      this.#server = new HashServer(info);
      return;
    }
    if (options === undefined) return;
    this.#options = options;
    this.#info = info;
    const fetcher = new LayerFetcher(info);
    this.#fetcher = fetcher;
    this.#server = new HashServer({ ...info, pieceLayers: fetcher.pieceLayers() });
    for (const file of info.files) {
      if (file.piecesRoot === undefined || file.padding || file.length <= info.pieceLength) continue;
      const root = hex(file.piecesRoot);
      this.#roots.add(root);
      const first = file.offset / info.pieceLength;
      const end = Math.ceil((file.offset + file.length) / info.pieceLength);
      for (let piece = first; piece < end; piece++) this.#rootOfPiece.set(piece, root);
    }
  }

  /** Whether every piece layer is known (from the metainfo, or fetched and stored). */
  get layersComplete(): boolean {
    return this.#fetcher === undefined || this.#stored.size === this.#roots.size;
  }

  /**
   * The piece layers fetched so far, keyed by pieces root in lowercase hex (for a new storage registration), or
   * `undefined` when the metainfo had them (or the torrent is v1).
   */
  get fetchedLayers(): ReadonlyMap<string, Uint8Array> | undefined {
    return this.#fetcher?.pieceLayers();
  }

  /**
   * A hash message from a v2 connection: a request is served (or rejected); `hashes` and `hash reject` answer our
   * requests (anything else of theirs is ignored).
   * @throws {PeerProtocolError} `hash_request_flood` when the peer keeps asking past its budget.
   */
  received(peer: PeerConnection, message: HashMessage): void {
    if (message.type === "hashes") {
      this.#hashesReceived(peer, message);
      return;
    }
    if (message.type === "hash_reject") {
      if (this.#fetcher?.onReject(peer.key, message, performance.now())) this.request(peer);
      return;
    }
    let budget = this.#budgets.get(peer.key);
    if (budget === undefined) this.#budgets.set(peer.key, budget = new HashRequestBudget());
    const decision = budget.take(performance.now());
    if (decision === "drop") {
      throw new PeerProtocolError("hash_request_flood", "Peer sent too many hash requests");
    }
    const { baseLayer, index, length, proofLayers } = message;
    const request = { piecesRoot: message.piecesRoot.slice(), baseLayer, index, length, proofLayers };
    if (decision === "reject" || this.#server === undefined) {
      peer.sendHashReject(request);
      return;
    }
    this.#server.answer(request).then((reply) => {
      if (reply.type === "hashes") peer.sendHashes(reply.request, reply.hashes);
      else peer.sendHashReject(reply.request);
    }, () => peer.sendHashReject(request));
  }

  /**
   * Sends `peer` the hash requests it may take now (BEP 52), when layers are missing and it is a v2 connection: a
   * seed is asked for any layer, another peer only for hashes covering a piece it has.
   */
  request(peer: PeerConnection, now: number = performance.now()): void {
    const fetcher = this.#fetcher;
    if (fetcher === undefined || fetcher.complete || !peer.v2 || peer.closed) return;
    const has = peer.isSeed ? undefined : (piece: number) => peer.bitfield.has(piece);
    for (let ref = fetcher.nextRequest(peer.key, now, { has }); ref !== undefined;) {
      peer.sendHashRequest(ref);
      ref = fetcher.nextRequest(peer.key, now, { has });
    }
  }

  /** Gives up hash requests unanswered for too long, and asks the connected peers again. */
  tick(peers: Iterable<PeerConnection>, now: number): void {
    const fetcher = this.#fetcher;
    if (fetcher === undefined || fetcher.complete) return;
    fetcher.expire(now);
    for (const peer of peers) this.request(peer, now);
  }

  /**
   * Piece `index` was written unverified (its layer unknown): checked again as soon as its layer is stored, at
   * once when it already is.
   */
  unverified(index: number): void {
    const root = this.#rootOfPiece.get(index);
    if (root === undefined || this.#stored.has(root)) {
      this.#options?.reverify(index);
      return;
    }
    let pending = this.#pending.get(root);
    if (pending === undefined) this.#pending.set(root, pending = new Set());
    pending.add(index);
  }

  /**
   * Computes the piece layers a hybrid torrent's metadata lacked from its own data (BEP 52 "Upgrade Path": the
   * pieces must match both hash formats). Every file whose pieces are all verified (`has`, by their SHA-1) is
   * hashed again in the disk workers for the v2 root of each piece; a layer that leads to the file's pieces root is
   * stored, served and recorded like a fetched one. One that does not means the v1 and v2 hashes describe
   * different data: `layerMismatch` hears of it and the file stays without a layer (v2 peers get `hash reject`).
   * A hybrid from a magnet usually joins its peers with the v1 info-hash, where no hash messages flow, so this is
   * how it becomes able to serve v2 peers. A file found inconsistent is not hashed again. A call while a pass runs
   * makes it take another pass (with this `has`) when done; a call for a v2-only torrent, or one with every layer,
   * does nothing; an error of the storage (closed, file gone) ends it quietly (the torrent reports that itself).
   *
   * @param has Whether a piece (global index) is verified.
   */
  async buildLayers(has: (piece: number) => boolean): Promise<void> {
    const fetcher = this.#fetcher;
    const info = this.#info;
    const options = this.#options;
    if (info?.version !== "hybrid" || fetcher === undefined || options === undefined || fetcher.complete) {
      return;
    }
    this.#buildHas = has;
    if (this.#building) {
      // Files verified meanwhile are looked at once the running pass ends.
      this.#buildAgain = true;
      return;
    }
    this.#building = true;
    try {
      do {
        this.#buildAgain = false;
        const has = this.#buildHas;
        for (const fileIndex of fetcher.missingFiles) {
          if (fetcher.pieceLayer(fileIndex) !== undefined || this.#mismatched.has(fileIndex)) continue;
          const file = info.files[fileIndex];
          const first = file.offset / info.pieceLength;
          const count = Math.ceil(file.length / info.pieceLength);
          let all = true;
          for (let piece = first; piece < first + count && all; piece++) all = has(piece);
          if (!all) continue;
          const layer = await this.#hashLayer(first, count);
          if (layer === undefined) return;
          if (fetcher.setLayer(fileIndex, layer)) {
            this.#store(fileIndex);
            continue;
          }
          this.#mismatched.add(fileIndex);
          options.layerMismatch?.(
            fileIndex,
            `File ${fileIndex} passed its SHA-1 checks but does not match its v2 pieces root: ` +
              "it is served to v1 peers only",
          );
        }
      } while (this.#buildAgain);
    } finally {
      this.#building = false;
    }
  }

  /** The v2 roots of pieces `first .. first + count - 1`, hashed from disk; `undefined` when the storage fails. */
  async #hashLayer(first: number, count: number): Promise<Uint8Array | undefined> {
    const { diskIo, storageId } = this.#options!;
    const layer = new Uint8Array(count * MERKLE_HASH_SIZE);
    try {
      await runInLanes(count, BUILD_JOBS, async (i) => {
        const id = storageId();
        if (id < 0) throw new Error("storage closed");
        const { root } = await diskIo.hashPiece(id, first + i, { sha1: false, v2: true });
        if (root === undefined) throw new Error(`piece ${first + i} has no v2 root`);
        layer.set(root, i * MERKLE_HASH_SIZE);
      });
      return layer;
    } catch {
      return undefined;
    }
  }

  /** Forgets the pieces waiting for their layer (the torrent starts over with a new check, which hashes them). */
  reset(): void {
    this.#pending.clear();
  }

  /** Forgets a closed connection: its budget, and its hash requests in flight (asked of others instead). */
  forget(peer: PeerConnection): void {
    this.#budgets.delete(peer.key);
    this.#fetcher?.removePeer(peer.key);
  }

  #hashesReceived(peer: PeerConnection, message: Extract<HashMessage, { type: "hashes" }>): void {
    const fetcher = this.#fetcher;
    if (fetcher === undefined) return;
    const outcome = fetcher.onHashes(peer.key, message);
    if (outcome.type === "invalid") {
      this.#options!.ban(peer, `sent piece hashes that fail their proof: ${outcome.reason}`);
      return;
    }
    if (outcome.type === "accepted" && outcome.fileComplete) this.#store(outcome.fileIndex);
    this.request(peer);
  }

  /**
   * Hands a completed layer to the storage, then checks the pieces of it written meanwhile. A storage registered
   * later (or again) gets the layer through {@linkcode TorrentHashes.fetchedLayers} instead.
   */
  #store(fileIndex: number): void {
    const root = this.#info!.files[fileIndex].piecesRoot!;
    const rootHex = hex(root);
    const layer = this.#fetcher!.pieceLayer(fileIndex)!;
    const options = this.#options!;
    const put = async () => {
      for (let id = options.storageId(); id >= 0; id = options.storageId()) {
        try {
          return await options.diskIo.setPieceLayer(id, root, layer);
        } catch (error) {
          if (options.storageId() === id) throw error;
        }
      }
    };
    put().then(() => {
      this.#stored.add(rootHex);
      const pending = this.#pending.get(rootHex) ?? new Set();
      this.#pending.delete(rootHex);
      for (const index of pending) options.reverify(index);
      if (this.layersComplete) options.layersFetched?.(this.#fetcher!.pieceLayers());
    }, () => {
      // The storage is gone (the torrent closes): nothing left to check.
    });
  }
}
