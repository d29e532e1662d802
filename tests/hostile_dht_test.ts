/**
 * Hostile KRPC (BEP 5) against a running Session's DHT node (HOSTILE_INPUTS.md cases 51–53): raw UDP sockets on
 * 127.0.0.1 send garbage, bencode that is not a query, nesting past the cap, oversized strings, unknown methods,
 * bad arguments, bad and expired tokens, and a burst of 5,000 queries. Each is dropped or answered with a KRPC
 * error; nothing is stored from a bad announce; replies to the flood stop at the per-address rate limit; and
 * afterwards the node still answers others and a leecher finds the session's torrent through it.
 *
 * The DHT runs on loopback, where the session counts nodes by address and port (`allowSameIp`), so each socket
 * below is its own "address" for the rate limit: every case uses a fresh socket unless it tests the limit.
 */

import { equal, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";
import { type Encodable, encode } from "../engine/bencode/mod.ts";
import { DhtNode, encodeQuery, encodeResponse, type KrpcMessage } from "../engine/dht/mod.ts";
import { makePayload } from "./_helpers/files.ts";
import { AlertLog, delay, makeSmallTorrent, waitForStatus } from "./_helpers/hostile_session.ts";
import { KrpcSocket } from "./_helpers/krpc_socket.ts";

/** Steps share the test's session, so only the whole test checks for leaks. */
const STEP = { sanitizeOps: false, sanitizeResources: false, sanitizeExit: false } as const;
/** Queries answered per address: 5 a second averaged over 10 s (DhtNode's default; HOSTILE_INPUTS.md 53). */
const FLOOD_CAP = 50;
/** How long to listen for a reply that must not come, in ms. */
const SILENCE_MS = 300;

const text = (s: string) => new TextEncoder().encode(s);
const randomId = () => crypto.getRandomValues(new Uint8Array(20));
let nextT = 0;
const tid = () => Uint8Array.of(0xa0, nextT++ & 0xff);

function query(method: string, args: Record<string, Encodable | undefined>): Uint8Array {
  return encodeQuery(tid(), method, { id: randomId(), ...args });
}

function errorCode(message: KrpcMessage | undefined): number | undefined {
  return message?.y === "e" ? message.code : undefined;
}

function reply(message: KrpcMessage | undefined): Map<string, unknown> {
  ok(message?.y === "r", `expected a response, got ${JSON.stringify(message)}`);
  return message.r;
}

/** Datagrams that are not KRPC queries the node can read: each must get no answer at all. */
const SILENT: { name: string; bytes: () => Uint8Array }[] = [
  { name: "garbage", bytes: () => text("hello, node") },
  { name: "an integer", bytes: () => text("i42e") },
  { name: "a string", bytes: () => text("4:spam") },
  { name: "a list", bytes: () => text("l4:pinge") },
  { name: "a cut dictionary", bytes: () => text("d1:t2:aa1:y1:q") },
  { name: "a dictionary without t", bytes: () => encode({ y: "q", q: "ping", a: { id: randomId() } }) },
  {
    name: "a transaction id of 17 bytes",
    bytes: () => encode({ t: new Uint8Array(17), y: "q", q: "ping", a: { id: randomId() } }),
  },
  { name: "1,000 nested lists", bytes: () => text(`${"l".repeat(1_000)}${"e".repeat(1_000)}`) },
  {
    name: "a query whose arguments nest 50 deep",
    bytes: () =>
      text(`d1:ad2:id20:${"x".repeat(20)}1:x${"l".repeat(50)}${"e".repeat(50)}e1:q4:ping1:t2:aa1:y1:qe`),
  },
  {
    name: "a query with a 1 MB string (its first 60,000 bytes sent)",
    bytes: () => {
      const head = text(`d1:ad2:id20:${"x".repeat(20)}1:x1000000:`);
      const out = new Uint8Array(60_000).fill(0x61);
      out.set(head);
      return out;
    },
  },
  {
    name: "a short query claiming a 1 MB string",
    bytes: () => text(`d1:ad2:id20:${"x".repeat(20)}1:x1000000:abce1:q4:ping1:t2:aa1:y1:qe`),
  },
  {
    name: "a string length of 10^20",
    bytes: () => text("d1:t2:aa1:y1:q1:q4:ping1:a99999999999999999999:"),
  },
];

/** Queries the node can read but must refuse with a KRPC error code (BEP 5: 203 protocol, 204 method unknown). */
const REFUSED: { name: string; bytes: () => Uint8Array; code: number }[] = [
  { name: "an unknown method", bytes: () => query("evil_method", {}), code: 204 },
  { name: "a method name of 64 random bytes", bytes: () => query("x".repeat(64), {}), code: 204 },
  { name: "no id", bytes: () => encodeQuery(tid(), "ping", {}), code: 203 },
  {
    name: "an id of 19 bytes",
    bytes: () => encodeQuery(tid(), "ping", { id: new Uint8Array(19) }),
    code: 203,
  },
  { name: "a method name of 65 bytes", bytes: () => query("x".repeat(65), {}), code: 203 },
  { name: "y is neither q, r nor e", bytes: () => encode({ t: tid(), y: "z" }), code: 203 },
  { name: "a is not a dictionary", bytes: () => encode({ t: tid(), y: "q", q: "ping", a: [1] }), code: 203 },
  {
    name: "get_peers with a 19-byte info_hash",
    bytes: () => query("get_peers", { info_hash: new Uint8Array(19) }),
    code: 203,
  },
  {
    name: "get_peers with an integer info_hash",
    bytes: () => query("get_peers", { info_hash: 5 }),
    code: 203,
  },
  { name: "find_node without a target", bytes: () => query("find_node", {}), code: 203 },
  {
    name: "announce_peer without a token",
    bytes: () => query("announce_peer", { info_hash: randomId(), port: 6881 }),
    code: 203,
  },
];

/** Sends `bytes` from a fresh socket and returns how many answers came back within `SILENCE_MS`. */
async function answersFromFreshSocket(port: number, bytes: Uint8Array): Promise<number> {
  await using socket = await KrpcSocket.open();
  return await socket.repliesTo(bytes, port, SILENCE_MS);
}

/** Sends `bytes` from a fresh socket and returns the answer, which must be KRPC. */
async function askFromFreshSocket(port: number, bytes: Uint8Array): Promise<KrpcMessage> {
  await using socket = await KrpcSocket.open();
  const { message } = await socket.ask(bytes, port);
  ok(message !== undefined, "the answer is KRPC");
  return message;
}

/** Asks a fresh socket's `get_peers` for `infoHash`: its token, and the peers stored (compact values). */
async function getPeers(port: number, infoHash: Uint8Array): Promise<{ token: Uint8Array; values: number }> {
  await using socket = await KrpcSocket.open();
  const r = reply((await socket.ask(query("get_peers", { info_hash: infoHash }), port)).message);
  const token = r.get("token");
  ok(token instanceof Uint8Array, "get_peers gives a token");
  const values = r.get("values");
  return { token, values: Array.isArray(values) ? values.length : 0 };
}

function announce(port: number, args: Record<string, Encodable | undefined>): Promise<KrpcMessage> {
  return askFromFreshSocket(port, query("announce_peer", args));
}

Deno.test("Session's DHT node drops malformed KRPC, refuses bad tokens, rate-limits a flood, and keeps working", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hostile_dht_" });
  await using router = new DhtNode({ host: "127.0.0.1", allowSameIp: true });
  await router.start();
  const session = new Session({
    listenHost: "127.0.0.1",
    dht: true,
    dhtPort: 0,
    dhtBootstrap: [{ host: "127.0.0.1", port: router.port }],
  });
  const log = new AlertLog(session);
  try {
    // The DHT node takes its clock when it is made, in start(): give it one the test can move forward, so a
    // token can expire (BEP 5: tokens live 10 minutes) without waiting 10 minutes.
    const realNow = Date.now;
    let skew = 0;
    Date.now = () => realNow() + skew;
    try {
      await session.start();
    } finally {
      Date.now = realNow;
    }
    const port = session.dhtPort;
    ok(port > 0, "the DHT is on");
    const fx = await makeSmallTorrent(dir);
    const seeding = await session.addTorrent({ torrent: fx.bytes, savePath: fx.seedDir });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);

    for (const c of SILENT) {
      await t.step({
        name: `${c.name}: no answer`,
        ...STEP,
        fn: async () => equal(await answersFromFreshSocket(port, c.bytes()), 0),
      });
    }

    for (const c of REFUSED) {
      await t.step({
        name: `${c.name}: error ${c.code}`,
        ...STEP,
        fn: async () => {
          const answer = await askFromFreshSocket(port, c.bytes());
          equal(errorCode(answer), c.code, JSON.stringify(answer));
          equal(answer.t.length, 2, "the transaction id is echoed");
        },
      });
    }

    await t.step({
      name:
        "announce_peer with a bad token, a foreign token, port 0 or an expired token: error 203, nothing stored",
      ...STEP,
      fn: async () => {
        const infoHash = randomId();
        const { token } = await getPeers(port, infoHash);
        const flipped = token.slice();
        flipped[0] ^= 0xff;
        const bad: Record<string, Encodable>[] = [
          { info_hash: infoHash, port: 6881, token: flipped },
          { info_hash: infoHash, port: 6881, token: new Uint8Array(300) },
          { info_hash: infoHash, port: 6881, token: 12345 },
          { info_hash: infoHash, port: 0, token },
          { info_hash: infoHash, port: 70_000, token },
          { info_hash: infoHash, port: -1, token },
          { info_hash: infoHash.subarray(0, 19), port: 6881, token },
        ];
        for (const args of bad) equal(errorCode(await announce(port, args)), 203, JSON.stringify(args));
        // A token made by another node (the router) for the same address is not ours.
        await using socket = await KrpcSocket.open();
        const routerReply = await socket.ask(query("get_peers", { info_hash: infoHash }), router.port);
        const foreign = reply(routerReply.message).get("token") as Uint8Array;
        equal(errorCode(await announce(port, { info_hash: infoHash, port: 6881, token: foreign })), 203);
        equal((await getPeers(port, infoHash)).values, 0, "nothing stored from a refused announce");

        // The same token is good now...
        const good = randomId();
        const fresh = (await getPeers(port, good)).token;
        equal((await announce(port, { info_hash: good, port: 6881, token: fresh })).y, "r");
        equal((await getPeers(port, good)).values, 1, "a good announce is stored");
        // ...and refused 11 minutes later.
        const later = randomId();
        const old = (await getPeers(port, later)).token;
        skew += 11 * 60_000;
        equal(errorCode(await announce(port, { info_hash: later, port: 6881, token: old })), 203, "expired");
        equal((await getPeers(port, later)).values, 0, "nothing stored from an expired token");
      },
    });

    await t.step({
      name:
        `5,000 pings in a burst from one address: at most ${FLOOD_CAP} answers, then that address is ignored`,
      ...STEP,
      fn: async () => {
        await using flooder = await KrpcSocket.open();
        const sends: Promise<void>[] = [];
        for (let i = 0; i < 5_000; i++) sends.push(flooder.send(query("ping", {}), port));
        await Promise.all(sends);
        await delay(1_000);
        const answers = flooder.received.length;
        ok(answers >= 1 && answers <= FLOOD_CAP, `${answers} answers to the flood`);
        await delay(200);
        equal(
          await flooder.repliesTo(query("ping", {}), port, SILENCE_MS),
          0,
          "still ignored a second later",
        );
        // Another address is answered at once.
        equal((await askFromFreshSocket(port, query("ping", {}))).y, "r", "a well-formed ping is answered");
      },
    });

    await t.step({
      name: "a leecher finds the session's torrent through its DHT node afterwards",
      ...STEP,
      fn: async () => {
        await using leecher = new Session({
          listenHost: "127.0.0.1",
          dht: true,
          dhtBootstrap: [{ host: "127.0.0.1", port }],
        });
        const leeching = await leecher.addTorrent({ torrent: fx.bytes, savePath: join(dir, "leech") });
        await waitForStatus(leeching, (s) => s.state === "seeding", 30_000);
        equal(Buffer.compare(await Deno.readFile(join(dir, "leech", "payload.bin")), fx.data), 0);
      },
    });
    equal(seeding.status().state, "seeding");
    equal(log.ofType("torrent_error").length, 0);
  } finally {
    await session.close();
    await log.done;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DhtNode takes a querier into its routing table only once it answers a ping (BEP 5 good nodes)", async () => {
  await using node = new DhtNode({ host: "127.0.0.1", allowSameIp: true, queryTimeoutMs: 200 });
  await node.start();
  await using silent = await KrpcSocket.open();
  const answererId = randomId();
  await using answerer = await KrpcSocket.open((q) => encodeResponse(q.t, { id: answererId }));
  equal((await silent.ask(query("ping", {}), node.port)).message?.y, "r");
  equal((await answerer.ask(query("find_node", { target: randomId() }), node.port)).message?.y, "r");
  await delay(400);
  ok(
    silent.queries.some((q) => q.message?.y === "q" && q.message.q === "ping"),
    "the silent querier was pinged",
  );
  equal(answerer.queries.length, 1, "the answering querier was pinged once");
  equal(node.nodes().length, 1, "only the querier that answered is in the table");
  equal(node.nodes()[0].port, answerer.port);
  // A node that knows only dead queriers would hand them out to every lookup: it hands out none.
  await using asker = await KrpcSocket.open();
  const reply = await asker.ask(query("find_node", { target: randomId() }), node.port);
  equal(reply.message?.y === "r" && (reply.message.r.get("nodes") as Uint8Array).length, 26);
});

