/**
 * Hostile peers against a ccbt Session over loopback TCP (HOSTILE_INPUTS.md cases 34–41, 69): a scripted raw-TCP
 * peer sends malformed or abusive wire messages; each must drop only that peer (a `peer_disconnected` alert with
 * the reason, and the socket closed), while the session keeps serving and downloading, and nothing unverified is
 * ever counted or written as complete.
 */

import { equal, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { type Alert, Session, type SessionOptions, type TorrentInfo } from "../mod.ts";
import {
  AlertLog,
  delay,
  makeSmallTorrent,
  type SmallTorrent,
  waitForStatus,
} from "./_helpers/hostile_session.ts";
import {
  concat,
  connectAndHandshake,
  fetchFirstBlock,
  frame,
  playSeeder,
  probeSeeder,
  u32,
} from "./_helpers/hostile_wire.ts";
import { ScriptedPeer } from "./_helpers/scripted_peer.ts";

/** 19 full 16 KiB pieces and a 1000-byte last one: a 3-byte bitfield with 4 spare bits. */
const SIZE = 19 * 16384 + 1000;
/** Invalid requests tolerated before the peer is dropped (DESIGN.md section 8). */
const MAX_INVALID_REQUESTS = 300;
/** Steps share the test's session, so only the whole test checks for leaks. */
const STEP = { sanitizeOps: false, sanitizeResources: false, sanitizeExit: false } as const;

interface WireCase {
  name: string;
  bytes: (info: TorrentInfo) => Uint8Array;
  reason: string;
}

/** Messages sent right after a good handshake; each must drop the peer with `reason`. */
const WIRE_CASES: WireCase[] = [
  {
    name: "length prefix 0xFFFFFFFF",
    bytes: () => Uint8Array.of(0xff, 0xff, 0xff, 0xff, 7),
    reason: "packet_too_large",
  },
  {
    name: "length prefix of 2 MiB",
    bytes: () => Uint8Array.of(...u32(2 * 1024 * 1024), 7, ...new Uint8Array(8)),
    reason: "packet_too_large",
  },
  {
    name: "have for piece pieceCount",
    bytes: (info) => frame(4, u32(info.pieceCount)),
    reason: "invalid_have",
  },
  { name: "have for piece 2^32-1", bytes: () => frame(4, u32(0xffffffff)), reason: "invalid_have" },
  { name: "have with length 6", bytes: () => frame(4, [0, 0, 0, 0, 0]), reason: "invalid_message" },
  { name: "request with length 14", bytes: () => frame(6, new Uint8Array(13)), reason: "invalid_message" },
  { name: "choke with length 2", bytes: () => frame(0, [0]), reason: "invalid_message" },
  {
    name: "bitfield one byte short",
    bytes: (info) => frame(5, new Uint8Array(Math.ceil(info.pieceCount / 8) - 1)),
    reason: "invalid_bitfield",
  },
  {
    name: "bitfield one byte long",
    bytes: (info) => frame(5, new Uint8Array(Math.ceil(info.pieceCount / 8) + 1)),
    reason: "invalid_bitfield",
  },
  { name: "unknown message id 99", bytes: () => frame(99, [1, 2, 3]), reason: "unknown_message" },
  { name: "BEP 6 have_all without negotiation", bytes: () => frame(0x0e), reason: "unexpected_message" },
  { name: "BEP 6 have_none without negotiation", bytes: () => frame(0x0f), reason: "unexpected_message" },
  {
    name: "BEP 6 suggest without negotiation",
    bytes: () => frame(0x0d, u32(0)),
    reason: "unexpected_message",
  },
  {
    name: "BEP 6 reject without negotiation",
    bytes: () => frame(0x10, [...u32(0), ...u32(0), ...u32(16384)]),
    reason: "unexpected_message",
  },
  {
    name: "BEP 6 allowed_fast without negotiation",
    bytes: () => frame(0x11, u32(0)),
    reason: "unexpected_message",
  },
  {
    name: "BEP 10 extended handshake without negotiation",
    bytes: () => frame(20, [0, ...new TextEncoder().encode("d1:md11:ut_metadatai1eee")]),
    reason: "unexpected_message",
  },
  {
    // A hash request on a v1 connection is answered with a hash reject (HOSTILE_INPUTS 43); hashes we never asked
    // for drop the peer.
    name: "BEP 52 hashes on a v1 connection",
    bytes: () => frame(22, [...new Uint8Array(40), ...u32(2), ...u32(0), ...new Uint8Array(64)]),
    reason: "unexpected_message",
  },
];

/** Invalid requests: each is ignored up to the limit, then drops the peer. */
const BAD_REQUESTS: { name: string; request: (info: TorrentInfo) => [number, number, number] }[] = [
  { name: "piece index out of range", request: (info) => [info.pieceCount, 0, 16384] },
  { name: "piece index 2^32-1", request: () => [0xffffffff, 0, 16384] },
  { name: "begin+length beyond the piece", request: () => [0, 8192, 16384] },
  { name: "beyond the short last piece", request: (info) => [info.pieceCount - 1, 0, 16384] },
  { name: "length 0", request: () => [0, 0, 0] },
  { name: "length 131072", request: () => [0, 0, 131072] },
];

function requestBytes([index, begin, length]: [number, number, number], count: number): Uint8Array {
  const one = frame(6, [...u32(index), ...u32(begin), ...u32(length)]);
  const out = new Uint8Array(one.length * count);
  for (let i = 0; i < count; i++) out.set(one, i * one.length);
  return out;
}

function disconnectOf(peer: string) {
  return (a: Alert): a is Extract<Alert, { type: "peer_disconnected" }> =>
    a.type === "peer_disconnected" && a.peer === peer;
}

/** Runs `fn` with a seeding session of a fresh small torrent, closing everything afterwards. */
async function withSeeder(
  fn: (ctx: { session: Session; log: AlertLog; fx: SmallTorrent; dir: string }) => Promise<void>,
  options: SessionOptions = { handshakeTimeout: 1000 },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hostile_peer_" });
  const session = new Session({ listenHost: "127.0.0.1", listenPort: 0, ...options });
  const log = new AlertLog(session);
  try {
    const fx = await makeSmallTorrent(dir, SIZE);
    const seeding = await session.addTorrent({ torrent: fx.bytes, savePath: fx.seedDir });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
    await fn({ session, log, fx, dir });
    equal(seeding.status().state, "seeding", "the seeder is still seeding");
    equal(log.ofType("torrent_error").length, 0, "no torrent error");
  } finally {
    await session.close();
    await log.done;
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Session drops each hostile peer and keeps seeding to an honest Session", async (t) => {
  await withSeeder(async ({ session, log, fx, dir }) => {
    const port = session.listenPort;
    for (const c of WIRE_CASES) {
      await t.step({
        name: `${c.name}: dropped with ${c.reason}`,
        ...STEP,
        fn: async () => {
          using peer = await connectAndHandshake(port, fx.info);
          const name = peer.localName;
          await peer.send(c.bytes(fx.info));
          equal(await peer.waitForClose(3_000), "closed", "the seeder closes the socket");
          equal((await log.waitFor(disconnectOf(name), 3_000)).reason, c.reason);
          await probeSeeder(port, fx.info, fx.data);
        },
      });
    }

    for (const bad of BAD_REQUESTS) {
      await t.step({
        name: `${MAX_INVALID_REQUESTS} requests with ${bad.name} are ignored, one more drops the peer`,
        ...STEP,
        fn: async () => {
          using peer = await connectAndHandshake(port, fx.info);
          const name = peer.localName;
          await peer.sendMessages({ type: "interested" });
          await peer.waitForMessage((m) => m.type === "unchoke", 5_000);
          await peer.send(requestBytes(bad.request(fx.info), MAX_INVALID_REQUESTS));
          // Still connected and served: the valid request after the invalid ones is answered, and only it.
          await peer.sendMessages({ type: "request", index: 1, begin: 0, length: 16384 });
          const piece = await peer.waitForMessage((m) => m.type !== "keep_alive", 5_000);
          ok(piece.type === "piece" && piece.index === 1 && piece.begin === 0, `got ${piece.type}`);
          equal(Buffer.compare(piece.block, fx.data.subarray(16384, 32768)), 0);
          await peer.send(requestBytes(bad.request(fx.info), 1));
          equal(await peer.waitForClose(3_000), "closed");
          equal((await log.waitFor(disconnectOf(name), 3_000)).reason, "too_many_invalid_requests");
        },
      });
    }

    await t.step({
      name: `${MAX_INVALID_REQUESTS + 1} requests while choked drop the peer`,
      ...STEP,
      fn: async () => {
        // A peer we never unchoked gets no grace period: every request it sends counts as invalid.
        using peer = await connectAndHandshake(port, fx.info);
        const name = peer.localName;
        await peer.send(requestBytes([0, 0, 16384], MAX_INVALID_REQUESTS + 1));
        equal(await peer.waitForClose(3_000), "closed");
        equal((await log.waitFor(disconnectOf(name), 3_000)).reason, "too_many_invalid_requests");
      },
    });

    await t.step({
      name: "a piece the seeder never asked for is counted as waste, not fatal",
      ...STEP,
      fn: async () => {
        const before = session.torrents()[0].status();
        using peer = await connectAndHandshake(port, fx.info);
        await peer.sendMessages({
          type: "piece",
          index: 2,
          begin: 0,
          block: new Uint8Array(16384).fill(0xee),
        });
        await fetchFirstBlock(peer, fx.data);
        const after = session.torrents()[0].status();
        equal(after.wasted - before.wasted, 16384);
        equal(after.piecesHave, fx.info.pieceCount);
      },
    });

    await t.step({
      name: "an honest Session downloads the torrent afterwards",
      ...STEP,
      fn: async () => {
        await using leecher = new Session({ listenHost: "127.0.0.1" });
        const leeching = await leecher.addTorrent({
          torrent: fx.bytes,
          savePath: join(dir, "leech"),
          peers: [{ host: "127.0.0.1", port }],
        });
        await waitForStatus(leeching, (s) => s.state === "seeding", 15_000);
        equal(Buffer.compare(await Deno.readFile(join(dir, "leech", "payload.bin")), fx.data), 0);
      },
    });
    equal(log.ofType("alerts_dropped").length, 0);
  });
});

Deno.test("Session closes incoming connections with an unknown info-hash, its own peer id, or a stalled handshake", async () => {
  await withSeeder(async ({ session, fx }) => {
    const port = session.listenPort;
    const stranger = await ScriptedPeer.connect(port);
    await stranger.sendHandshake({ infoHash: new Uint8Array(20).fill(7) });
    equal(await stranger.waitForClose(3_000), "closed", "unknown info-hash");
    stranger.close();

    const mirror = await ScriptedPeer.connect(port);
    await mirror.sendHandshake({ infoHash: fx.info.infoHash, peerId: session.peerId });
    equal(await mirror.waitForClose(3_000), "closed", "our own peer id");
    mirror.close();

    // Slow loris (HOSTILE_INPUTS.md case 69): 10 handshake bytes, then nothing; handshakeTimeout is 1 s.
    const loris = await ScriptedPeer.connect(port);
    await loris.send(Uint8Array.of(19, ...new TextEncoder().encode("BitTorre")).subarray(0, 10));
    equal(await loris.waitForClose(4_000), "closed", "stalled handshake");
    loris.close();
    await probeSeeder(port, fx.info, fx.data);
  });
});

Deno.test("Session closes incoming connections whose handshake is malformed", async () => {
  await withSeeder(async ({ session, fx }) => {
    const port = session.listenPort;
    const badLength = await ScriptedPeer.connect(port);
    await badLength.send(
      Uint8Array.of(18, ...new TextEncoder().encode("BitTorrent protoco"), ...new Uint8Array(48)),
    );
    const lengthOutcome = await badLength.waitForClose(2_000);
    badLength.close();

    const badProtocol = await ScriptedPeer.connect(port);
    await badProtocol.send(
      Uint8Array.of(19, ...new TextEncoder().encode("BitTorrent protocoX"), ...new Uint8Array(48)),
    );
    const protocolOutcome = await badProtocol.waitForClose(2_000);
    badProtocol.close();

    equal(lengthOutcome, "closed", "pstrlen 18: the session must close the socket");
    equal(protocolOutcome, "closed", "wrong protocol string: the session must close the socket");
    await probeSeeder(port, fx.info, fx.data);
  });
});

Deno.test("Session refuses incoming connections past maxConnections while handshakes are pending", async () => {
  // HOSTILE_INPUTS.md case 69: idle sockets must not pile up; with a cap of 5, the 6th and later are closed at
  // once, long before the 10 s handshake timeout.
  await withSeeder(async ({ session }) => {
    const idle = await Promise.all(
      Array.from({ length: 12 }, () => ScriptedPeer.connect(session.listenPort)),
    );
    try {
      const outcomes = await Promise.all(idle.map((peer) => peer.waitForClose(2_000)));
      equal(outcomes.filter((o) => o === "closed").length, 7, `outcomes: ${outcomes.join()}`);
    } finally {
      for (const peer of idle) peer.close();
    }
  }, { maxConnections: 5 });
});

/** A leecher session with a small torrent and no peers yet. */
async function withLeecher(
  fn: (ctx: { session: Session; log: AlertLog; fx: SmallTorrent; dir: string }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hostile_leech_" });
  const session = new Session({ listenHost: "127.0.0.1", listenPort: 0, handshakeTimeout: 1000 });
  const log = new AlertLog(session);
  try {
    const fx = await makeSmallTorrent(dir, SIZE);
    const handle = await session.addTorrent({ torrent: fx.bytes, savePath: join(dir, "leech") });
    await waitForStatus(handle, (s) => s.state === "downloading", 10_000);
    await fn({ session, log, fx, dir });
  } finally {
    await session.close();
    await log.done;
    await Deno.remove(dir, { recursive: true });
  }
}

/** Has the session dial a fresh listener and hands the accepted connection to `fn`. */
async function dialedBy(session: Session, fn: (peer: ScriptedPeer) => Promise<void>): Promise<void> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  session.torrents()[0].addPeer({ host: "127.0.0.1", port: listener.addr.port });
  using peer = await ScriptedPeer.accept(listener, 5_000);
  await fn(peer);
}

Deno.test("Session drops seeders that answer with the wrong info-hash, its own id, nothing, or bad messages", async () => {
  await withLeecher(async ({ session, log, fx }) => {
    const ours = (peer: ScriptedPeer) => peer.readHandshake(5_000);
    await dialedBy(session, async (peer) => {
      await ours(peer);
      await peer.sendHandshake({ infoHash: new Uint8Array(20).fill(9) });
      equal(await peer.waitForClose(3_000), "closed", "another info-hash");
    });
    await dialedBy(session, async (peer) => {
      await ours(peer);
      await peer.sendHandshake({ infoHash: fx.info.infoHash, peerId: session.peerId });
      equal(await peer.waitForClose(3_000), "closed", "our own peer id");
    });
    await dialedBy(session, async (peer) => {
      await ours(peer);
      equal(await peer.waitForClose(4_000), "closed", "no handshake within handshakeTimeout");
    });
    const messages: [string, (info: TorrentInfo) => Uint8Array][] = [
      ["packet_too_large", () => Uint8Array.of(0xff, 0xff, 0xff, 0xff)],
      ["invalid_bitfield", (info) => frame(5, new Uint8Array(Math.ceil(info.pieceCount / 8) - 1))],
      ["invalid_have", (info) => frame(4, u32(info.pieceCount + 7))],
      ["unknown_message", () => frame(99)],
    ];
    for (const [reason, bytes] of messages) {
      await dialedBy(session, async (peer) => {
        await ours(peer);
        await peer.sendHandshake({ infoHash: fx.info.infoHash });
        await log.waitFor((a) => a.type === "peer_connected" && a.peer === peer.localName, 3_000);
        await peer.send(bytes(fx.info));
        equal(await peer.waitForClose(3_000), "closed", reason);
        equal((await log.waitFor(disconnectOf(peer.localName), 3_000)).reason, reason);
      });
    }
    const handle = session.torrents()[0];
    equal(handle.status().state, "downloading");
    equal(handle.status().piecesHave, 0);

    // An honest (scripted) seeder still completes the download afterwards.
    await dialedBy(session, async (peer) => {
      await playSeeder(peer, { info: fx.info, data: fx.data });
    });
    await waitForStatus(handle, (s) => s.state === "seeding", 10_000);
  });
});

Deno.test("Session discards unrequested, misplaced and oversized blocks and completes with the right bytes", async () => {
  await withLeecher(async ({ session, log, fx, dir }) => {
    const handle = session.torrents()[0];
    const UNASKED = 3;
    let bogus = 0;
    await dialedBy(session, async (peer) => {
      await playSeeder(peer, {
        info: fx.info,
        data: fx.data,
        withhold: UNASKED,
        afterUnchoke: () => {
          const garbage = (n: number) => new Uint8Array(n).fill(0xa5);
          const blocks = [
            { index: UNASKED, begin: 0, block: garbage(16384) }, // a block never requested
            { index: fx.info.pieceCount, begin: 0, block: garbage(1000) }, // piece index out of range
            { index: 0xffffffff, begin: 0, block: garbage(16) },
            { index: 0, begin: 1, block: garbage(16384) }, // misaligned offset
            { index: 0, begin: 16384, block: garbage(16384) }, // beyond the piece
            { index: 0, begin: 0, block: garbage(8192) }, // wrong length
            { index: 0, begin: 0, block: garbage(32768) }, // payload > 16 KiB
          ];
          bogus = blocks.reduce((n, b) => n + b.block.length, 0);
          return concat(
            ...blocks.map((b) => concat(frame(7, [...u32(b.index), ...u32(b.begin), ...b.block]))),
          );
        },
      });
    });
    await waitForStatus(handle, (s) => s.state === "seeding", 10_000);
    equal(Buffer.compare(await Deno.readFile(join(dir, "leech", "payload.bin")), fx.data), 0);
    equal(log.ofType("hash_failed").length, 0, "no bogus byte reached a piece");
    ok(handle.status().wasted >= bogus, `wasted ${handle.status().wasted} >= ${bogus}`);
  });
});

Deno.test("Session bans a seeder whose block fails the hash, keeps the piece unverified, then completes from an honest Session", async () => {
  await withLeecher(async ({ session, log, fx, dir }) => {
    const handle = session.torrents()[0];
    const BAD = 1;
    let name = "";
    await dialedBy(session, async (peer) => {
      name = peer.localName;
      await playSeeder(peer, {
        info: fx.info,
        data: fx.data,
        blockFor: (index, _begin, block) => index === BAD ? block.map((b) => b ^ 0xff) : block,
      });
    });
    const failed = await log.waitFor((a) => a.type === "hash_failed", 5_000);
    ok(failed.type === "hash_failed");
    equal(failed.piece, BAD);
    equal(failed.peers.join(), name);
    await log.waitFor((a) => a.type === "peer_banned" && a.peer === name, 5_000);
    // Pieces received before the ban may still finish hashing; wait for the torrent to settle.
    await delay(300);
    const status = handle.status();
    equal(status.state, "downloading");
    ok(status.piecesHave < fx.info.pieceCount, "the torrent is not complete");
    const finished = log.ofType("piece_finished").map((a) => a.piece);
    equal(finished.includes(BAD), false, "the bad piece is not marked have");
    equal(status.piecesHave, finished.length, "only verified pieces are counted");
    equal(
      status.verifiedBytes,
      finished.length * fx.info.pieceLength - (finished.includes(fx.info.pieceCount - 1) ? 16384 - 1000 : 0),
    );
    const onDisk = await Deno.readFile(join(dir, "leech", "payload.bin")).catch(() => new Uint8Array());
    const region = onDisk.subarray(BAD * 16384, (BAD + 1) * 16384);
    const corrupt = fx.data.subarray(BAD * 16384, (BAD + 1) * 16384).map((b) => b ^ 0xff);
    const written = region.filter((b, i) => corrupt[i] !== 0 && b === corrupt[i]).length;
    ok(written < 64, `no corrupt block was written (${written} bytes match it)`);

    await using honest = new Session({ listenHost: "127.0.0.1" });
    const seeding = await honest.addTorrent({ torrent: fx.bytes, savePath: fx.seedDir });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
    handle.addPeer({ host: "127.0.0.1", port: honest.listenPort });
    await waitForStatus(handle, (s) => s.state === "seeding", 15_000);
    equal(Buffer.compare(await Deno.readFile(join(dir, "leech", "payload.bin")), fx.data), 0);
    equal(log.ofType("hash_failed").length, 1);
  });
});
