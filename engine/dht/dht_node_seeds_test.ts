import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { DhtNode, type DhtNodeOptions } from "./dht_node.ts";
import { RoutingTable } from "./routing_table.ts";

const LOCAL = "127.0.0.1";

async function node(options: DhtNodeOptions = {}): Promise<DhtNode> {
  const n = new DhtNode({
    host: LOCAL,
    allowSameIp: true,
    queryTimeoutMs: 200,
    rateLimit: { perIpPerSecond: 1000, banSeconds: 1 },
    ...options,
  });
  await n.start();
  return n;
}

/** A UDP port on 127.0.0.1 that never answers. */
async function silentPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, LOCAL, () => resolve()));
  return {
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

const key = (n: { id: Uint8Array }) => Array.from(n.id).join(",");

Deno.test("DhtNode.bootstrap() behaviour: seeds that answer join the table and lead to the nodes they know", async () => {
  const hub = await node();
  const others = await Promise.all(
    [1, 2, 3].map(() => node({ bootstrap: [{ host: LOCAL, port: hub.port }] })),
  );
  const silent = await silentPort();
  let restarted: DhtNode | undefined;
  try {
    for (const other of others) await other.bootstrap();
    const fakeId = new Uint8Array(20).fill(0x55);
    // Saved from "an earlier run": the hub, one live node, one that is gone, one IPv6 node (not for udp4).
    restarted = await node({
      seeds: [
        { id: hub.id, host: LOCAL, port: hub.port },
        { id: others[0].id, host: LOCAL, port: others[0].port },
        { id: fakeId, host: LOCAL, port: silent.port },
        { id: new Uint8Array(20).fill(0x66), host: "::1", port: hub.port },
      ],
    });
    await restarted.bootstrap();
    const known = new Set(restarted.nodes().map(key));
    for (const live of [hub, ...others]) assert.ok(known.has(key(live)), "every live node is found");
    assert.equal(known.has(key({ id: fakeId })), false, "a seed that never answered is not in the table");
    assert.equal(known.size, 4);
  } finally {
    await restarted?.close();
    await silent.close();
    await Promise.all([hub, ...others].map((n) => n.close()));
  }
});

Deno.test("DhtNode goodNodes() behaviour: what a restart with the same id needs to find its place again", async () => {
  let now = 1_000_000;
  const clock = () => now;
  const a = await node();
  const b = await node();
  const first = await node({ now: clock });
  let second: DhtNode | undefined;
  try {
    assert.equal(await first.addNode(LOCAL, a.port), true);
    // a answers, then checks us with a ping of its own (BEP 5: a querier is good once it answered): let that
    // query refresh a at this time, before the clock moves.
    await new Promise((resolve) => setTimeout(resolve, 50));
    now += 5000;
    assert.equal(await first.addNode(LOCAL, b.port), true);
    assert.deepEqual(first.goodNodes(), [
      { id: b.id, host: LOCAL, port: b.port, lastSeen: 1_005_000 },
      { id: a.id, host: LOCAL, port: a.port, lastSeen: 1_000_000 },
    ]);
    assert.deepEqual(first.goodNodes(1).map(key), [key(b)]);
    const saved = { id: first.id, nodes: first.goodNodes() };
    now += 15 * 60_000 + 1;
    assert.deepEqual(
      first.goodNodes().map(key),
      [key(a)].slice(1),
      "a node silent for 15 minutes is not good",
    );
    await first.close();

    second = await node({ id: saved.id, seeds: saved.nodes });
    assert.deepEqual(second.id, saved.id);
    await second.bootstrap();
    assert.deepEqual(new Set(second.goodNodes().map(key)), new Set([key(a), key(b)]));
  } finally {
    await second?.close();
    await Promise.all([a.close(), b.close(), first.close()]);
  }
});

Deno.test("RoutingTable.goodNodes() behaviour: leaves out questionable and bad nodes, newest first", () => {
  let now = 0;
  const table = new RoutingTable(new Uint8Array(20), { now: () => now, allowSameIp: true });
  const id = (n: number) => new Uint8Array(20).fill(n);
  for (let n = 1; n <= 4; n++) {
    now = n * 60_000;
    table.add({ id: id(n), host: "10.0.0.1", port: 1000 + n });
  }
  table.markFailed(id(3));
  table.markFailed(id(3));
  now = 16 * 60_000 + 30_000;
  assert.deepEqual(table.goodNodes(), [
    { id: id(4), host: "10.0.0.1", port: 1004, lastSeen: 240_000 },
    { id: id(2), host: "10.0.0.1", port: 1002, lastSeen: 120_000 },
  ]);
  assert.equal(table.size, 4);
  assert.deepEqual(table.goodNodes(1).map((n) => n.port), [1004]);
});