Deno.test("A ccbt DHT node does not cut off a session that announces several torrents at once", async () => {
  // A session's start sends one node a burst: bootstrap, then a lookup and an announce per torrent. The rate
  // limit must let that through (it is an average over 10 s), or the node drops all but the first announce.
  const dir = await Deno.makeTempDir({ prefix: "ccbt_dht_burst_" });
  await using router = new DhtNode({ host: "127.0.0.1", allowSameIp: true });
  await router.start();
  try {
    await using session = new Session({
      listenHost: "127.0.0.1",
      dht: true,
      dhtBootstrap: [{ host: "127.0.0.1", port: router.port }],
    });
    const infos = [];
    for (let i = 0; i < 4; i++) {
      const data = join(dir, `t${i}`);
      await makePayload(data, { files: [{ path: "f.bin", size: 20_000 }] }, 200 + i);
      const { bytes, info } = await createTorrent(join(data, "f.bin"), { pieceLength: 16384 });
      infos.push(info);
      await session.addTorrent({ torrent: bytes, savePath: data });
    }
    for (const info of infos) {
      const deadline = Date.now() + 10_000;
      while ((await router.getPeers(info.infoHash, { timeoutMs: 500 })).length === 0) {
        ok(Date.now() < deadline, `torrent ${info.infoHashHex} was never announced to the node`);
        await delay(100);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
