import assert from "node:assert/strict";
import { ByteBudget } from "./_byte_budget.ts";

Deno.test("ByteBudget.take() behaviour: refills at the rate up to the burst", () => {
  let now = 0;
  const budget = new ByteBudget(1000, 1500, () => now);
  assert.equal(budget.take(1000), true);
  assert.equal(budget.take(600), false);
  assert.equal(budget.take(500), true);
  now = 500;
  assert.equal(budget.take(501), false);
  assert.equal(budget.take(500), true);
  now = 100_000;
  assert.equal(budget.take(1501), false);
  assert.equal(budget.take(1500), true);
});
