/**
 * The requesting side of the BEP 52 hash exchange: fetching the piece layers a v2 magnet's metadata lacks.
 *
 * @module
 */

import { MERKLE_HASH_SIZE, pieceLayerRoot, proofRoot, uncleCount } from "../merkle/mod.ts";
import type { PeerKey } from "../picker/mod.ts";
import { type HashRequestRef, MAX_HASH_REQUEST_LENGTH } from "../wire/mod.ts";
import { nextPowerOfTwo, type V2File, v2Files, type V2Torrent } from "./_v2_files.ts";
import { hex, sameBytes } from "../bytes.ts";

/** Options of {@linkcode LayerFetcher}; times in milliseconds. */
export interface LayerFetcherOptions {
  /** How long a request may go unanswered before `expire()` gives it up. Default 60,000 (DESIGN.md section 8). */
  timeout?: number;
  /** Most requests in flight to one peer. Default 4. */
  maxOutstandingPerPeer?: number;
  /** How long a peer that rejected (or timed out on) a chunk is not asked for it again. Default 60,000. */
  retryAfter?: number;
}

/** Options of {@linkcode LayerFetcher.nextRequest}. */
export interface NextHashRequestOptions {
  /**
   * Whether the peer has a piece (global index), from its bitfield and haves. When given, a peer is only asked
   * for hashes covering at least one piece it has, since BEP 52 only requires peers to serve those.
   */
  has?: (piece: number) => boolean;
}

/** What a `hashes` message did, from {@linkcode LayerFetcher.onHashes}. */
export type HashesOutcome =
  /** Verified against the pieces root and stored. `fileComplete` when that file's piece layer is now whole. */
  | { type: "accepted"; fileIndex: number; fileComplete: boolean }
  /**
   * Answers no request in flight to this peer (never asked, already answered, or given up by `expire()`):
   * ignore it.
   */
  | { type: "unexpected" }
  /** The hashes do not lead to the pieces root: the peer lied or is broken. Blame it; it is not asked again. */
  | { type: "invalid"; reason: string };

/** One request given up by {@linkcode LayerFetcher.expire}. */
export interface ExpiredHashRequest {
  /** The peer that did not answer in time. */
  peer: PeerKey;
  /** The request's fields. */
  request: HashRequestRef;
}

interface Chunk {
  readonly state: FileState;
  /** Index of the first hash in the piece layer: a multiple of 512. */
  readonly index: number;
  readonly length: number;
  done: boolean;
  asked?: { peer: PeerKey; at: number };
  /** When each peer rejected or timed out on this chunk; `Infinity` for a peer that sent a bad proof. */
  readonly refused: Map<PeerKey, number>;
}

interface FileState {
  readonly f: V2File;
  readonly proofLayers: number;
  readonly layer: Uint8Array;
  readonly chunks: Chunk[];
  remaining: number;
}

/**
 * Fetches piece layers from peers with BEP 52 hash requests, for torrents whose metadata came without
 * `piece layers` (v2 magnets, BEP 9). Each file larger than one piece is split into chunks of up to 512 piece
 * hashes; each chunk is asked of one peer at a time, with the uncle hashes up to the file's pieces root (the proof
 * layers libtorrent asks for), and the reply is checked with `proofRoot` against that root before it is kept. A
 * chunk that is rejected, times out or fails its proof is asked of another peer.
 *
 * Pure policy: no I/O, no timers; the connection sends what `nextRequest()` returns, feeds back `hashes` and
 * `hash reject` messages, and calls `expire(now)` from its tick.
 *
 * @example Fetch a layer from a HashServer
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileMerkle } from "../merkle/mod.ts";
 * import { HashServer } from "./hash_server.ts";
 * import { LayerFetcher } from "./layer_fetcher.ts";
 *
 * const pieceLength = 16_384;
 * const data = new Uint8Array(5 * pieceLength).fill(9);
 * const { piecesRoot, pieceLayer } = fileMerkle(data, pieceLength);
 * const files = [{ path: ["f"], length: data.length, offset: 0, piecesRoot: piecesRoot! }];
 * const hex = [...piecesRoot!].map((b) => b.toString(16).padStart(2, "0")).join("");
 * const server = new HashServer({ files, pieceLength, pieceLayers: new Map([[hex, pieceLayer]]) });
 * const fetcher = new LayerFetcher({ files, pieceLength });
 * const request = fetcher.nextRequest(1, 0)!;
 * const reply = await server.answer(request);
 * assert.equal(reply.type, "hashes");
 * if (reply.type === "hashes") {
 *   assert.equal(fetcher.onHashes(1, { ...request, hashes: reply.hashes }).type, "accepted");
 * }
 * assert.equal(fetcher.complete, true);
 * assert.deepEqual(fetcher.pieceLayer(0), pieceLayer);
 * ```
 */
