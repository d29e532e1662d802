import assert from "node:assert/strict";
import { Choker, type ChokerPeer } from "./choker.ts";
import { seededRandom } from "./_test_util.ts";

/** Interested, choked peers with download rate `key × 1000` and upload rate `(100 - key) × 1000`. */
function peers(keys: number[], extra: Partial<ChokerPeer> = {}): ChokerPeer[] {
  return keys.map((key) => ({
    key,
    interested: true,
    choked: true,
    downloadRate: key * 1000,
    uploadRate: (100 - key) * 1000,
    ...extra,
  }));
}

const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b);

Deno.test("Choker() rejects bad options", () => {
  assert.throws(() => new Choker({ uploadSlots: -1 }), RangeError);
  assert.throws(() => new Choker({ uploadSlots: 1.5 }), RangeError);
  assert.throws(() => new Choker({ optimisticInterval: -1 }), RangeError);
});

Deno.test("Choker.rechoke() fills the regular slots with the best rates plus one optimistic unchoke", () => {
  const cases: { slots: number; keys: number[]; seeding: boolean; regular: number[] }[] = [
    { slots: 4, keys: [1, 2, 3, 4, 5, 6, 7, 8], seeding: false, regular: [5, 6, 7, 8] },
    { slots: 2, keys: [10, 30, 20, 40], seeding: false, regular: [30, 40] },
    { slots: 3, keys: [1, 2, 3, 4, 5, 6], seeding: true, regular: [1, 2, 3] }, // upload rate is 100 - key
    { slots: 0, keys: [1, 2, 3], seeding: false, regular: [] },
  ];
  for (const { slots, keys, seeding, regular } of cases) {
    const choker = new Choker({ uploadSlots: slots, random: seededRandom(1) });
    const unchoked = choker.rechoke(peers(keys), 0, seeding);
    assert.equal(unchoked.size, slots + 1, JSON.stringify({ slots, keys }));
    for (const key of regular) assert.ok(unchoked.has(key), `${key} should hold a regular slot`);
    const optimistic = choker.optimistic!;
    assert.ok(!regular.includes(optimistic) && keys.includes(optimistic));
    assert.deepEqual(sorted(unchoked), [...regular, optimistic].sort((a, b) => a - b));
  }
});

Deno.test("Choker.rechoke() ignores uninterested peers and seeds", () => {
  const choker = new Choker({ uploadSlots: 2, random: seededRandom(2) });
  const list = [
    ...peers([90, 80], { interested: false, choked: false }), // fast but not interested: choked
    ...peers([70], { isSeed: true }),
    ...peers([1, 2]),
  ];
  assert.deepEqual(sorted(choker.rechoke(list, 0, false)), [1, 2]);
  assert.equal(choker.optimistic, undefined); // both interested peers fit in the regular slots
  assert.deepEqual(sorted(choker.rechoke(peers([90, 80], { interested: false }), 0, false)), []);
});

Deno.test("Choker.rechoke() prefers peers already unchoked on equal rates", () => {
  const choker = new Choker({ uploadSlots: 1, random: () => 0 });
  const list = peers([1, 2, 3]).map((p) => ({ ...p, downloadRate: 500, choked: p.key !== 3 }));
  const unchoked = choker.rechoke(list, 0, false);
  assert.ok(unchoked.has(3));
  assert.equal(unchoked.size, 2);
});

Deno.test("Choker.rechoke() keeps the optimistic unchoke for the interval, then rotates", () => {
  const choker = new Choker({ uploadSlots: 1, optimisticInterval: 30_000, random: seededRandom(3) });
  const list = peers([1, 2, 3, 4, 5, 50]);
  choker.rechoke(list, 0, false);
  const first = choker.optimistic!;
  const still = list.map((p) => ({ ...p, choked: p.key !== 50 && p.key !== first }));
  for (const now of [10_000, 20_000, 29_999]) {
    assert.deepEqual(sorted(choker.rechoke(still, now, false)), [first, 50].sort((a, b) => a - b));
    assert.equal(choker.optimistic, first);
  }
  choker.rechoke(still, 30_000, false);
  assert.notEqual(choker.optimistic, first);
  assert.notEqual(choker.optimistic, 50);
});

Deno.test("Choker.rechoke() replaces an optimistic peer that leaves, loses interest or wins a slot", () => {
  const choker = new Choker({ uploadSlots: 1, random: () => 0 });
  choker.rechoke(peers([1, 2, 3, 9]), 0, false);
  const first = choker.optimistic!;
  const gone = peers([1, 2, 3, 9]).filter((p) => p.key !== first);
  choker.rechoke(gone, 1000, false);
  assert.ok(choker.optimistic !== undefined && choker.optimistic !== first);
  const second = choker.optimistic!;
  const bored = gone.map((p) => ({ ...p, interested: p.key !== second }));
  choker.rechoke(bored, 2000, false);
  assert.ok(choker.optimistic !== undefined && choker.optimistic !== second);
  const third = choker.optimistic!;
  const fast = bored.map((p) => ({ ...p, downloadRate: p.key === third ? 1e9 : p.downloadRate }));
  const unchoked = choker.rechoke(fast, 3000, false);
  assert.ok(unchoked.has(third));
  assert.notEqual(choker.optimistic, third);
});

Deno.test("Choker.rechoke() draws newly connected peers three times as often", () => {
  const random = seededRandom(4);
  const counts = { fresh: 0, old: 0 };
  for (let trial = 0; trial < 4000; trial++) {
    const choker = new Choker({ uploadSlots: 1, random });
    const list = [
      ...peers([100]),
      ...peers([1, 2], { connectedAt: 0 }), // 60 s old at now = 60_000
      ...peers([3], { connectedAt: 50_000 }), // 10 s old: new
    ];
    choker.rechoke(list, 60_000, false);
    if (choker.optimistic === 3) counts.fresh++;
    else counts.old++;
  }
  // Weights 3 : 1 : 1 give the new peer 60 % of the draws.
  const share = counts.fresh / (counts.fresh + counts.old);
  assert.ok(share > 0.55 && share < 0.65, `new peer share ${share}`);
});
