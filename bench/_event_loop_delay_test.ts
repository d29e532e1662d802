import assert from "node:assert/strict";
import { EventLoopDelaySampler, summarise } from "./_event_loop_delay.ts";

Deno.test("summarise() gives count, mean, nearest-rank p99 and max", () => {
  const samples = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual(summarise(samples), { count: 100, meanMs: 50.5, p99Ms: 99, maxMs: 100 });
  assert.deepEqual(summarise([]), { count: 0, meanMs: 0, p99Ms: 0, maxMs: 0 });
});

Deno.test("EventLoopDelaySampler sees the loop blocked", async () => {
  const sampler = new EventLoopDelaySampler(5);
  sampler.start();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const until = performance.now() + 60;
  while (performance.now() < until) { /* block the loop */ }
  await new Promise((resolve) => setTimeout(resolve, 20));
  const summary = sampler.stop();
  assert.ok(summary.count >= 2);
  assert.ok(summary.maxMs >= 40, `max ${summary.maxMs} ms`);
});

Deno.test("EventLoopDelaySampler rejects a bad interval", () => {
  assert.throws(() => new EventLoopDelaySampler(0), RangeError);
});
