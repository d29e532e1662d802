/**
 * Which blocks each peer has been asked for, by block id (see `_block_geometry.ts`).
 *
 * @module
 */

/** Largest peer key: keys are integers in `0..MAX_PEER_KEY`. */
const MAX_PEER_KEY = 0x7fffffff;

/** @throws {RangeError} When `peer` is not an integer in `0..2147483647`. */
export function checkPeerKey(peer: number): void {
  if (!Number.isInteger(peer) || peer < 0 || peer > MAX_PEER_KEY) {
    throw new RangeError(`Cannot pick blocks for peer ${peer}: peer keys are integers in 0..${MAX_PEER_KEY}`);
  }
}

/** Outstanding block requests per peer key. */
export class PeerRequests {
  #byPeer = new Map<number, Set<number>>();

  /** Records that block `id` was requested from `peer`. */
  add(peer: number, id: number): void {
    let ids = this.#byPeer.get(peer);
    if (ids === undefined) this.#byPeer.set(peer, ids = new Set());
    ids.add(id);
  }

  /** Forgets the request of block `id` to `peer`, if any. */
  delete(peer: number, id: number): void {
    const ids = this.#byPeer.get(peer);
    if (ids === undefined) return;
    ids.delete(id);
    if (ids.size === 0) this.#byPeer.delete(peer);
  }

  /** Number of blocks outstanding to `peer`. */
  count(peer: number): number {
    return this.#byPeer.get(peer)?.size ?? 0;
  }

  /** The block ids outstanding to `peer`, as a copy (safe to iterate while deleting). */
  of(peer: number): number[] {
    return [...this.#byPeer.get(peer) ?? []];
  }
}
