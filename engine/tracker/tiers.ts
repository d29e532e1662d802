/**
 * Tracker tiers (BEP 12): the `announce-list` is a list of tiers, each a list of announce URLs. The URLs inside
 * each tier are shuffled once when the torrent is loaded; tiers keep their order.
 *
 * @module
 */

/**
 * Copies `tiers` with the URLs of each tier in random order (Fisher–Yates), as BEP 12 asks a client to do once
 * when it loads a torrent. Tier order is kept, and so are empty tiers and duplicate URLs; the input is not
 * changed.
 *
 * @param tiers Announce URL tiers, first tier first (BEP 12 `announce-list`).
 * @param random Source of numbers in [0, 1); default `Math.random`. Tests pass a seeded one.
 * @returns A new array of new tier arrays.
 * @throws {RangeError} When `random` returns a number outside [0, 1).
 *
 * @example Shuffle an announce-list
 * ```ts
 * import assert from "node:assert/strict";
 * import { shuffleTiers } from "./tiers.ts";
 *
 * const tiers = [["http://a/announce", "http://b/announce"], ["udp://c:80"]];
 * const shuffled = shuffleTiers(tiers);
 * assert.deepEqual(shuffled[0].toSorted(), tiers[0]);
 * assert.deepEqual(shuffled[1], tiers[1]);
 * ```
 */
export function shuffleTiers(
  tiers: readonly (readonly string[])[],
  random: () => number = Math.random,
): string[][] {
  return tiers.map((tier) => {
    const urls = [...tier];
    for (let i = urls.length - 1; i > 0; i--) {
      const r = random();
      if (!(r >= 0 && r < 1)) {
        throw new RangeError(
          `Cannot shuffle tracker tiers: random() returned ${r}, expected a number in [0, 1)`,
        );
      }
      const j = Math.floor(r * (i + 1));
      [urls[i], urls[j]] = [urls[j], urls[i]];
    }
    return urls;
  });
}
