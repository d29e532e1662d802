/**
 * Block-level state of one piece in progress: which blocks are missing, requested (and from which peers) or
 * received. Only pieces in progress get one, so memory follows the download, not the torrent size.
 *
 * @module
 */

/** Block state: nobody has been asked for it. */
export const MISSING = 0;
/** Block state: asked for from one or more peers, not yet received. */
export const REQUESTED = 1;
/** Block state: a copy arrived. */
export const RECEIVED = 2;

const NO_PEER = -1;

/** One piece in progress. Peer keys are int32 (checked by the picker). */
export class PartialPiece {
  /** Number of blocks in this piece. */
  readonly blockCount: number;
  /** Per-block state: {@link MISSING}, {@link REQUESTED} or {@link RECEIVED}. */
  readonly state: Uint8Array;
  /** Peers that delivered a block of this piece first (blamed when the hash check fails). */
  readonly contributors: Set<number> = new Set();
  /** Peers that were asked for, or delivered, a block of this piece (preferred to finish it). */
  readonly touched: Set<number> = new Set();
  #index: number;
  #requesters: Int32Array;
  #slots: number;
  #missing: number;
  #requested = 0;
  #received = 0;
  #firstMissing = 0;

  /**
   * @param index Piece index.
   * @param blockCount Number of blocks.
   * @param slots Most peers a block can be requested from at once.
   */
  constructor(index: number, blockCount: number, slots: number) {
    this.#index = index;
    this.blockCount = blockCount;
    this.state = new Uint8Array(blockCount);
    this.#requesters = new Int32Array(blockCount * slots).fill(NO_PEER);
    this.#slots = slots;
    this.#missing = blockCount;
  }

  /** Piece index. */
  get index(): number {
    return this.#index;
  }

  /** Makes this object a fresh partial piece for piece `index` of the same block count (reuse, no allocation). */
  reset(index: number): void {
    this.#index = index;
    this.state.fill(MISSING);
    this.#requesters.fill(NO_PEER);
    this.contributors.clear();
    this.touched.clear();
    this.#missing = this.blockCount;
    this.#requested = 0;
    this.#received = 0;
    this.#firstMissing = 0;
  }

  /** Blocks nobody has been asked for. */
  get missing(): number {
    return this.#missing;
  }

  /** Blocks asked for and not yet received. */
  get requested(): number {
    return this.#requested;
  }

  /** Blocks received. */
  get received(): number {
    return this.#received;
  }

  /** Whether nothing was asked for or received, i.e. the piece is no different from an unstarted one. */
  get idle(): boolean {
    return this.#requested === 0 && this.#received === 0;
  }

  /** Lowest block index that may be missing (every block before it is not). */
  get firstMissing(): number {
    return this.#firstMissing;
  }

  /** Number of peers block `block` is requested from. */
  requesterCount(block: number): number {
    let n = 0;
    const base = block * this.#slots;
    for (let s = 0; s < this.#slots; s++) if (this.#requesters[base + s] !== NO_PEER) n++;
    return n;
  }

  /** Whether block `block` is requested from `peer`. */
  isRequestedFrom(block: number, peer: number): boolean {
    const base = block * this.#slots;
    for (let s = 0; s < this.#slots; s++) if (this.#requesters[base + s] === peer) return true;
    return false;
  }

  /**
   * Records a request for `block` to `peer`; the caller checked the block is not received, not already requested
   * from `peer` and has a free slot.
   */
  request(block: number, peer: number): void {
    const base = block * this.#slots;
    for (let s = 0; s < this.#slots; s++) {
      if (this.#requesters[base + s] !== NO_PEER) continue;
      this.#requesters[base + s] = peer;
      break;
    }
    if (this.state[block] === MISSING) {
      this.state[block] = REQUESTED;
      this.#missing--;
      this.#requested++;
      if (block === this.#firstMissing) this.#advanceFirstMissing();
    }
    this.touched.add(peer);
  }

  /**
   * Forgets the request for `block` to `peer`.
   * @returns Whether the block became missing (no other peer is asked for it).
   */
  unrequest(block: number, peer: number): boolean {
    const base = block * this.#slots;
    let left = 0;
    for (let s = 0; s < this.#slots; s++) {
      if (this.#requesters[base + s] === peer) this.#requesters[base + s] = NO_PEER;
      else if (this.#requesters[base + s] !== NO_PEER) left++;
    }
    if (left > 0 || this.state[block] !== REQUESTED) return false;
    this.state[block] = MISSING;
    this.#requested--;
    this.#missing++;
    if (block < this.#firstMissing) this.#firstMissing = block;
    return true;
  }

  /**
   * Marks `block` received from `peer` and clears its requests.
   * @returns Every peer the block was requested from (including `peer` when it was).
   */
  receive(block: number, peer: number): number[] {
    const base = block * this.#slots;
    const asked: number[] = [];
    for (let s = 0; s < this.#slots; s++) {
      const p = this.#requesters[base + s];
      if (p === NO_PEER) continue;
      asked.push(p);
      this.#requesters[base + s] = NO_PEER;
    }
    if (this.state[block] === REQUESTED) this.#requested--;
    else if (this.state[block] === MISSING) {
      this.#missing--;
      if (block === this.#firstMissing) this.#advanceFirstMissing();
    }
    this.state[block] = RECEIVED;
    this.#received++;
    this.contributors.add(peer);
    this.touched.add(peer);
    return asked;
  }

  /** Every peer some block is currently requested from, each with the blocks asked of it. */
  outstanding(): Map<number, number[]> {
    const result = new Map<number, number[]>();
    for (let i = 0; i < this.#requesters.length; i++) {
      const p = this.#requesters[i];
      if (p === NO_PEER) continue;
      const blocks = result.get(p);
      const block = Math.floor(i / this.#slots);
      if (blocks === undefined) result.set(p, [block]);
      else blocks.push(block);
    }
    return result;
  }

  #advanceFirstMissing(): void {
    let b = this.#firstMissing;
    while (b < this.blockCount && this.state[b] !== MISSING) b++;
    this.#firstMissing = b;
  }
}
