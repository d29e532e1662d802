/**
 * Piece buffers on their way from the sockets to the disk workers (DESIGN.md section 3), counted against the
 * session's memory budget from the first request of a piece until its write finishes.
 *
 * @module
 */

import type { Budget } from "./torrent_context.ts";

/** Bytes of full-size buffers kept for reuse after the workers hand them back. */
const SPARE_BYTES = 4 * 1024 * 1024;
/** Pieces that may always be in flight, whatever the budget: large pieces (4-16 MiB) still keep peers busy. */
const MIN_PIECES_IN_FLIGHT = 4;

/**
 * One torrent's piece buffers. A piece whose requests are all aborted (choke, timeout, disconnect) keeps its
 * buffer, and the blocks already in it, until it is picked again and completed: the budget bounds how many exist.
 */
export class PieceBuffers {
  #budget: Budget;
  #pieceLength: number;
  #buffers = new Map<number, Uint8Array>();
  #spare: ArrayBuffer[] = [];

  /**
   * @param budget The session's shared budget (bytes).
   * @param pieceLength The torrent's nominal piece length (bytes); only buffers of this size are reused.
   */
  constructor(budget: Budget, pieceLength: number) {
    this.#budget = budget;
    this.#pieceLength = pieceLength;
  }

  /** The buffer of piece `index`, if it has one. */
  get(index: number): Uint8Array | undefined {
    return this.#buffers.get(index);
  }

  /**
   * Gives piece `index` a buffer of `size` bytes if the budget allows it; pieces waiting for the disk still count,
   * so writes that lag hold back new pieces.
   * @returns Whether the piece has a buffer now.
   */
  allocate(index: number, size: number): boolean {
    if (this.#buffers.has(index)) return true;
    if (this.#budget.used + size > Math.max(this.#budget.limit, MIN_PIECES_IN_FLIGHT * size)) return false;
    this.#budget.used += size;
    const spare = size === this.#pieceLength ? this.#spare.pop() : undefined;
    this.#buffers.set(index, new Uint8Array(spare ?? new ArrayBuffer(size)));
    return true;
  }

  /** How many more buffers of `size` bytes the budget allows now (pieces waiting for the disk count). */
  available(size: number): number {
    return Math.max(
      0,
      Math.floor((Math.max(this.#budget.limit, MIN_PIECES_IN_FLIGHT * size) - this.#budget.used) / size),
    );
  }

  /** Removes piece `index`'s buffer to hand it to the disk; its bytes stay counted until `written()`. */
  take(index: number): Uint8Array | undefined {
    const buffer = this.#buffers.get(index);
    this.#buffers.delete(index);
    return buffer;
  }

  /**
   * A taken buffer's write finished (or failed): its bytes leave the budget.
   * @param size The piece's size in bytes.
   * @param returned The buffer the worker handed back, kept for reuse when it is full-size.
   */
  written(size: number, returned?: ArrayBuffer): void {
    this.#budget.used -= size;
    // Spare buffers sit outside the budget: keep a few MiB of them, never sixteen 16 MiB pieces.
    if (
      returned?.byteLength === this.#pieceLength &&
      (this.#spare.length + 1) * this.#pieceLength <= SPARE_BYTES
    ) {
      this.#spare.push(returned);
    }
  }

  /** Drops every buffer not taken, returning its bytes to the budget (the torrent is closing). */
  releaseAll(): void {
    for (const buffer of this.#buffers.values()) this.#budget.used -= buffer.byteLength;
    this.#buffers.clear();
    this.#spare = [];
  }
}
