import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import type { BencodeDict } from "../bencode/mod.ts";
import { decodeCompactPeer } from "./compact.ts";
import { DhtNode } from "./dht_node.ts";
import { decodeKrpc, encodeQuery, type KrpcMessage } from "./krpc.ts";

const LOCAL = "127.0.0.1";

/** A raw KRPC client socket that records every reply (and, apart, the queries it gets, e.g. pings). */
class Raw {
  readonly socket: Socket;
  readonly replies: KrpcMessage[] = [];
  readonly queries: KrpcMessage[] = [];
  readonly sizes: number[] = [];
  #waiters: (() => void)[] = [];
  constructor() {
    this.socket = createSocket("udp4");
    this.socket.on("message", (msg: Uint8Array) => {
      this.sizes.push(msg.length);
      const message = decodeKrpc(msg);
      if (message.y === "q") return void this.queries.push(message);
      this.replies.push(message);
      this.#waiters.splice(0).forEach((w) => w());
    });
  }
  async open(): Promise<this> {
    await new Promise<void>((resolve) => this.socket.bind(0, LOCAL, () => resolve()));
    return this;
  }
  send(bytes: Uint8Array, port: number): void {
    this.socket.send(bytes, port, LOCAL);
  }
  async waitFor(count: number): Promise<void> {
    while (this.replies.length < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
  async ask(bytes: Uint8Array, port: number): Promise<KrpcMessage> {
    const before = this.replies.length;
    this.send(bytes, port);
    await this.waitFor(before + 1);
    return this.replies[before];
  }
  close(): Promise<void> {
    return new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

const rawId = new Uint8Array(20).fill(0x42);
const t = (n: number) => new Uint8Array([0xf0, n]);
const hash = (n: number) => new Uint8Array(20).fill(n);

async function node(options: ConstructorParameters<typeof DhtNode>[0] = {}): Promise<DhtNode> {
  const n = new DhtNode({ host: LOCAL, allowSameIp: true, ...options });
  await n.start();
  return n;
}

function response(message: KrpcMessage): BencodeDict {
  assert.equal(message.y, "r");
  return message.y === "r" ? message.r : new Map();
}

Deno.test("DhtNode.getPeers() behaviour: a swarm of 8 finds an announcer", async () => {
  const first = await node({ rateLimit: { perIpPerSecond: 1000, banSeconds: 1 } });
  const rest = await Promise.all(Array.from({ length: 7 }, () =>
    node({
      bootstrap: [{ host: LOCAL, port: first.port }],
      rateLimit: { perIpPerSecond: 1000, banSeconds: 1 },
    })));
  const all = [first, ...rest];
  try {
    for (const n of rest) await n.bootstrap();
    for (const n of rest) await n.bootstrap();
    assert.ok(rest.every((n) => n.nodes().length >= 3), "every node knows several others");
    const infoHash = hash(0xab);
    const announced = await rest[2].announcePeer(infoHash, 51413);
    assert.ok(announced >= 3, `announced to ${announced} nodes`);
    const implied = await rest[3].announcePeer(infoHash, 1, { impliedPort: true });
    assert.ok(implied >= 1);
    const peers = await rest[6].getPeers(infoHash);
    assert.ok(peers.some((p) => p.host === LOCAL && p.port === 51413), JSON.stringify(peers));
    assert.ok(peers.some((p) => p.port === rest[3].port), "implied_port uses the DHT port");
    assert.deepEqual(await rest[5].getPeers(hash(0xcd)), []);
  } finally {
    await Promise.all(all.map((n) => n.close()));
  }
});

Deno.test("DhtNode announce_peer behaviour: a bad token gets 203 and stores nothing (HOSTILE 52)", async () => {
  const dht = await node({ rateLimit: { perIpPerSecond: 1000, banSeconds: 1 } });
  const raw = await new Raw().open();
  try {
    const forged = await raw.ask(
      encodeQuery(t(1), "announce_peer", {
        id: rawId,
        info_hash: hash(1),
        port: 6881,
        token: new Uint8Array(8),
      }),
      dht.port,
    );
    assert.equal(forged.y, "e");
    assert.equal(forged.y === "e" && forged.code, 203);
    const first = response(
      await raw.ask(encodeQuery(t(2), "get_peers", { id: rawId, info_hash: hash(1) }), dht.port),
    );
    assert.equal(first.has("values"), false);
    const token = first.get("token");
    assert.ok(token instanceof Uint8Array);
    for (let port = 1; port <= 120; port++) {
      const ok = await raw.ask(
        encodeQuery(t(3), "announce_peer", { id: rawId, info_hash: hash(1), port, token }),
        dht.port,
      );
      assert.equal(ok.y, "r");
    }
    const second = response(
      await raw.ask(encodeQuery(t(4), "get_peers", { id: rawId, info_hash: hash(1) }), dht.port),
    );
    const values = second.get("values");
    assert.ok(Array.isArray(values) && values.length === 50, "values capped at 50");
    assert.deepEqual(decodeCompactPeer(values[0] as Uint8Array), { host: LOCAL, port: 120 });
    assert.ok(raw.sizes.every((size) => size <= 1500), `reply sizes ${Math.max(...raw.sizes)}`);
    const badPort = await raw.ask(
      encodeQuery(t(5), "announce_peer", { id: rawId, info_hash: hash(1), port: 0, token }),
      dht.port,
    );
    assert.equal(badPort.y === "e" && badPort.code, 203);
  } finally {
    await raw.close();
    await dht.close();
  }
});

Deno.test("DhtNode query behaviour: hostile and unknown queries get 203/204 or silence (HOSTILE 51)", async () => {
  const dht = await node({ rateLimit: { perIpPerSecond: 1000, banSeconds: 1 } });
  const raw = await new Raw().open();
  try {
    const pong = response(await raw.ask(encodeQuery(t(1), "ping", { id: rawId }), dht.port));
    assert.deepEqual(pong.get("id"), dht.id);
    const unknown = await raw.ask(encodeQuery(t(2), "vote", { id: rawId }), dht.port);
    assert.equal(unknown.y === "e" && unknown.code, 204);
    const shortId = await raw.ask(encodeQuery(t(3), "ping", { id: new Uint8Array(19) }), dht.port);
    assert.equal(shortId.y === "e" && shortId.code, 203);
    assert.deepEqual(shortId.t, t(3));
    const badTarget = await raw.ask(
      encodeQuery(t(4), "find_node", { id: rawId, target: new Uint8Array(3) }),
      dht.port,
    );
    assert.equal(badTarget.y === "e" && badTarget.code, 203);
    raw.send(new TextEncoder().encode("not bencode at all"), dht.port);
    raw.send(new Uint8Array(4000), dht.port);
    const found = response(
      await raw.ask(encodeQuery(t(5), "find_node", { id: rawId, target: rawId }), dht.port),
    );
    assert.ok(found.get("nodes") instanceof Uint8Array);
    assert.equal(raw.replies.length, 5, "garbage without a transaction id gets no reply");
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(raw.queries.some((q) => q.y === "q" && q.q === "ping"), "the querier is pinged");
    assert.equal(dht.nodes().length, 0, "a querier that never answers is not learned (BEP 5)");
  } finally {
    await raw.close();
    await dht.close();
  }
});

Deno.test("DhtNode query behaviour: a query flood from one address is blocked (HOSTILE 53)", async () => {
  const dht = await node();
  const flooder = await new Raw().open();
  const other = await new Raw().open();
  try {
    // 5 a second averaged over 10 s: the first 50 are answered, then the address is ignored.
    for (let i = 0; i < 60; i++) flooder.send(encodeQuery(t(i), "ping", { id: rawId }), dht.port);
    await other.ask(encodeQuery(t(99), "ping", { id: hash(7) }), dht.port);
    await flooder.waitFor(50);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(flooder.replies.length, 50);
    const before = other.replies.length;
    flooder.send(encodeQuery(t(100), "ping", { id: rawId }), dht.port);
    await other.ask(encodeQuery(t(101), "ping", { id: hash(7) }), dht.port);
    assert.equal(other.replies.length, before + 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(flooder.replies.length, 50, "still banned");
  } finally {
    await flooder.close();
    await other.close();
    await dht.close();
  }
});

Deno.test("DhtNode.close() behaviour: pending queries end and no timers remain", async () => {
  const silent = await new Raw().open();
  const port = (silent.socket.address() as { port: number }).port;
  const dht = await node({ queryTimeoutMs: 60_000 });
  const answered = dht.addNode(LOCAL, port);
  await dht.close();
  assert.equal(await answered, false);
  await dht.close();
  await silent.close();
  await assert.rejects(() => dht.start());
  assert.equal(await new DhtNode().addNode(LOCAL, port), false);
});

Deno.test("DhtNode.addNode() behaviour: a node that answers joins the table; a timeout does not", async () => {
  const a = await node();
  const b = await node({ queryTimeoutMs: 100 });
  const silent = await new Raw().open();
  try {
    assert.equal(await b.addNode(LOCAL, a.port), true);
    assert.deepEqual(b.nodes().map((n) => n.id), [a.id]);
    assert.equal(await b.addNode(LOCAL, (silent.socket.address() as { port: number }).port), false);
    assert.equal(b.nodes().length, 1);
  } finally {
    await silent.close();
    await Promise.all([a.close(), b.close()]);
  }
});

Deno.test("DhtNode() behaviour: rejects an id that is not 20 bytes", () => {
  assert.throws(() => new DhtNode({ id: new Uint8Array(19) }), TypeError);
});

Deno.test("DhtNode.bootstrap() behaviour: an unreachable bootstrap node leaves an empty table", async () => {
  const silent = await new Raw().open();
  const port = (silent.socket.address() as { port: number }).port;
  const dht = await node({ queryTimeoutMs: 50, bootstrap: [{ host: LOCAL, port }] });
  try {
    await dht.bootstrap();
    assert.deepEqual(dht.nodes(), []);
    assert.deepEqual(await dht.getPeers(hash(1)), []);
    assert.equal(await dht.announcePeer(hash(1), 6881), 0);
    await assert.rejects(() => dht.getPeers(new Uint8Array(19)), TypeError);
    await assert.rejects(() => dht.announcePeer(hash(1), 0), RangeError);
  } finally {
    await silent.close();
    await dht.close();
  }
});

Deno.test("DhtNode query behaviour: total output stays within the byte budget (HOSTILE 53)", async () => {
  const dht = await node({
    maxOutgoingBytesPerSecond: 1,
    rateLimit: { perIpPerSecond: 1000, banSeconds: 1 },
  });
  const raw = await new Raw().open();
  try {
    for (let i = 0; i < 100; i++) raw.send(encodeQuery(t(i), "ping", { id: rawId }), dht.port);
    await raw.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sent = raw.sizes.reduce((a, b) => a + b, 0);
    assert.ok(raw.replies.length < 100, `${raw.replies.length} replies`);
    assert.ok(sent <= 2048 + 10, `${sent} bytes sent`);
  } finally {
    await raw.close();
    await dht.close();
  }
});
