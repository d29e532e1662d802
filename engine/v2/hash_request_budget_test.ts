import assert from "node:assert/strict";
import { HashRequestBudget } from "./hash_request_budget.ts";

function takes(budget: HashRequestBudget, n: number, now: number): string[] {
  return Array.from({ length: n }, () => budget.take(now));
}

Deno.test("HashRequestBudget.take() serves a burst, then rejects, then drops a flood", () => {
  const budget = new HashRequestBudget({ ratePerSecond: 10, burst: 5, maxOverBudget: 3 });
  assert.deepEqual(takes(budget, 10, 0), [
    "serve",
    "serve",
    "serve",
    "serve",
    "serve",
    "reject",
    "reject",
    "reject",
    "drop",
    "drop",
  ]);
});

Deno.test("HashRequestBudget.take() refills at the rate and forgives a peer that slows down", () => {
  const budget = new HashRequestBudget({ ratePerSecond: 10, burst: 5, maxOverBudget: 4 });
  assert.deepEqual(takes(budget, 7, 0).filter((d) => d === "serve").length, 5);
  assert.deepEqual(takes(budget, 2, 100), ["serve", "reject"], "one token per 100 ms");
  assert.deepEqual(takes(budget, 1, 50), ["reject"], "time going backwards adds nothing");
  // Back to a full bucket: the over-budget count starts again.
  assert.deepEqual(takes(budget, 10, 10_000), [
    "serve",
    "serve",
    "serve",
    "serve",
    "serve",
    "reject",
    "reject",
    "reject",
    "reject",
    "drop",
  ]);
});

Deno.test("HashRequestBudget() refuses bad options", () => {
  assert.throws(() => new HashRequestBudget({ ratePerSecond: 0 }), RangeError);
  assert.throws(() => new HashRequestBudget({ ratePerSecond: NaN }), RangeError);
  assert.throws(() => new HashRequestBudget({ burst: -1 }), RangeError);
  assert.throws(() => new HashRequestBudget({ maxOverBudget: 1.5 }), RangeError);
});
