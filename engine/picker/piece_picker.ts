/**
 * Block-level piece picker: rarest-first with random tie-break (BEP 3), per-piece priorities, partial pieces
 * finished first, endgame duplicates, and the request bookkeeping behind them. Pure policy: no I/O, no timers.
 *
 * @module
 */

import type { Bitfield } from "./bitfield.ts";
import { BlockGeometry } from "./_block_geometry.ts";
import { MISSING, PartialPiece, RECEIVED, REQUESTED } from "./_partial_piece.ts";
import { MAX_PIECE_PRIORITY, RarestFirst } from "./_rarest_first.ts";
import { checkPeerKey, PeerRequests } from "./_peer_requests.ts";
import { checkPriority, DEFAULT_PIECE_PRIORITY, WantedPieces } from "./_wanted.ts";
import type { BlockReceived, BlockRequest, PeerKey, PiecePickerOptions } from "./picker_types.ts";

export type { BlockReceived, BlockRequest, PeerKey, PiecePickerOptions };
/** Most blocks of finished partial pieces kept for reuse (under 100 KiB of block state). */
const SPARE_BLOCKS = 8192;

export { DEFAULT_PIECE_PRIORITY, MAX_PIECE_PRIORITY };

/**
 * Chooses which blocks to request from which peer, and keeps track of every outstanding request.
 *
 * New pieces are started rarest-first: fewest connected peers with the piece (seeds aside, they have all), higher
 * priority before lower, ties broken at random. Pieces in progress are finished first, preferring those the peer
 * already worked on. When every missing block of the wanted pieces is requested or received, the picker is in
 * endgame: blocks already requested from other peers are handed out again, up to `endgameRequestsPerBlock` peers
 * per block, and {@link PiecePicker.blockReceived} names the peers to cancel.
 *
 * Memory: a few typed arrays of one entry per piece (about 13 bytes per piece), plus block state only for pieces
 * in progress.
 *
 * @example Pick from a seed, receive, verify
 * ```ts
 * import assert from "node:assert/strict";
 * import { PiecePicker } from "./piece_picker.ts";
 *
 * const picker = new PiecePicker({ pieceCount: 2, pieceLength: 32768, totalLength: 40000 });
 * picker.addSeed();
 * const blocks = picker.pickBlocks(1, "all", 10);
 * assert.equal(blocks.length, 3);
 * for (const b of blocks) picker.blockReceived(1, b.index, b.begin, b.length);
 * picker.pieceVerified(0);
 * picker.pieceVerified(1);
 * assert.ok(picker.complete);
 * ```
 */
export class PiecePicker {
  /** Number of pieces. */
  readonly pieceCount: number;
  /** Bytes per piece (all but the last). */
  readonly pieceLength: number;
  /** Bytes in the torrent. */
  readonly totalLength: number;
  /** Bytes per block. */
  readonly blockSize: number;
  /** Verified pieces. Read it; change it only through the picker. */
  readonly have: Bitfield;
  #wanted: WantedPieces;
  /** Per-piece priorities (the same array as `#wanted.priority`), read on the hot path. */
  #priority: Uint8Array;
  #rarity: RarestFirst;
  #partials = new Map<number, PartialPiece>();
  /** Partial pieces with missing blocks: the only ones a normal pick looks at. */
  #open = new Set<PartialPiece>();
  /** Finished partial pieces kept for reuse: allocating block state per piece dominated picking small pieces. */
  #spares: PartialPiece[] = [];
  #peerRequests = new PeerRequests();
  #missingBlocks = 0;
  #geometry: BlockGeometry;
  #endgameSlots: number;

