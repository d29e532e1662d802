/**
 * Which pieces we have and which we want: the have-bitfield (BEP 3), per-piece priorities (0 = do not download,
 * 1..7) and the pieces still needed (wanted and not had). The picker decides what to request from them.
 *
 * @module
 */

import { Bitfield } from "./bitfield.ts";
import { MAX_PIECE_PRIORITY } from "./_rarest_first.ts";

/** Priority of every piece until changed: libtorrent's default. */
export const DEFAULT_PIECE_PRIORITY = 4;

/**
 * @throws {RangeError} When `priority` (of piece `index`) is not an integer in 0..7.
 */
export function checkPriority(index: number, priority: number): void {
  if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PIECE_PRIORITY) {
    throw new RangeError(`Cannot set priority of piece ${index}: ${priority} is not an integer in 0..7`);
  }
}

/** Had, wanted and needed pieces of one torrent; one entry per piece in each. */
export class WantedPieces {
  /** Verified pieces. */
  readonly have: Bitfield;
  /** Per-piece priority, 0..7; shared read-only with the rarest-first order. */
  readonly priority: Uint8Array;
  #needed: Bitfield;

  /** Nothing had, every piece wanted at {@link DEFAULT_PIECE_PRIORITY}. */
  constructor(pieceCount: number) {
    this.have = new Bitfield(pieceCount);
    this.priority = new Uint8Array(pieceCount).fill(DEFAULT_PIECE_PRIORITY);
    this.#needed = new Bitfield(pieceCount);
    this.#needed.setAll();
  }

  /** Number of pieces wanted and not had. */
  get neededCount(): number {
    return this.#needed.count;
  }

  /** Whether piece `index` is wanted and not had. */
  needs(index: number): boolean {
    return this.#needed.has(index);
  }

  /** Whether piece `index` has a priority above 0 (had or not). */
  wanted(index: number): boolean {
    return this.priority[index] > 0;
  }

  /** Marks piece `index` had. @returns Whether it was not had before. */
  setHave(index: number): boolean {
    if (!this.have.set(index)) return false;
    this.#needed.clear(index);
    return true;
  }

  /** Marks piece `index` missing again. @returns Whether it was had before. */
  clearHave(index: number): boolean {
    if (!this.have.clear(index)) return false;
    if (this.priority[index] > 0) this.#needed.set(index);
    return true;
  }

  /**
   * Sets the priority of piece `index` (already checked to be in 0..7).
   * @returns The previous priority.
   */
  setPriority(index: number, priority: number): number {
    const old = this.priority[index];
    this.priority[index] = priority;
    if (!this.have.has(index)) {
      if (priority === 0) this.#needed.clear(index);
      else this.#needed.set(index);
    }
    return old;
  }

  /** Whether a peer with these pieces (same size) has one we need; `"all"` for a seed. */
  isInteresting(peerHas: Bitfield | "all"): boolean {
    if (peerHas === "all") return this.#needed.count > 0;
    const ours = this.#needed.bytes;
    const theirs = peerHas.bytes;
    for (let i = 0; i < ours.length; i++) if ((ours[i] & theirs[i]) !== 0) return true;
    return false;
  }
}
