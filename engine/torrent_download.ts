/**
 * One torrent's download pipeline (DESIGN.md section 3): which blocks to request from a peer (the picker, the
 * request queue size, BEP 6 allowed fast and suggest), where arriving blocks go (piece buffers within the session
 * budget), and the hash-and-write job of each complete piece in the disk workers.
 *
 * @module
 */

import type { PeerConnection } from "./peer_connection.ts";
import { type PeerKey, PiecePicker, requestQueueSize } from "./picker/mod.ts";
import { PieceBuffers } from "./piece_buffers.ts";
import type { Budget } from "./torrent_context.ts";
import type { DiskIo } from "./storage/disk_io.ts";
import { MetainfoError } from "./errors.ts";

/** Standard block size (BEP 3: 16 KiB), for the request queue size. */
const BLOCK_SIZE = 16384;

/** What the pipeline reports back to its torrent. */
export interface DownloadEvents {
  /** Piece `index` matched its hash and is written. */
  verified(index: number): void;
  /** Piece `index` failed its hash; `blamed` are the peers that sent its blocks. */
  failed(index: number, blamed: PeerKey[]): void;
  /**
   * Piece `index` of a v2-only torrent is written but unverified: its file's piece layer is not known yet (BEP 52).
   * It stays pending (neither had nor requested again) until {@linkcode TorrentDownload.reverify} decides.
   */
  unverified(index: number): void;
  /** A disk job failed (the torrent goes to `error`). */
  error(error: unknown): void;
  /** A write finished and freed budget: more blocks may be requested now. */
  drained(): void;
  /** Sends `cancel` to the other peers a block was also requested from (endgame). */
  cancel(peers: readonly PeerKey[], index: number, begin: number, length: number): void;
}

/** The size of a torrent, for its picker. */
interface Geometry {
  pieceCount: number;
  pieceLength: number;
  totalLength: number;
}

/** Requests, piece buffers and disk writes of one torrent. */
export class TorrentDownload {
  #picker: PiecePicker;
  readonly #geometry: Geometry;
  readonly #buffers: PieceBuffers;
  readonly #diskIo: DiskIo;
  readonly #events: DownloadEvents;
  readonly #storageId: () => number;
  readonly #writes = new Set<Promise<void>>();
  /** Payload bytes received, useful or not. */
  downloaded = 0;
  /** Payload bytes received that were not needed, or belonged to pieces that failed their hash. */
  wasted = 0;

  /**
   * @param geometry Piece count, piece length and total length (bytes).
   * @param budget The session's budget of piece-buffer bytes.
   * @param diskIo The session's disk and hash jobs.
   * @param storageId The torrent's storage id in `diskIo` (known once registered).
   * @param events Where results go.
   */
  constructor(
    geometry: Geometry,
    budget: Budget,
    diskIo: DiskIo,
    storageId: () => number,
    events: DownloadEvents,
  ) {
    this.#storageId = storageId;
    this.#geometry = geometry;
    this.#picker = new PiecePicker(geometry);
    this.#buffers = new PieceBuffers(budget, geometry.pieceLength);
    this.#diskIo = diskIo;
    this.#events = events;
  }

  /** The picker: the have-bitfield, availability and wanted pieces. Replaced by {@linkcode reset}. */
  get picker(): PiecePicker {
    return this.#picker;
  }

  /** Starts over (a new check): a fresh picker, every piece buffer released. */
  reset(): PiecePicker {
    this.#picker = new PiecePicker(this.#geometry);
    this.#buffers.releaseAll();
    return this.#picker;
  }

