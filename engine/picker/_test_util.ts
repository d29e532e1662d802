/**
 * Helpers for the picker tests.
 *
 * @module
 */

import { Bitfield } from "./bitfield.ts";

/** A deterministic uniform random source in `[0, 1)` (mulberry32) seeded with `seed`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A bitfield of `size` pieces with `pieces` set. */
export function bitfieldOf(size: number, pieces: Iterable<number>): Bitfield {
  const bitfield = new Bitfield(size);
  for (const i of pieces) bitfield.set(i);
  return bitfield;
}
