/**
 * IPv6 peers: a Session seeding on [::1] serves a leecher given `{ host: "::1", port }` and the CLI given
 * `--peer [::1]:PORT`; IPv6 addresses from every peer source (tracker `peers6`, PEX `added6`, 18-byte DHT
 * `values`) are dialled; and local service discovery announces on an IPv6 group (BEP 14 group B).
 *
 * Everything stays on this machine: TCP on ::1 and 127.0.0.1, and IPv6 multicast to an interface-local group
 * (ff11::/16), which never leaves the node (RFC 4291 section 2.7); the loopback interface itself carries no IPv6
 * multicast on Linux. Tests that need what this machine lacks are ignored, and say why in their name.
 */

import { equal, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import dgram from "node:dgram";
import { join } from "node:path";
import { type Alert, createTorrent, Session } from "../mod.ts";
import { encode } from "../engine/bencode/mod.ts";
import { encodeResponse } from "../engine/dht/mod.ts";
import { parseLsdAnnounce } from "../engine/lsd/mod.ts";
import { findIpv6Multicast, TEST_GROUP6 } from "../engine/lsd/_test_ipv6.ts";
import { parsePeer } from "../cli/_args.ts";
import { runCcbt } from "./_helpers/ccbt.ts";
import { AlertLog, delay, makeSmallTorrent, waitForStatus } from "./_helpers/hostile_session.ts";
import { KrpcSocket } from "./_helpers/krpc_socket.ts";
import {
  compact,
  connectExtended,
  DialCounter,
  LOOPBACK6,
  pexPayload,
  sendPex,
} from "./_helpers/pex_peer.ts";

/** Why ::1 cannot be used here, or `undefined` when it can. */
function loopback6Unavailable(): string | undefined {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return undefined;
  } catch (error) {
    return `::1 is not available (${(error as Error).message})`;
  }
}

const NO_LOOPBACK6 = loopback6Unavailable();
const IGNORED = NO_LOOPBACK6 === undefined ? "" : ` [ignored: ${NO_LOOPBACK6}]`;
const IPV6_MULTICAST = await findIpv6Multicast();
const NO_MULTICAST6 = "reason" in IPV6_MULTICAST ? ` [ignored: ${IPV6_MULTICAST.reason}]` : "";

function connectedTo(peer: string) {
  return (a: Alert) => a.type === "peer_connected" && a.peer === peer;
}

Deno.test("parsePeer() reads [IPv6]:PORT and rejects what is not an address and a port", () => {
  equal(JSON.stringify(parsePeer("[::1]:6881")), JSON.stringify([{ host: "::1", port: 6881 }]));
  equal(parsePeer("[0:0:0:0:0:0:0:1]:80")[0].host, "::1");
  equal(parsePeer("[2001:DB8::7]:1", [{ host: "a", port: 1 }])[1].host, "2001:db8::7");
  for (
    const bad of ["[::1]", "::1:6881", "[zz::1]:1", "[:::]:1", "[::1]:0", "[::1]:65536", "[127.0.0.1]:1"]
  ) {
    let threw = false;
    try {
      parsePeer(bad);
    } catch {
      threw = true;
    }
    ok(threw, `${bad} is refused`);
  }
});