  /**
   * Requests blocks from `peer` up to its request queue size (sized by its download rate). While it chokes us,
   * only pieces of its allowed fast set (BEP 6); pieces it suggested (BEP 6 suggest) come first.
   */
  fill(peer: PeerConnection): void {
    if (peer.closed || !peer.amInterested) return;
    if (peer.peerChoking && peer.allowedFast.size === 0) return;
    const now = performance.now();
    const outstanding = this.#picker.requestsOf(peer.key);
    const target = requestQueueSize({ downloadRate: peer.download.rate(now), blockSize: BLOCK_SIZE });
    // Top the queue up once a quarter of it is free, not after every block: one write carries many requests.
    if (outstanding >= target || (outstanding > 0 && target - outstanding < Math.max(1, target >> 2))) return;
    const has = peer.isSeed ? "all" : peer.bitfield;
    // Start only the pieces the buffer budget can hold now: picking more would only give them back.
    const fresh = this.#buffers.available(this.#picker.pieceLength);
    const blocks = [];
    if (peer.suggested.size > 0) {
      for (const index of peer.suggested) if (!this.#picker.needs(index)) peer.suggested.delete(index);
      const allowed = peer.peerChoking ? intersect(peer.suggested, peer.allowedFast) : peer.suggested;
      blocks.push(...this.#picker.pickBlocks(peer.key, has, target - outstanding, allowed, fresh));
    }
    const more = target - outstanding - blocks.length;
    if (more > 0) {
      blocks.push(
        ...this.#picker.pickBlocks(
          peer.key,
          has,
          more,
          peer.peerChoking ? peer.allowedFast : undefined,
          blocks.length === 0 ? fresh : fresh - new Set(blocks.map((b) => b.index)).size,
        ),
      );
    }
    if (blocks.length > 0 && outstanding === 0) peer.lastBlock = now;
    for (const block of blocks) {
      if (!this.#buffers.allocate(block.index, this.#picker.pieceSize(block.index))) {
        this.#picker.abortRequest(peer.key, block.index, block.begin);
        continue;
      }
      peer.sendRequest(block.index, block.begin, block.length);
    }
  }

  /** A block from `peer`: into its piece buffer if it was wanted; a complete piece goes to the disk. */
  blockReceived(peer: PeerConnection, index: number, begin: number, block: Uint8Array): void {
    this.downloaded += block.length;
    const result = this.#picker.blockReceived(peer.key, index, begin, block.length);
    if (result.status !== "new") {
      this.wasted += block.length;
      peer.wasted += block.length;
      return;
    }
    const buffer = this.#buffers.get(index);
    if (buffer === undefined) {
      // The picker only hands out blocks of pieces that have a buffer; losing it means the piece was dropped.
      this.wasted += block.length;
      return;
    }
    buffer.set(block, begin);
    if (result.cancel.length > 0) this.#events.cancel(result.cancel, index, begin, block.length);
    if (result.pieceComplete) this.#finishPiece(index);
  }

  /**
   * Checks a pending piece (written with verdict `unknown`) again now that its piece layer is known: `ok` makes it
   * verified; `failed` blames its senders and requests it again, as a hash failure on arrival does; `missing` (the
   * data went away) or still `unknown` requests it again without blame.
   */
  reverify(index: number): void {
    const size = this.#picker.pieceSize(index);
    const check = this.#diskIo.verifyPiece(this.#storageId(), index).then((verdict) => {
      if (verdict === "ok") {
        this.#events.verified(index);
      } else if (verdict === "failed") {
        this.wasted += size;
        this.#events.failed(index, this.#picker.pieceFailed(index));
      } else {
        this.#picker.pieceFailed(index);
      }
      this.#events.drained();
    }, (error) => {
      this.#picker.pieceFailed(index);
      this.#events.error(error);
    });
    this.#track(check);
  }

  /** Resolves once every hash-and-write job in flight has finished. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#writes]);
  }

  /** Releases every piece buffer (the torrent closes). */
  releaseAll(): void {
    this.#buffers.releaseAll();
  }

  #finishPiece(index: number): void {
    const buffer = this.#buffers.take(index)!;
    const size = buffer.byteLength;
    const write = this.#diskIo.hashAndWrite(this.#storageId(), index, buffer.buffer as ArrayBuffer).then(
      (result) => {
        this.#buffers.written(size, result.buffer);
        if (result.ok) {
          this.#events.verified(index);
        } else if (result.verdict === "unknown") {
          // Written, but only the file's piece layer can tell whether it is right: neither had nor failed yet.
          this.#events.unverified(index);
        } else if (result.inconsistent) {
          // BEP 52: a hybrid whose v1 and v2 hashes disagree. The torrent is broken, not the peers: stop it.
          this.#picker.pieceFailed(index);
          this.#events.error(
            new MetainfoError(
              `Cannot verify piece ${index}: it matches one of the hybrid torrent's two hashes and not the other, ` +
                "so its v1 and v2 hashes describe different data (BEP 52)",
            ),
          );
        } else {
          this.wasted += size;
          this.#events.failed(index, this.#picker.pieceFailed(index));
        }
        this.#events.drained();
      },
      (error) => {
        this.#buffers.written(size);
        this.#picker.pieceFailed(index);
        this.#events.error(error);
      },
    );
    this.#track(write);
  }

  #track(job: Promise<void>): void {
    this.#writes.add(job);
    job.finally(() => this.#writes.delete(job));
  }
}

function intersect(a: ReadonlySet<number>, b: ReadonlySet<number>): Set<number> {
  const out = new Set<number>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}