  /**
   * Creates a picker with nothing had and every piece wanted at priority 4.
   * @param options Torrent geometry; see {@link PiecePickerOptions}.
   * @throws {RangeError} When a size is not a positive integer (pieceCount may be 0 with totalLength 0), or
   *   `pieceCount` is not `ceil(totalLength / pieceLength)`.
   */
  constructor(options: PiecePickerOptions) {
    const { pieceCount, pieceLength, totalLength, blockSize = 16384, endgameRequestsPerBlock = 2 } = options;
    if (!Number.isInteger(endgameRequestsPerBlock) || endgameRequestsPerBlock < 1) {
      throw new RangeError(
        `Cannot create piece picker: endgameRequestsPerBlock ${endgameRequestsPerBlock} is not a positive integer`,
      );
    }
    this.#geometry = new BlockGeometry(pieceCount, { pieceLength, totalLength, blockSize });
    this.pieceCount = pieceCount;
    this.pieceLength = pieceLength;
    this.totalLength = totalLength;
    this.blockSize = blockSize;
    this.#endgameSlots = endgameRequestsPerBlock;
    this.#wanted = new WantedPieces(pieceCount);
    this.have = this.#wanted.have;
    this.#priority = this.#wanted.priority;
    this.#rarity = new RarestFirst(this.#priority, options.random ?? Math.random);
  }

  // --- geometry ---

  /**
   * Bytes in piece `index`: `pieceLength`, or less for the last piece.
   * @throws {RangeError} When `index` is outside `0..pieceCount - 1`.
   */
  pieceSize(index: number): number {
    this.#checkIndex(index);
    return this.#geometry.pieceSize(index);
  }

  /**
   * Blocks in piece `index`: `ceil(pieceSize / blockSize)`.
   * @throws {RangeError} When `index` is outside `0..pieceCount - 1`.
   */
  blockCount(index: number): number {
    this.#checkIndex(index);
    return this.#geometry.blockCount(index);
  }

  // --- availability ---

  /**
   * Counts a peer's `bitfield` (BEP 3) in availability. A peer with every piece is cheaper counted with
   * {@link PiecePicker.addSeed}. A peer's pieces must be counted for {@link PiecePicker.pickBlocks} to start them.
   * @throws {RangeError} When the bitfield size differs from `pieceCount`, or a count would pass 65535.
   */
  addAvailability(bitfield: Bitfield): void {
    this.#checkBitfield(bitfield);
    this.#rarity.addBitfield(bitfield, 1);
  }

  /**
   * Uncounts a peer's bitfield (it disconnected), the one it was counted with plus its `have`s.
   * @throws {RangeError} When the bitfield size differs from `pieceCount`, or a piece was not counted.
   */
  removeAvailability(bitfield: Bitfield): void {
    this.#checkBitfield(bitfield);
    this.#rarity.addBitfield(bitfield, -1);
  }

  /**
   * Counts one more peer with piece `index` (a BEP 3 `have`).
   * @throws {RangeError} When `index` is out of range or the count would pass 65535.
   */
  incrementAvailability(index: number): void {
    this.#checkIndex(index);
    this.#rarity.increment(index);
  }

  /** Counts a peer that has every piece (a seed, or BEP 6 `have_all`); it does not change the order. */
  addSeed(): void {
    this.#rarity.addSeed();
  }

  /**
   * Uncounts a peer counted with {@link PiecePicker.addSeed}.
   * @throws {RangeError} When no seed is counted.
   */
  removeSeed(): void {
    this.#rarity.removeSeed();
  }

  /**
   * Connected peers with piece `index`, seeds included.
   * @throws {RangeError} When `index` is out of range.
   */
  availability(index: number): number {
    this.#checkIndex(index);
    return this.#rarity.count(index) + this.#rarity.seeds;
  }

  // --- our data and priorities ---

