import assert from "node:assert/strict";
import { iterativeLookup } from "./_lookup.ts";
import { encodeCompactNodes, encodeCompactPeer, type NodeContact } from "./compact.ts";
import { compareDistance } from "./routing_table.ts";

function network(size: number): NodeContact[] {
  return Array.from({ length: size }, (_, i) => ({
    id: crypto.getRandomValues(new Uint8Array(20)),
    host: `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`,
    port: 6881,
  }));
}

function closestOf(all: NodeContact[], target: Uint8Array, n: number): NodeContact[] {
  return [...all].sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, n);
}

Deno.test("iterativeLookup() behaviour: converges on the true k closest nodes", async () => {
  const all = network(300);
  const target = crypto.getRandomValues(new Uint8Array(20));
  const byHost = new Map(all.map((n) => [n.host, n]));
  const result = await iterativeLookup(target, all.slice(0, 3), (node) => {
    const self = byHost.get(node.host)!;
    return Promise.resolve({
      id: self.id,
      r: new Map([["nodes", encodeCompactNodes(closestOf(all, target, 8))]]),
    });
  });
  assert.deepEqual(result.responders.map((r) => r.node.host), closestOf(all, target, 8).map((n) => n.host));
  assert.ok(result.queries <= 64);
});

Deno.test("iterativeLookup() behaviour: skips failed nodes, collects values and tokens, caps queries", async () => {
  const all = network(40);
  const target = all[0].id;
  const [, failing, self] = closestOf(all, target, 3);
  const token = new Uint8Array([1, 2, 3, 4]);
  const result = await iterativeLookup(target, all, (node) => {
    if (node.host === failing.host) return Promise.reject(new Error("timeout"));
    const id = all.find((n) => n.host === node.host)!.id;
    const values = [encodeCompactPeer({ host: "1.2.3.4", port: 80 }), new Uint8Array(7), 5];
    return Promise.resolve({
      id,
      r: new Map<string, never>([["token", token as never], ["values", values as never]]),
    });
  }, { selfId: self.id, maxQueries: 5, alpha: 2 });
  assert.equal(result.queries, 5);
  assert.equal(result.responders.length, 4);
  assert.deepEqual(result.peers, [{ host: "1.2.3.4", port: 80 }]);
  assert.ok(result.responders.every((r) => r.node.host !== failing.host && r.node.host !== self.host));
  assert.ok(result.responders.every((r) => r.token === token));
});

Deno.test("iterativeLookup() behaviour: ends at the timeout and with no seeds", async () => {
  assert.deepEqual(await iterativeLookup(new Uint8Array(20), [], () => Promise.reject(new Error("x"))), {
    peers: [],
    responders: [],
    queries: 0,
  });
  let release = () => {};
  const hang = new Promise<never>((_, reject) => release = () => reject(new Error("late")));
  const result = await iterativeLookup(new Uint8Array(20), network(2), () => hang, { timeoutMs: 10 });
  assert.equal(result.queries, 2);
  assert.deepEqual(result.responders, []);
  release();
  await hang.catch(() => {});
});
