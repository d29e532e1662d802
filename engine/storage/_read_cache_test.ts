import assert from "node:assert/strict";
import { ReadCache } from "./_read_cache.ts";

function loader(bytes: number) {
  const calls: string[] = [];
  return {
    calls,
    load: (tag: string) => () => {
      calls.push(tag);
      return Promise.resolve(new Uint8Array(bytes));
    },
  };
}

Deno.test("ReadCache.get() coalesces concurrent loads of one piece", async () => {
  const cache = new ReadCache(1000);
  const { calls, load } = loader(100);
  const got = await Promise.all(Array.from({ length: 16 }, () => cache.get(1, 0, load("1:0"))));
  assert.deepEqual(calls, ["1:0"]);
  assert.ok(got.every((bytes) => bytes === got[0]));
  await cache.get(1, 0, load("again"));
  assert.deepEqual(calls, ["1:0"], "a hit does not load");
  assert.equal(cache.bytes, 100);
});

Deno.test("ReadCache evicts the least recently used pieces to stay within its budget", async () => {
  const cache = new ReadCache(250);
  const { calls, load } = loader(100);
  await cache.get(1, 0, load("a"));
  await cache.get(1, 1, load("b"));
  await cache.get(1, 0, load("a2"));
  await cache.get(1, 2, load("c"));
  assert.equal(cache.bytes, 200);
  await cache.get(1, 0, load("a3"));
  await cache.get(1, 1, load("b2"));
  assert.deepEqual(calls, ["a", "b", "c", "b2"]);
});

Deno.test("ReadCache.delete() drops a piece, including a load in flight", async () => {
  const cache = new ReadCache(1000);
  const { calls, load } = loader(10);
  const pending = cache.get(2, 5, load("old"));
  cache.delete(2, 5);
  await pending;
  await cache.get(2, 5, load("new"));
  assert.deepEqual(calls, ["old", "new"], "a load invalidated in flight is not cached");
  cache.deleteStorage(2);
  assert.equal(cache.bytes, 0);
});

Deno.test("ReadCache with a zero budget caches nothing and a failed load is not kept", async () => {
  const cache = new ReadCache(0);
  const { calls, load } = loader(10);
  await cache.get(1, 0, load("a"));
  await cache.get(1, 0, load("b"));
  assert.deepEqual(calls, ["a", "b"]);
  await assert.rejects(() => cache.get(1, 1, () => Promise.reject(new Error("disk"))), /disk/);
  await cache.get(1, 1, load("c"));
  assert.deepEqual(calls, ["a", "b", "c"]);
  assert.throws(() => new ReadCache(-1), RangeError);
});
