import assert from "node:assert/strict";
import { RateLimiter } from "./rate_limiter.ts";

Deno.test("RateLimiter.allow() behaviour: bans for 300 s after 5 per second (HOSTILE 53)", () => {
  let now = 0;
  const limiter = new RateLimiter({ now: () => now });
  for (let i = 0; i < 5; i++) assert.equal(limiter.allow("10.0.0.1"), true);
  assert.equal(limiter.allow("10.0.0.2"), true);
  assert.equal(limiter.allow("10.0.0.1"), false);
  now = 299_999;
  assert.equal(limiter.allow("10.0.0.1"), false);
  now = 300_000;
  assert.equal(limiter.isBanned("10.0.0.1"), false);
  assert.equal(limiter.allow("10.0.0.1"), true);
});

Deno.test("RateLimiter.allow() behaviour: windows reset each second", () => {
  let now = 0;
  const limiter = new RateLimiter({ now: () => now, perIpPerSecond: 2 });
  for (let s = 0; s < 5; s++) {
    now = s * 1000;
    assert.equal(limiter.allow("10.0.0.1"), true);
    assert.equal(limiter.allow("10.0.0.1"), true);
  }
  assert.equal(limiter.isBanned("10.0.0.1"), false);
});

Deno.test("RateLimiter.allow() behaviour: tracking is capped", () => {
  const limiter = new RateLimiter({ maxTracked: 10, now: () => 0 });
  for (let i = 0; i < 100; i++) assert.equal(limiter.allow(`10.0.0.${i}`), true);
});
