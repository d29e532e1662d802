/**
 * Which new piece to start next (BEP 3 "rarest first"): per-piece availability counts and the order of unstarted
 * wanted pieces, keyed by priority (higher first) then availability (lower first), ties at random.
 *
 * @module
 */

import type { Bitfield } from "./bitfield.ts";
import { PieceOrder } from "./_piece_order.ts";

/** Highest piece priority. */
export const MAX_PIECE_PRIORITY = 7;
/**
 * Availability levels that order pieces; pieces held by this many bitfield peers or more count as equally common.
 * Keeps a scan over the order to `7 × 256` bucket checks plus the pieces it visits.
 */
const AVAILABILITY_LEVELS = 256;
/** A peer holding fewer than `1 / SPARSE_RATIO` of the queued pieces is searched by its own bits, not the order. */
const SPARSE_RATIO = 8;
/**
 * A bitfield with more than `1 / BULK_RATIO` of the queued pieces re-keys the order in one rebuild at the next
 * selection: moving a piece costs several times what re-keying it in a rebuild does, and several peers arriving
 * between two selections share one rebuild.
 */
const BULK_RATIO = 4;
const MAX_COUNT = 0xffff;

/** Calls `fn` with every set piece of `bitfield`, ascending; skips zero bytes. */
function forEachSet(bitfield: Bitfield, fn: (index: number) => void): void {
  const bytes = bitfield.bytes;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0) continue;
    for (let bit = 0; bit < 8; bit++) if ((b & (0x80 >> bit)) !== 0) fn(i * 8 + bit);
  }
}

/** Availability and the order of unstarted pieces; the picker decides which pieces are queued. */
export class RarestFirst {
  #priority: Uint8Array;
  #count: Uint16Array;
  #seeds = 0;
  #order: PieceOrder;
  /** Availability changed in bulk: the order's keys are stale until rebuilt. */
  #dirty = false;

  /**
   * Queues every piece with a priority above 0.
   * @param priority Per-piece priorities (0..7), shared with and written by the picker, which calls
   *   {@link RarestFirst.queue} after changing the priority of a queued piece.
   * @param random Uniform random source in `[0, 1)`.
   */
  constructor(priority: Uint8Array, random: () => number) {
    this.#priority = priority;
    this.#count = new Uint16Array(priority.length);
    this.#order = new PieceOrder(priority.length, MAX_PIECE_PRIORITY * AVAILABILITY_LEVELS, random);
    this.#order.fill((i) => priority[i] > 0, (i) => this.#key(i));
  }

  /** Number of queued (unstarted, wanted, missing) pieces. */
  get size(): number {
    return this.#order.size;
  }

  /** Peers counted with {@link RarestFirst.addSeed}. */
  get seeds(): number {
    return this.#seeds;
  }

  /** Bitfield peers counted with piece `index` (seeds not included). */
  count(index: number): number {
    return this.#count[index];
  }

  /** Counts a peer with every piece; it does not change the order. */
  addSeed(): void {
    this.#seeds++;
  }

  /** @throws {RangeError} When no seed is counted. */
  removeSeed(): void {
    if (this.#seeds === 0) throw new RangeError("Cannot remove seed: none counted");
    this.#seeds--;
  }

  /**
   * Counts (`delta` 1) or uncounts (`delta` -1) every piece of a peer's bitfield; nothing changes on error.
   * @throws {RangeError} When a count would pass 65535 or go below 0.
   */
  addBitfield(bitfield: Bitfield, delta: 1 | -1): void {
    const count = this.#count;
    const limit = delta > 0 ? MAX_COUNT : 0;
    forEachSet(bitfield, (i) => {
      if (count[i] === limit) {
        throw new RangeError(
          `Cannot ${delta > 0 ? "count" : "uncount"} availability of piece ${i}: out of range`,
        );
      }
    });
    if (bitfield.count * BULK_RATIO <= this.#order.size) {
      forEachSet(bitfield, (i) => this.#change(i, delta));
      return;
    }
    forEachSet(bitfield, (i) => {
      count[i] += delta;
    });
    this.#dirty = true;
  }

  /**
   * Counts one more peer with piece `index` (a `have`).
   * @throws {RangeError} When the count would pass 65535.
   */
  increment(index: number): void {
    if (this.#count[index] === MAX_COUNT) {
      throw new RangeError(`Cannot count availability of piece ${index}: out of range`);
    }
    this.#change(index, 1);
  }

  /** Whether piece `index` is queued. */
  has(index: number): boolean {
    return this.#order.has(index);
  }

  /** Queues piece `index`, or re-keys it after a priority change, at a random place among its equals. */
  queue(index: number): void {
    this.#order.insert(index, this.#key(index));
  }

  /** Dequeues piece `index` (started, had or unwanted); a no-op when not queued. */
  dequeue(index: number): void {
    this.#order.remove(index);
  }

  /**
   * Queued pieces to start for a peer, in pick order, just enough of them to give `blocks` blocks when there are.
   * @param peerHas The peer's pieces; a bitfield peer must be counted in availability.
   * @param blocks Blocks wanted.
   * @param blockCount Blocks in a piece.
   * @param allowedFast When given, only these pieces.
   */
  select(
    peerHas: Bitfield | "all",
    blocks: number,
    blockCount: (index: number) => number,
    allowedFast?: ReadonlySet<number>,
  ): number[] {
    this.#rebuild();
    const order = this.#order;
    if (allowedFast !== undefined || (peerHas !== "all" && peerHas.count * SPARSE_RATIO < order.size)) {
      const candidates = allowedFast === undefined
        ? (peerHas as Bitfield).indices()
        : [...allowedFast].filter((i) => peerHas === "all" || peerHas.has(i));
      // The last piece may be short; every other piece has the same block count as piece 0.
      const k = Math.ceil(blocks / blockCount(0)) + 1;
      return trim(order.lowestRanked(candidates, k), blocks, blockCount);
    }
    const picked: number[] = [];
    let total = 0;
    for (let key = 0; key < order.bucketCount; key++) {
      // A bitfield peer's pieces are counted in availability, so level 0 holds none of them.
      if (peerHas !== "all" && key % AVAILABILITY_LEVELS === 0) continue;
      const size = order.bucketSize(key);
      for (let j = 0; j < size; j++) {
        const index = order.pieceAt(key, j);
        if (peerHas !== "all" && !peerHas.has(index)) continue;
        picked.push(index);
        total += blockCount(index);
        if (total >= blocks) return picked;
      }
    }
    return picked;
  }

  #key(index: number): number {
    return (MAX_PIECE_PRIORITY - this.#priority[index]) * AVAILABILITY_LEVELS +
      Math.min(this.#count[index], AVAILABILITY_LEVELS - 1);
  }

  #change(index: number, delta: number): void {
    const count = this.#count[index] += delta;
    if (!this.#dirty && count < AVAILABILITY_LEVELS && this.#order.has(index)) {
      this.#order.move(index, this.#key(index));
    }
  }

  #rebuild(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    this.#order.rebuild((i) => this.#key(i));
  }
}

/** The shortest prefix of `pieces` with at least `blocks` blocks, or all of them. */
function trim(pieces: number[], blocks: number, blockCount: (index: number) => number): number[] {
  let total = 0;
  for (let i = 0; i < pieces.length; i++) {
    total += blockCount(pieces[i]);
    if (total >= blocks) return pieces.slice(0, i + 1);
  }
  return pieces;
}