export class LayerFetcher {
  #files: FileState[] = [];
  #byRoot = new Map<string, FileState>();
  #byFileIndex = new Map<number, FileState>();
  #layers = new Map<string, Uint8Array>();
  #outstanding = new Map<PeerKey, number>();
  #remaining = 0;
  #timeout: number;
  #maxOutstanding: number;
  #retryAfter: number;
  #pieceLength: number;

  /**
   * Plans the requests for every file larger than one piece (each distinct pieces root once).
   *
   * @param torrent The torrent's files (with pieces roots) and piece length.
   * @param options Timeout, per-peer limit and retry delay.
   * @throws {RangeError} When the piece length is not a power of two of at least 16 KiB, a pieces root is not
   *   32 bytes, or an option is negative.
   */
  constructor(torrent: V2Torrent, options: LayerFetcherOptions = {}) {
    const { timeout = 60_000, maxOutstandingPerPeer = 4, retryAfter = 60_000 } = options;
    for (const [name, value] of [["timeout", timeout], ["retryAfter", retryAfter]] as const) {
      if (!(value >= 0)) throw new RangeError(`Cannot create layer fetcher: ${name} ${value} is negative`);
    }
    if (!Number.isSafeInteger(maxOutstandingPerPeer) || maxOutstandingPerPeer < 1) {
      throw new RangeError(`Cannot create layer fetcher: maxOutstandingPerPeer ${maxOutstandingPerPeer}`);
    }
    this.#timeout = timeout;
    this.#maxOutstanding = maxOutstandingPerPeer;
    this.#retryAfter = retryAfter;
    this.#pieceLength = torrent.pieceLength;
    for (const f of v2Files(torrent)) {
      if (!f.hasLayer) continue;
      const known = this.#byRoot.get(f.rootHex);
      if (known !== undefined) {
        this.#byFileIndex.set(f.fileIndex, known);
        continue;
      }
      const chunks: Chunk[] = [];
      const state: FileState = {
        f,
        proofLayers: f.height - f.pieceLayer - 1,
        layer: new Uint8Array(f.pieces * MERKLE_HASH_SIZE),
        chunks,
        remaining: 0,
      };
      for (let index = 0; index < f.pieces; index += MAX_HASH_REQUEST_LENGTH) {
        const length = Math.max(2, Math.min(MAX_HASH_REQUEST_LENGTH, nextPowerOfTwo(f.pieces - index)));
        chunks.push({ state, index, length, done: false, refused: new Map() });
      }
      state.remaining = chunks.length;
      this.#remaining += chunks.length;
      this.#files.push(state);
      this.#byRoot.set(f.rootHex, state);
      this.#byFileIndex.set(f.fileIndex, state);
    }
  }

  /** Whether every piece layer is fetched and verified (true at once when no file is larger than a piece). */
  get complete(): boolean {
    return this.#remaining === 0;
  }

