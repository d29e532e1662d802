import assert from "node:assert/strict";
import { RATE_WINDOW_SECONDS, RateLimiter } from "./rate_limiter.ts";

Deno.test("RateLimiter.allow() behaviour: bans after 5 per second over 10 s, until 300 s of quiet (HOSTILE 53)", () => {
  let now = 0;
  const limiter = new RateLimiter({ now: () => now });
  for (let i = 0; i < 50; i++) assert.equal(limiter.allow("10.0.0.1"), true, `query ${i}`);
  assert.equal(limiter.allow("10.0.0.2"), true);
  assert.equal(limiter.allow("10.0.0.1"), false);
  assert.equal(limiter.isBanned("10.0.0.1"), true);
  assert.equal(limiter.isBanned("10.0.0.2"), false);
  now = 299_999;
  assert.equal(limiter.isBanned("10.0.0.1"), true);
  now = 300_000;
  assert.equal(limiter.isBanned("10.0.0.1"), false);
  assert.equal(limiter.allow("10.0.0.1"), true);
});

Deno.test("RateLimiter.allow() behaviour: a flooder stays banned until it has been quiet for the ban period", () => {
  let now = 0;
  const limiter = new RateLimiter({ now: () => now, perIpPerSecond: 1, banSeconds: 60 });
  for (let i = 0; i < 10; i++) limiter.allow("10.0.0.1");
  assert.equal(limiter.allow("10.0.0.1"), false);
  now = 59_000;
  assert.equal(limiter.allow("10.0.0.1"), false, "still sending: the ban is extended");
  now = 59_000 + 59_999;
  assert.equal(limiter.allow("10.0.0.1"), false);
  now += 60_000;
  assert.equal(limiter.allow("10.0.0.1"), true);
});

Deno.test("RateLimiter.allow() behaviour: a burst is allowed, the average rate is what counts", () => {
  let now = 0;
  const limiter = new RateLimiter({ now: () => now, perIpPerSecond: 2 });
  // A burst of 12 in the first second (a node bootstrapping and announcing several torrents) passes...
  for (let i = 0; i < 12; i++) assert.equal(limiter.allow("10.0.0.1"), true);
  // ...and so does 2 a second on average, window after window.
  for (let w = 1; w <= 4; w++) {
    now = w * RATE_WINDOW_SECONDS * 1000;
    for (let i = 0; i < 2 * RATE_WINDOW_SECONDS; i++) assert.equal(limiter.allow("10.0.0.1"), true);
  }
  assert.equal(limiter.isBanned("10.0.0.1"), false);
});

Deno.test("RateLimiter.allow() behaviour: tracking is capped", () => {
  const limiter = new RateLimiter({ maxTracked: 10, now: () => 0 });
  for (let i = 0; i < 100; i++) assert.equal(limiter.allow(`10.0.0.${i}`), true);
});
