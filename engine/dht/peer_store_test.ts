import assert from "node:assert/strict";
import { PeerStore } from "./peer_store.ts";

const hash = (n: number) => new Uint8Array(20).fill(n);

Deno.test("PeerStore.get() behaviour: expires peers after the TTL", () => {
  let now = 0;
  const store = new PeerStore({ now: () => now, ttlMs: 1000 });
  store.add(hash(1), { host: "10.0.0.1", port: 1 });
  now = 500;
  store.add(hash(1), { host: "10.0.0.2", port: 2 });
  assert.deepEqual(store.get(hash(1)), [{ host: "10.0.0.2", port: 2 }, { host: "10.0.0.1", port: 1 }]);
  now = 1000;
  assert.deepEqual(store.get(hash(1)), [{ host: "10.0.0.2", port: 2 }]);
  now = 2000;
  assert.deepEqual(store.get(hash(1)), []);
  assert.equal(store.size, 0);
});

Deno.test("PeerStore.add() behaviour: caps peers per hash and hashes", () => {
  const store = new PeerStore({ maxPeersPerHash: 3, maxHashes: 2 });
  for (let i = 1; i <= 5; i++) store.add(hash(1), { host: "10.0.0.1", port: i });
  assert.deepEqual(store.get(hash(1)).map((p) => p.port), [5, 4, 3]);
  assert.equal(store.get(hash(1), 1).length, 1);
  store.add(hash(2), { host: "10.0.0.1", port: 1 });
  store.add(hash(1), { host: "10.0.0.1", port: 6 });
  store.add(hash(3), { host: "10.0.0.1", port: 1 });
  assert.equal(store.size, 2);
  assert.deepEqual(store.get(hash(2)), []);
  assert.equal(store.get(hash(1)).length, 3);
});

Deno.test("PeerStore.prune() behaviour: drops expired hashes", () => {
  let now = 0;
  const store = new PeerStore({ now: () => now, ttlMs: 10 });
  store.add(hash(1), { host: "10.0.0.1", port: 1 });
  now = 10;
  store.prune();
  assert.equal(store.size, 0);
});