  /**
   * Marks piece `index` as had (after a recheck, or a verified piece). Outstanding requests for it are forgotten;
   * blocks of it that still arrive are duplicates.
   * @throws {RangeError} When `index` is out of range.
   */
  setHave(index: number): void {
    this.#checkIndex(index);
    if (!this.#wanted.setHave(index)) return;
    this.#rarity.dequeue(index);
    this.#dropPartial(index);
  }

  /**
   * Marks piece `index` as missing again: its data was lost (a file deleted or truncated). If wanted, it goes
   * back in the order. Peers told `have` of it are not told otherwise (BEP 3 has no message for it); their
   * requests for it are refused.
   * @throws {RangeError} When `index` is out of range.
   */
  clearHave(index: number): void {
    this.#checkIndex(index);
    if (this.#wanted.clearHave(index) && this.#priority[index] > 0) this.#rarity.queue(index);
  }

  /**
   * Hash check passed: piece `index` is had (same as {@link PiecePicker.setHave}).
   * @throws {RangeError} When `index` is out of range.
   */
  pieceVerified(index: number): void {
    this.setHave(index);
  }

  /**
   * Hash check failed: every block of piece `index` is missing again and the piece goes back in the order.
   * @returns The peers that delivered blocks of it, for smart-ban accounting by the caller; empty when the piece
   *   was not in progress.
   * @throws {RangeError} When `index` is out of range.
   */
  pieceFailed(index: number): PeerKey[] {
    this.#checkIndex(index);
    const partial = this.#partials.get(index);
    if (partial === undefined) return [];
    const contributors = [...partial.contributors];
    this.#dropPartial(index);
    if (this.#priority[index] > 0 && !this.have.has(index)) this.#rarity.queue(index);
    return contributors;
  }

  /**
   * Priority of piece `index`: 0 (do not download) to 7 (highest); default 4.
   * @throws {RangeError} When `index` is out of range.
   */
  piecePriority(index: number): number {
    this.#checkIndex(index);
    return this.#priority[index];
  }

  /**
   * Sets the priority of piece `index`: 0 means do not download, 1..7 start higher priorities first. A piece in
   * progress set to 0 gets no more requests; its outstanding ones stay until answered or aborted.
   * @throws {RangeError} When `index` is out of range or `priority` is not an integer in 0..7.
   */
  setPiecePriority(index: number, priority: number): void {
    this.#checkIndex(index);
    checkPriority(index, priority);
    if (this.#priority[index] === priority) return;
    const old = this.#wanted.setPriority(index, priority);
    if (this.have.has(index)) return;
    const partial = this.#partials.get(index);
    if (partial !== undefined) {
      if (old === 0) this.#missingBlocks += partial.missing;
      else if (priority === 0) this.#missingBlocks -= partial.missing;
    } else if (priority === 0) {
      this.#rarity.dequeue(index);
    } else {
      this.#rarity.queue(index);
    }
  }

  /**
   * Sets the priority of every piece at once (see {@link PiecePicker.setPiecePriority}); only changed pieces
   * cost anything.
   * @param priorities One integer in 0..7 per piece.
   * @throws {RangeError} When the length differs from `pieceCount` or a value is out of range; nothing changes
   *   then.
   */
  setPiecePriorities(priorities: ArrayLike<number>): void {
    if (priorities.length !== this.pieceCount) {
      throw new RangeError(
        `Cannot set piece priorities: got ${priorities.length} for ${this.pieceCount} pieces`,
      );
    }
    for (let i = 0; i < priorities.length; i++) checkPriority(i, priorities[i]);
    for (let i = 0; i < priorities.length; i++) {
      if (this.#priority[i] !== priorities[i]) this.setPiecePriority(i, priorities[i]);
    }
  }

  /**
   * Whether piece `index` is wanted: priority above 0. Wanted pieces may be had already.
   * @throws {RangeError} When `index` is out of range.
   */
  wanted(index: number): boolean {
    this.#checkIndex(index);
    return this.#priority[index] > 0;
  }

  /** Whether piece `index` is wanted and not had: a peer announcing it (`have`) makes us interested. */
  needs(index: number): boolean {
    return this.#wanted.needs(index);
  }

  /**
   * Whether a peer with these pieces has one we want and lack (BEP 3 `interested`).
   * @param peerHas The peer's bitfield, or `"all"` for a seed (`have_all`).
   * @throws {RangeError} When the bitfield size differs from `pieceCount`.
   */
  isInteresting(peerHas: Bitfield | "all"): boolean {
    if (peerHas !== "all") this.#checkBitfield(peerHas);
    return this.#wanted.isInteresting(peerHas);
  }

  /** Whether every wanted piece is verified. */
  get complete(): boolean {
    return this.#wanted.neededCount === 0;
  }

  /**
   * Whether every missing block of the wanted pieces is requested or received while some wanted piece is not yet
   * verified: {@link PiecePicker.pickBlocks} then hands out blocks already requested from other peers.
   */
  get endgame(): boolean {
    return this.#wanted.neededCount > 0 && this.#rarity.size === 0 && this.#missingBlocks === 0;
  }

  /** Number of pieces in progress (with per-block state allocated). */
  get partialCount(): number {
    return this.#partials.size;
  }

  // --- requests ---

  /**
   * Up to `max` blocks to request from `peer`, and records them as requested from it. In order: missing blocks of
   * pieces in progress the peer has (those it worked on first), then new pieces rarest-first, then in endgame
   * blocks requested from other peers but not this one. Never returns blocks of pieces that are had or priority 0.
   * @param peer The connection's key.
   * @param peerHas The peer's bitfield, or `"all"` for a seed.
   * @param max Most blocks to return.
   * @param allowedFast When the peer chokes us: its BEP 6 allowed fast set; only these pieces are picked.
   * @param maxNewPieces Most pieces not yet in progress to start (each needs a piece buffer); default no limit.
   * @returns Requests in the order to send them.
   * @throws {RangeError} When `peer` is not an integer in `0..2147483647` or the bitfield size is wrong.
   */
  pickBlocks(
    peer: PeerKey,
    peerHas: Bitfield | "all",
    max: number,
    allowedFast?: ReadonlySet<number>,
    maxNewPieces: number = Infinity,
  ): BlockRequest[] {
    checkPeerKey(peer);
    if (peerHas !== "all") this.#checkBitfield(peerHas);
    const out: BlockRequest[] = [];
    if (!(max > 0) || this.#wanted.neededCount === 0) return out;
    const can = (i: number) =>
      (peerHas === "all" || peerHas.has(i)) && (allowedFast === undefined || allowedFast.has(i));
    for (const workedOn of [true, false]) {
      for (const partial of this.#open) {
        if (this.#priority[partial.index] === 0) continue;
        if (partial.touched.has(peer) !== workedOn || !can(partial.index)) continue;
        this.#requestMissing(partial, peer, out, max);
        if (out.length >= max) return out;
      }
    }
    if (this.#rarity.size > 0 && maxNewPieces > 0) {
      const blockCount = (i: number) => this.#geometry.blockCount(i);
      let started = 0;
      for (const index of this.#rarity.select(peerHas, max - out.length, blockCount, allowedFast)) {
        if (out.length >= max || started++ >= maxNewPieces) break;
        this.#requestMissing(this.#start(index), peer, out, max);
      }
    }
    if (out.length < max && this.endgame) this.#pickEndgame(peer, can, out, max);
    return out;
  }

  /**
   * A block arrived from `peer`. See {@link BlockReceived} for the answer. Never throws: the arguments come from
   * the network; anything that does not match a block is `unrequested`.
   */
  blockReceived(peer: PeerKey, index: number, begin: number, length: number): BlockReceived {
    const unrequested: BlockReceived = { status: "unrequested", cancel: [], pieceComplete: false };
    if (!Number.isInteger(index) || index < 0 || index >= this.pieceCount) return unrequested;
    const block = this.#geometry.blockOf(index, begin, length);
    if (this.have.has(index)) {
      return block < 0 ? unrequested : { status: "duplicate", cancel: [], pieceComplete: false };
    }
    const partial = this.#partials.get(index);
    if (partial === undefined || block < 0) return unrequested;
    if (partial.state[block] === RECEIVED) return { status: "duplicate", cancel: [], pieceComplete: false };
    if (!partial.isRequestedFrom(block, peer)) return unrequested;
    const asked = partial.receive(block, peer);
    const id = this.#geometry.blockId(index, block);
    const cancel: PeerKey[] = [];
    for (const p of asked) {
      this.#peerRequests.delete(p, id);
      if (p !== peer) cancel.push(p);
    }
    return { status: "new", cancel, pieceComplete: partial.received === partial.blockCount };
  }

  /**
   * The request for the block at `begin` of piece `index` to `peer` is no longer outstanding (choke, reject,
   * timeout): the block becomes pickable again unless another peer is also asked for it. A no-op when there is no
   * such request.
   */
  abortRequest(peer: PeerKey, index: number, begin: number): void {
    const partial = this.#partials.get(index);
    if (partial === undefined || begin % this.blockSize !== 0) return;
    const block = begin / this.blockSize;
    if (block < 0 || block >= partial.blockCount || !partial.isRequestedFrom(block, peer)) return;
    this.#peerRequests.delete(peer, this.#geometry.blockId(index, block));
    if (partial.unrequest(block, peer)) {
      if (this.#priority[index] > 0) this.#missingBlocks++;
      this.#open.add(partial);
    }
    if (partial.idle) this.#releasePartial(partial);
  }

  /**
   * Drops every outstanding request of `peer` (it disconnected or choked us).
   * @returns The requests that were outstanding, so the caller can discard its own copies.
   */
  abortPeer(peer: PeerKey): BlockRequest[] {
    const dropped: BlockRequest[] = [];
    for (const id of this.#peerRequests.of(peer)) {
      const index = this.#geometry.pieceOfId(id);
      const block = id - this.#geometry.blockId(index, 0);
      dropped.push(this.#geometry.request(index, block));
      this.abortRequest(peer, index, block * this.blockSize);
    }
    return dropped;
  }

  /** Number of requests outstanding to `peer`. */
  requestsOf(peer: PeerKey): number {
    return this.#peerRequests.count(peer);
  }

  // --- internals ---

  #start(index: number): PartialPiece {
    this.#rarity.dequeue(index);
    const blocks = this.#geometry.blockCount(index);
    const spare = blocks === this.#geometry.blocksPerPiece ? this.#spares.pop() : undefined;
    spare?.reset(index);
    const partial = spare ?? new PartialPiece(index, blocks, this.#endgameSlots);
    this.#partials.set(index, partial);
    this.#open.add(partial);
    this.#missingBlocks += partial.missing;
    return partial;
  }

  #requestMissing(partial: PartialPiece, peer: PeerKey, out: BlockRequest[], max: number): void {
    for (let b = partial.firstMissing; b < partial.blockCount && out.length < max; b++) {
      if (partial.state[b] !== MISSING) continue;
      partial.request(b, peer);
      this.#missingBlocks--;
      this.#peerRequests.add(peer, this.#geometry.blockId(partial.index, b));
      out.push(this.#geometry.request(partial.index, b));
    }
    if (partial.missing === 0) this.#open.delete(partial);
  }

  #pickEndgame(peer: PeerKey, can: (i: number) => boolean, out: BlockRequest[], max: number): void {
    // Blocks with the fewest requests first, so a slow peer's blocks get a second source before any get a third.
    for (let asked = 1; asked < this.#endgameSlots; asked++) {
      for (const partial of this.#partials.values()) {
        if (partial.requested === 0 || this.#priority[partial.index] === 0 || !can(partial.index)) continue;
        for (let b = 0; b < partial.blockCount; b++) {
          if (partial.state[b] !== REQUESTED || partial.requesterCount(b) !== asked) continue;
          if (partial.isRequestedFrom(b, peer)) continue;
          partial.request(b, peer);
          this.#peerRequests.add(peer, this.#geometry.blockId(partial.index, b));
          out.push(this.#geometry.request(partial.index, b));
          if (out.length >= max) return;
        }
      }
    }
  }

  /** The piece left progress without data: back to the order (if still wanted), block state freed. */
  #releasePartial(partial: PartialPiece): void {
    const index = partial.index;
    this.#dropPartial(index);
    if (this.#priority[index] > 0 && !this.have.has(index)) this.#rarity.queue(index);
  }

  /** Frees a piece's block state and forgets its outstanding requests. */
  #dropPartial(index: number): void {
    const partial = this.#partials.get(index);
    if (partial === undefined) return;
    for (const [peer, blocks] of partial.outstanding()) {
      for (const b of blocks) this.#peerRequests.delete(peer, this.#geometry.blockId(index, b));
    }
    if (this.#priority[index] > 0) this.#missingBlocks -= partial.missing;
    this.#partials.delete(index);
    this.#open.delete(partial);
    if (
      partial.blockCount === this.#geometry.blocksPerPiece &&
      (this.#spares.length + 1) * partial.blockCount <= SPARE_BLOCKS
    ) {
      this.#spares.push(partial);
    }
  }

  #checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.pieceCount) {
      throw new RangeError(`Piece index ${index} is outside 0..${this.pieceCount - 1}`);
    }
  }

  #checkBitfield(bitfield: Bitfield): void {
    if (bitfield.size !== this.pieceCount) {
      throw new RangeError(`Cannot use bitfield of ${bitfield.size} pieces: torrent has ${this.pieceCount}`);
    }
  }
}
