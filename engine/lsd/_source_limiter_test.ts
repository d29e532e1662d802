import assert from "node:assert/strict";
import { SourceLimiter } from "./_source_limiter.ts";

Deno.test("SourceLimiter.allow() lets perSecond messages through per source per second", () => {
  const limiter = new SourceLimiter(2);
  assert.equal(limiter.allow("a", 0), true);
  assert.equal(limiter.allow("a", 10), true);
  assert.equal(limiter.allow("a", 20), false);
  assert.equal(limiter.allow("b", 20), true, "sources counted apart");
  assert.equal(limiter.allow("a", 999), false);
  assert.equal(limiter.allow("a", 1000), true, "new window");
});

Deno.test("SourceLimiter.allow() refuses new sources while the table is full of live ones", () => {
  const limiter = new SourceLimiter(1, 2);
  assert.equal(limiter.allow("a", 0), true);
  assert.equal(limiter.allow("b", 500), true);
  assert.equal(limiter.allow("c", 600), false);
  assert.equal(limiter.allow("c", 1000), true, "a's window ended and was swept");
  assert.equal(limiter.allow("d", 1000), false);
});