Deno.test({
  name: `Session seeding on ::1 serves a leecher given { host: "::1", port }${IGNORED}`,
  ignore: NO_LOOPBACK6 !== undefined,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccbt_ipv6_" });
    try {
      const fx = await makeSmallTorrent(dir, 9 * 16384 + 5);
      await using seeder = new Session({ listenHost: "::1" });
      const seedLog = new AlertLog(seeder);
      const seeding = await seeder.addTorrent({ torrent: fx.bytes, savePath: fx.seedDir });
      await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
      await using leecher = new Session({ listenHost: "127.0.0.1" });
      const leechLog = new AlertLog(leecher);
      const leeching = await leecher.addTorrent({
        torrent: fx.bytes,
        savePath: join(dir, "leech"),
        peers: [{ host: "::1", port: seeder.listenPort }],
      });
      await waitForStatus(leeching, (s) => s.state === "seeding", 15_000);
      equal(Buffer.compare(await Deno.readFile(join(dir, "leech", "payload.bin")), fx.data), 0);
      // Both sides name the other with the IPv6 host in brackets.
      await leechLog.waitFor(connectedTo(`[::1]:${seeder.listenPort}`), 1_000);
      const incoming = await seedLog.waitFor((a) => a.type === "peer_connected", 1_000);
      ok(incoming.type === "peer_connected" && /^\[::1\]:\d+$/.test(incoming.peer), JSON.stringify(incoming));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: `Session on a dual-stack listener names an IPv4 peer by its IPv4 address${IGNORED}`,
  ignore: NO_LOOPBACK6 !== undefined,
  // Listening on :: is on every interface: only the handshake of a loopback peer is exchanged.
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccbt_ipv6_dual_" });
    try {
      const fx = await makeSmallTorrent(dir);
      await using seeder = new Session({ listenHost: "::" });
      const log = new AlertLog(seeder);
      const seeding = await seeder.addTorrent({ torrent: fx.bytes, savePath: fx.seedDir });
      await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
      const peer = await connectExtended(seeder.listenPort, fx.info, "127.0.0.1");
      using _ = peer.peer;
      // The socket sees ::ffff:127.0.0.1; the session names it 127.0.0.1, as PEX and bans need.
      await log.waitFor(connectedTo(peer.name), 3_000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: `Session dials IPv6 peers from tracker peers6, PEX added6 and 18-byte DHT values${IGNORED}`,
  ignore: NO_LOOPBACK6 !== undefined,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccbt_ipv6_sources_" });
    await using tracked = new DialCounter(1, "::1");
    await using exchanged = new DialCounter(1, "::1");
    await using fromDht = new DialCounter(1, "::1");
    const v6 = (port: number) => compact([{ address: LOOPBACK6, port }]);
    const tracker = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () =>
        new Response(
          encode({ interval: 1800, peers: new Uint8Array(0), peers6: v6(tracked.ports[0]) }).slice().buffer,
        ),
    );
    const nodeId = crypto.getRandomValues(new Uint8Array(20));
    await using dhtNode = await KrpcSocket.open((q) => {
      if (q.q === "get_peers") {
        return encodeResponse(q.t, {
          id: nodeId,
          token: Uint8Array.of(1, 2, 3),
          values: [v6(fromDht.ports[0])],
        });
      }
      return encodeResponse(q.t, { id: nodeId, nodes: new Uint8Array(0) });
    });
    try {
      const fx = await makeSmallTorrent(dir);
      const { bytes, info } = await createTorrent(join(fx.seedDir, "payload.bin"), {
        pieceLength: 16384,
        trackers: [`http://127.0.0.1:${tracker.addr.port}/announce`],
      });
      await using leecher = new Session({
        listenHost: "127.0.0.1",
        dht: true,
        dhtBootstrap: [{ host: "127.0.0.1", port: dhtNode.port }],
        connectTimeout: 2_000,
      });
      await leecher.addTorrent({ torrent: bytes, savePath: join(dir, "leech") });
      await tracked.waitForDialled(1, 10_000);
      await fromDht.waitForDialled(1, 10_000);

      const pexPeer = await connectExtended(leecher.listenPort, info);
      using _ = pexPeer.peer;
      await sendPex(pexPeer.peer, pexPeer.pexId, pexPayload({ added6: v6(exchanged.ports[0]) }));
      await exchanged.waitForDialled(1, 5_000);
    } finally {
      await tracker.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: `ccbt download --peer [::1]:PORT downloads from a seeder on ::1${IGNORED}`,
  ignore: NO_LOOPBACK6 !== undefined,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccbt_ipv6_cli_" });
    try {
      const fx = await makeSmallTorrent(dir, 5 * 16384);
      const torrentPath = join(dir, "t.torrent");
      await Deno.writeFile(torrentPath, fx.bytes);
      await using seeder = new Session({ listenHost: "::1" });
      const seeding = await seeder.addTorrent({ torrent: fx.bytes, savePath: fx.seedDir });
      await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
      const out = join(dir, "out");
      const peer = `[::1]:${seeder.listenPort}`;
      const result = await runCcbt([
        "download",
        torrentPath,
        "-o",
        out,
        "--peer",
        peer,
        "--port",
        "0",
        "--bind",
        "127.0.0.1",
        "--no-seed",
        "--json",
      ]);
      equal(result.code, 0, result.stderr);
      equal(Buffer.compare(await Deno.readFile(join(out, "payload.bin")), fx.data), 0);
      ok(result.stdout.includes(`"peer":"${peer}"`), "the peer is named [::1]:PORT in the events");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: `Session with lsd.ipv6 announces on the IPv6 group with a bracketed Host header${NO_MULTICAST6}`,
  ignore: "reason" in IPV6_MULTICAST,
  fn: async () => {
    if ("reason" in IPV6_MULTICAST) return;
    const dir = await Deno.makeTempDir({ prefix: "ccbt_lsd6_" });
    // A raw member of the interface-local group hears what the session sends there.
    const heard: { bytes: Uint8Array; host: string }[] = [];
    const member = dgram.createSocket({ type: "udp6", reuseAddr: true });
    try {
      await new Promise<void>((resolve) => member.bind(0, `${TEST_GROUP6}%${IPV6_MULTICAST.zone}`, resolve));
      member.addMembership(TEST_GROUP6, IPV6_MULTICAST.interface);
      member.on("message", (bytes: Uint8Array, remote) => heard.push({ bytes, host: remote.address }));
      const groupPort = member.address().port;
      const fx = await makeSmallTorrent(dir);
      await using session = new Session({
        listenHost: "127.0.0.1",
        lsd: {
          group: "239.192.152.203",
          interface: "127.0.0.1",
          port: 0,
          minAnnounceGap: 0,
          ipv6: { group: TEST_GROUP6, port: groupPort, interface: IPV6_MULTICAST.interface },
        },
      });
      await session.addTorrent({ torrent: fx.bytes, savePath: fx.seedDir });
      const deadline = Date.now() + 10_000;
      while (heard.length === 0) {
        ok(Date.now() < deadline, "no announce heard on the IPv6 group");
        await delay(20);
      }
      const text = new TextDecoder().decode(heard[0].bytes);
      ok(text.includes(`\r\nHost: [${TEST_GROUP6}]:${groupPort}\r\n`), text);
      const announce = parseLsdAnnounce(heard[0].bytes);
      equal(announce?.port, session.listenPort);
      equal(JSON.stringify(announce?.infoHashes), JSON.stringify([fx.info.infoHashHex]));
    } finally {
      await new Promise<void>((resolve) => member.close(() => resolve()));
      await Deno.remove(dir, { recursive: true });
    }
  },
});