  /** Indices (in `TorrentInfo.files`) of the files whose piece layer is still missing. */
  get missingFiles(): number[] {
    const out: number[] = [];
    for (const [fileIndex, state] of this.#byFileIndex) if (state.remaining > 0) out.push(fileIndex);
    return out.sort((a, b) => a - b);
  }

  /** Requests in flight to `peer`. */
  outstanding(peer: PeerKey): number {
    return this.#outstanding.get(peer) ?? 0;
  }

  /**
   * The next request to send to `peer`, recorded as in flight to it; `undefined` when the peer already has
   * `maxOutstandingPerPeer` requests, or no chunk is left that this peer may be asked for.
   *
   * @param peer The peer.
   * @param now Monotonic time in milliseconds.
   * @param options `has`: the peer's pieces.
   * @returns The `hash request` fields (`piecesRoot` is shared: do not modify it).
   */
  nextRequest(peer: PeerKey, now: number, options: NextHashRequestOptions = {}): HashRequestRef | undefined {
    if (this.outstanding(peer) >= this.#maxOutstanding) return undefined;
    for (const state of this.#files) {
      if (state.remaining === 0) continue;
      for (const chunk of state.chunks) {
        if (chunk.done || chunk.asked !== undefined) continue;
        const refused = chunk.refused.get(peer);
        if (refused !== undefined && now - refused < this.#retryAfter) continue;
        if (options.has !== undefined && !this.#peerHasAny(chunk, options.has)) continue;
        chunk.asked = { peer, at: now };
        this.#outstanding.set(peer, this.outstanding(peer) + 1);
        return requestOf(chunk);
      }
    }
    return undefined;
  }

  /**
   * Takes a `hashes` message from `peer`: when it answers a request in flight to that peer, checks it against the
   * file's pieces root and keeps the piece hashes (copied, so the message may be a view into the decoder).
   *
   * @param peer The sender.
   * @param message The decoded message's fields and hashes.
   * @returns `accepted`, `unexpected` (ignore) or `invalid` (blame the peer).
   */
  onHashes(peer: PeerKey, message: HashRequestRef & { hashes: Uint8Array }): HashesOutcome {
    const chunk = this.#inFlight(peer, message);
    if (chunk === undefined) return { type: "unexpected" };
    this.#settle(chunk);
    const { state } = chunk;
    const range = requestOf(chunk);
    const expected = (chunk.length + uncleCount(range)) * MERKLE_HASH_SIZE;
    if (message.hashes.length !== expected) {
      chunk.refused.set(peer, Infinity);
      return {
        type: "invalid",
        reason: `${message.hashes.length} bytes of hashes where ${expected} were due`,
      };
    }
    const proven = proofRoot(range, message.hashes);
    if (proven.layer !== state.f.height || proven.index !== 0 || !sameBytes(proven.hash, state.f.root)) {
      chunk.refused.set(peer, Infinity);
      return { type: "invalid", reason: "the hashes do not lead to the pieces root" };
    }
    const kept = Math.min(chunk.length, state.f.pieces - chunk.index) * MERKLE_HASH_SIZE;
    state.layer.set(message.hashes.subarray(0, kept), chunk.index * MERKLE_HASH_SIZE);
    chunk.done = true;
    state.remaining--;
    this.#remaining--;
    if (state.remaining === 0) this.#layers.set(state.f.rootHex, state.layer);
    return { type: "accepted", fileIndex: state.f.fileIndex, fileComplete: state.remaining === 0 };
  }

  /**
   * Takes a `hash reject` from `peer`: the chunk is asked of another peer, and of this one again only after
   * `retryAfter`.
   *
   * @param peer The sender.
   * @param message The rejected request's fields.
   * @param now Monotonic time in milliseconds.
   * @returns Whether it matched a request in flight to that peer (if not, ignore it).
   */
  onReject(peer: PeerKey, message: HashRequestRef, now: number): boolean {
    const chunk = this.#inFlight(peer, message);
    if (chunk === undefined) return false;
    this.#settle(chunk);
    chunk.refused.set(peer, Math.max(now, chunk.refused.get(peer) ?? -Infinity));
    return true;
  }

  /**
   * Gives up requests in flight for `timeout` or longer; their chunks go to other peers, and a late answer counts
   * as `unexpected`. The caller may penalise the peers.
   *
   * @param now Monotonic time in milliseconds.
   * @returns The requests given up, with their peers.
   */
  expire(now: number): ExpiredHashRequest[] {
    const out: ExpiredHashRequest[] = [];
    for (const state of this.#files) {
      for (const chunk of state.chunks) {
        const asked = chunk.asked;
        if (asked === undefined || now - asked.at < this.#timeout) continue;
        this.#settle(chunk);
        chunk.refused.set(asked.peer, Math.max(now, chunk.refused.get(asked.peer) ?? -Infinity));
        out.push({ peer: asked.peer, request: requestOf(chunk) });
      }
    }
    return out;
  }

  /**
   * Takes a file's whole piece layer from elsewhere than a peer: computed from the file's data, verified by
   * another hash (a hybrid's SHA-1 pieces, BEP 52 "Upgrade Path"). It is kept only when it leads to the file's
   * pieces root; the file is then complete, and an answer still in flight for it counts as `unexpected`.
   *
   * @param fileIndex Index in `TorrentInfo.files` of a file with a piece layer (larger than one piece).
   * @param layer Its piece hashes, 32 bytes each, `ceil(length / piece length)` of them (copied).
   * @returns `true` when the layer leads to the pieces root (or the file's layer is complete already), `false`
   *   when it does not (wrong size, or other hashes): nothing is kept.
   * @throws {RangeError} When the file has no piece layer to fetch.
   */
  setLayer(fileIndex: number, layer: Uint8Array): boolean {
    const state = this.#byFileIndex.get(fileIndex);
    if (state === undefined) {
      throw new RangeError(`Cannot set the piece layer of file ${fileIndex}: it has none to fetch`);
    }
    if (state.remaining === 0) return true;
    if (layer.length !== state.f.pieces * MERKLE_HASH_SIZE) return false;
    if (!sameBytes(pieceLayerRoot(layer, this.#pieceLength), state.f.root)) return false;
    state.layer.set(layer);
    for (const chunk of state.chunks) {
      if (chunk.done) continue;
      if (chunk.asked !== undefined) this.#settle(chunk);
      chunk.done = true;
      this.#remaining--;
    }
    state.remaining = 0;
    this.#layers.set(state.f.rootHex, state.layer);
    return true;
  }

  /** Forgets a disconnected peer's requests in flight; their chunks go to other peers. */
  removePeer(peer: PeerKey): void {
    if (this.outstanding(peer) === 0) return;
    for (const state of this.#files) {
      for (const chunk of state.chunks) if (chunk.asked?.peer === peer) this.#settle(chunk);
    }
  }

  /**
   * A file's verified piece layer: its piece hashes, 32 bytes each, `ceil(length / piece length)` of them.
   *
   * @param fileIndex Index in `TorrentInfo.files`.
   * @returns The layer (do not modify), or `undefined` until it is complete or when the file has none (at most one
   *   piece: its pieces root is its only piece hash).
   */
  pieceLayer(fileIndex: number): Uint8Array | undefined {
    const state = this.#byFileIndex.get(fileIndex);
    return state !== undefined && state.remaining === 0 ? state.layer : undefined;
  }

  /**
   * The completed piece layers keyed by pieces root in lowercase hex, the shape of `TorrentInfo.pieceLayers`
   * (for a `HashServer` or piece verification). A live view: files are added as they complete.
   */
  pieceLayers(): ReadonlyMap<string, Uint8Array> {
    return this.#layers;
  }

  #peerHasAny(chunk: Chunk, has: (piece: number) => boolean): boolean {
    const { f } = chunk.state;
    const end = Math.min(chunk.index + chunk.length, f.pieces);
    for (let p = chunk.index; p < end; p++) if (has(f.firstPiece + p)) return true;
    return false;
  }

  /** The chunk a message names, if it is in flight to `peer` with exactly these fields. */
  #inFlight(peer: PeerKey, m: HashRequestRef): Chunk | undefined {
    if (m.piecesRoot.length !== MERKLE_HASH_SIZE) return undefined;
    const state = this.#byRoot.get(hex(m.piecesRoot));
    if (state === undefined || m.index % MAX_HASH_REQUEST_LENGTH !== 0) return undefined;
    const chunk = state.chunks[m.index / MAX_HASH_REQUEST_LENGTH];
    if (
      chunk === undefined || chunk.asked?.peer !== peer || m.baseLayer !== state.f.pieceLayer ||
      m.length !== chunk.length || m.proofLayers !== state.proofLayers
    ) {
      return undefined;
    }
    return chunk;
  }

  /** Ends the chunk's request in flight. */
  #settle(chunk: Chunk): void {
    const peer = chunk.asked!.peer;
    chunk.asked = undefined;
    const n = this.outstanding(peer) - 1;
    if (n > 0) this.#outstanding.set(peer, n);
    else this.#outstanding.delete(peer);
  }
}

function requestOf(chunk: Chunk): HashRequestRef {
  const { f, proofLayers } = chunk.state;
  return {
    piecesRoot: f.root,
    baseLayer: f.pieceLayer,
    index: chunk.index,
    length: chunk.length,
    proofLayers,
  };
}
