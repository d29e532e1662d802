import assert from "node:assert/strict";
import fc from "fast-check";
import { shuffleTiers } from "./tiers.ts";

/** A deterministic source that returns `values` in turn. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

Deno.test("shuffleTiers() keeps tier order and each tier's URLs, and copies", () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.string(), { maxLength: 6 }), { maxLength: 5 }),
      fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
      (tiers, stream) => {
        const frozen = JSON.stringify(tiers);
        const shuffled = shuffleTiers(tiers, () => stream.next().value);
        assert.equal(JSON.stringify(tiers), frozen);
        assert.equal(shuffled.length, tiers.length);
        shuffled.forEach((tier, i) => {
          assert.notEqual(tier, tiers[i]);
          assert.deepEqual(tier.toSorted(), tiers[i].toSorted());
        });
      },
    ),
  );
});

Deno.test("shuffleTiers() is a Fisher-Yates shuffle driven by random()", () => {
  // i = 2: r 0 → j 0 swaps c/a → [c, b, a]; i = 1: r 0.99 → j 1 keeps → [c, b, a].
  assert.deepEqual(shuffleTiers([["a", "b", "c"]], sequence(0, 0.99)), [["c", "b", "a"]]);
  // Always the last index: no swaps.
  assert.deepEqual(shuffleTiers([["a", "b", "c"], ["d"]], sequence(0.999)), [["a", "b", "c"], ["d"]]);
  assert.deepEqual(shuffleTiers([], Math.random), []);
});

Deno.test("shuffleTiers() reaches every order of a tier", () => {
  const seen = new Set<string>();
  for (const a of [0, 0.4, 0.8]) {
    for (const b of [0, 0.6]) seen.add(shuffleTiers([["a", "b", "c"]], sequence(a, b))[0].join(""));
  }
  assert.equal(seen.size, 6);
});

Deno.test("shuffleTiers() rejects a random() outside [0, 1)", () => {
  for (const bad of [1, -0.1, Number.NaN]) {
    assert.throws(() => shuffleTiers([["a", "b"]], () => bad), RangeError);
  }
  // A one-URL tier never calls random().
  assert.deepEqual(shuffleTiers([["a"]], () => 5), [["a"]]);
});
