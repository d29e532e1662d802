/**
 * Hostile peer exchange (BEP 11) against a running Session (HOSTILE_INPUTS.md case 50): a scripted peer completes
 * the BEP 10 handshake, then floods, repeats or mangles `ut_pex` messages. The session takes at most 50 peers
 * from a message and 6 messages a minute from a peer, ignores what it cannot use, drops the peer (`invalid_pex`)
 * for a message it cannot decode, does no PEX on a private torrent, and keeps seeding throughout. What the
 * session takes is seen by what it dials: every address handed over is a listener that counts connections.
 */

import { equal, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { type Alert, createTorrent, Session, type TorrentInfo } from "../mod.ts";
import { UT_PEX_ID } from "../engine/peer_extensions.ts";
import {
  AlertLog,
  delay,
  makeSmallTorrent,
  type SmallTorrent,
  waitForStatus,
} from "./_helpers/hostile_session.ts";
import { fetchFirstBlock, probeSeeder } from "./_helpers/hostile_wire.ts";
import {
  assertDialledOnce,
  compact,
  connectExtended,
  DialCounter,
  LOOPBACK4,
  pexPayload,
  sendPex,
} from "./_helpers/pex_peer.ts";

/** Steps share the test's session, so only the whole test checks for leaks. */
const STEP = { sanitizeOps: false, sanitizeResources: false, sanitizeExit: false } as const;
/** Peers taken from one PEX message, and PEX messages taken from one peer a minute (DESIGN.md section 8). */
const MAX_TAKEN = 50;
const MAX_PER_MINUTE = 6;
/** How long to watch for dials that must not happen (the session dials a learnt peer at once). */
const SETTLE_MS = 500;

const text = (s: string) => new TextEncoder().encode(s);

function loopbackPeers(ports: readonly number[]): Uint8Array {
  return compact(ports.map((port) => ({ address: LOOPBACK4, port })));
}

function disconnectOf(peer: string) {
  return (a: Alert): a is Extract<Alert, { type: "peer_disconnected" }> =>
    a.type === "peer_disconnected" && a.peer === peer;
}

/** What a malformed message must do: drop the peer with `invalid_pex`, be ignored, or still yield its peers. */
type Outcome = "dropped" | "ignored" | "taken";

interface MalformedCase {
  name: string;
  /** The payload; `port` is a listener's port the message may name. */
  payload: (port: number) => Uint8Array;
  outcome: Outcome;
}

const MALFORMED: MalformedCase[] = [
  { name: "a list, not a dictionary", payload: () => text("li1ei2ee"), outcome: "dropped" },
  { name: "not bencode", payload: () => text("hello, peer"), outcome: "dropped" },
  { name: "an empty payload", payload: () => new Uint8Array(0), outcome: "dropped" },
  {
    name: "a string length of 10^20 (nothing allocated)",
    payload: () => text("d5:added99999999999999999999:"),
    outcome: "dropped",
  },
  {
    name: "lists nested 10,000 deep",
    payload: () => text(`d5:added${"l".repeat(10_000)}${"e".repeat(10_000)}e`),
    outcome: "dropped",
  },
  {
    name: "600 KiB (over the 500 KiB cap)",
    payload: (port) => {
      const added = new Uint8Array(600 * 1024);
      added.set(loopbackPeers([port]));
      return pexPayload({ added, dropped: new Uint8Array(0) });
    },
    outcome: "dropped",
  },
  { name: "added is an integer", payload: () => pexPayload({ added: 7, dropped: [] }), outcome: "ignored" },
  {
    name: "added is a list of compact entries",
    payload: (port) => pexPayload({ added: [loopbackPeers([port])] }),
    outcome: "ignored",
  },
  {
    name: "only port 0, 0.0.0.0 and multicast entries",
    payload: () =>
      pexPayload({
        added: compact([
          { address: LOOPBACK4, port: 0 },
          { address: [0, 0, 0, 0], port: 6881 },
          { address: [224, 0, 0, 1], port: 6881 },
        ]),
      }),
    outcome: "ignored",
  },
  {
    name: "added6 of 17 bytes",
    payload: () => pexPayload({ added6: new Uint8Array(17).fill(1) }),
    outcome: "ignored",
  },
  {
    name: "added length not a multiple of 6",
    payload: (port) => pexPayload({ added: Uint8Array.of(...loopbackPeers([port]), 1, 2, 3) }),
    outcome: "taken",
  },
  {
    name: "added.f longer than added",
    payload: (port) => pexPayload({ added: loopbackPeers([port]), "added.f": new Uint8Array(5).fill(0x10) }),
    outcome: "taken",
  },
  {
    name: "the same peer added and dropped, with an unknown key",
    payload: (port) =>
      pexPayload({ added: loopbackPeers([port]), dropped: loopbackPeers([port]), "x-junk": [1, [2]] }),
    outcome: "ignored",
  },
];

interface Fixture {
  session: Session;
  log: AlertLog;
  fx: SmallTorrent;
  privateInfo: TorrentInfo;
  dir: string;
}

/** A seeding Session with a public and a private torrent of the same data; checks it is unharmed at the end. */
async function withSeeder(fn: (fixture: Fixture) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hostile_pex_" });
  const session = new Session({
    listenHost: "127.0.0.1",
    listenPort: 0,
    handshakeTimeout: 1_000,
    connectTimeout: 2_000,
  });
  const log = new AlertLog(session);
  try {
    const fx = await makeSmallTorrent(dir, 6 * 16384 + 77);
    const privateTorrent = await createTorrent(join(fx.seedDir, "payload.bin"), {
      pieceLength: 16384,
      private: true,
    });
    const seeding = await session.addTorrent({ torrent: fx.bytes, savePath: fx.seedDir });
    const seedingPrivate = await session.addTorrent({ torrent: privateTorrent.bytes, savePath: fx.seedDir });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
    await waitForStatus(seedingPrivate, (s) => s.state === "seeding", 10_000);
    await fn({ session, log, fx, privateInfo: privateTorrent.info, dir });
    equal(seeding.status().state, "seeding", "the public torrent is still seeding");
    equal(seedingPrivate.status().state, "seeding", "the private torrent is still seeding");
    equal(log.ofType("torrent_error").length, 0, "no torrent error");
    equal(log.ofType("alerts_dropped").length, 0);
  } finally {
    await session.close();
    await log.done;
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Session takes at most 50 peers and 6 messages a minute from a PEX peer, and survives malformed PEX", async (t) => {
  await withSeeder(async ({ session, log, fx }) => {
    const port = session.listenPort;
    const counters: DialCounter[] = [];
    const counter = (n: number) => {
      const c = new DialCounter(n);
      counters.push(c);
      return c;
    };
    try {
      await t.step({
        name: "a message of 10,000 peers: the first 50 are dialled, no more",
        ...STEP,
        fn: async () => {
          // 120 listeners first, then 9,880 documentation-range addresses that must never be dialled.
          const listeners = counter(120);
          const others = Array.from({ length: 10_000 - 120 }, (_, i) => ({
            address: [198, 18, i >> 8, i & 0xff],
            port: 6881,
          }));
          const added = Uint8Array.of(...loopbackPeers(listeners.ports), ...compact(others));
          equal(added.length, 60_000);
          const { peer, pexId, name } = await connectExtended(port, fx.info);
          using _ = peer;
          equal(pexId, UT_PEX_ID, "the session offers ut_pex on a public torrent");
          await sendPex(peer, pexId, pexPayload({ added, "added.f": new Uint8Array(10_000) }));
          await listeners.waitForDialled(MAX_TAKEN, 15_000, SETTLE_MS);
          assertDialledOnce(listeners, listeners.ports.slice(0, MAX_TAKEN));
          await fetchFirstBlock(peer, fx.data);
          ok(!log.alerts.some(disconnectOf(name)), "the sender is not dropped");
        },
      });

      await t.step({
        name: `20 messages in 2 s: only the first ${MAX_PER_MINUTE} are taken`,
        ...STEP,
        fn: async () => {
          const listeners = counter(20);
          const { peer, pexId, name } = await connectExtended(port, fx.info);
          using _ = peer;
          for (const listenerPort of listeners.ports) {
            await sendPex(peer, pexId, pexPayload({ added: loopbackPeers([listenerPort]) }));
            await delay(100);
          }
          await listeners.waitForDialled(MAX_PER_MINUTE, 10_000, SETTLE_MS);
          assertDialledOnce(listeners, listeners.ports.slice(0, MAX_PER_MINUTE));
          await fetchFirstBlock(peer, fx.data);
          ok(!log.alerts.some(disconnectOf(name)), "a flooding sender is ignored, not dropped");
        },
      });

      for (const c of MALFORMED) {
        await t.step({
          name: `${c.name}: ${c.outcome}`,
          ...STEP,
          fn: async () => {
            const listeners = counter(2);
            const [named, probe] = listeners.ports;
            const { peer, pexId, name } = await connectExtended(port, fx.info);
            using _ = peer;
            await sendPex(peer, pexId, c.payload(named));
            if (c.outcome === "dropped") {
              equal(await peer.waitForClose(3_000), "closed", "the session closes the socket");
              equal((await log.waitFor(disconnectOf(name), 3_000)).reason, "invalid_pex");
              await probeSeeder(port, fx.info, fx.data);
              await delay(SETTLE_MS);
              equal(listeners.total, 0, "nothing from the message is dialled");
              return;
            }
            // Still connected and still heard: a good message afterwards is taken.
            await sendPex(peer, pexId, pexPayload({ added: loopbackPeers([probe]) }));
            await listeners.waitForDialled(c.outcome === "taken" ? 2 : 1, 5_000, SETTLE_MS);
            assertDialledOnce(listeners, c.outcome === "taken" ? [named, probe] : [probe]);
            await fetchFirstBlock(peer, fx.data);
            ok(!log.alerts.some(disconnectOf(name)), "the sender is not dropped");
          },
        });
      }
    } finally {
      await Promise.all(counters.map((c) => c.close()));
    }
  });
});

Deno.test("Session ignores PEX on a private torrent (BEP 27) and keeps serving the sender", async () => {
  await withSeeder(async ({ session, log, fx, privateInfo }) => {
    await using listeners = new DialCounter(2);
    const { peer, pexId, name } = await connectExtended(session.listenPort, privateInfo);
    using _ = peer;
    equal(pexId, 0, "no ut_pex in the extension handshake of a private torrent");
    // Sent anyway, under the id a public torrent takes it as, and under an id the session never offered.
    for (const id of [UT_PEX_ID, 77]) {
      await sendPex(peer, id, pexPayload({ added: loopbackPeers(listeners.ports) }));
    }
    await delay(SETTLE_MS + 1_000);
    equal(listeners.total, 0, "no peer from PEX is dialled for a private torrent");
    await fetchFirstBlock(peer, fx.data);
    ok(!log.alerts.some(disconnectOf(name)), "the sender is not dropped");
  });
});

Deno.test("Session keeps seeding to an honest Session while a peer floods it with PEX", async () => {
  await withSeeder(async ({ session, fx, dir }) => {
    await using listeners = new DialCounter(MAX_TAKEN);
    const hostile = await connectExtended(session.listenPort, fx.info);
    using _ = hostile.peer;
    const payload = pexPayload({ added: loopbackPeers(listeners.ports) });
    const flooding = (async () => {
      for (let i = 0; i < 200; i++) {
        if (!await sendPex(hostile.peer, hostile.pexId, payload)) return;
        await delay(5);
      }
    })();
    await using leecher = new Session({ listenHost: "127.0.0.1" });
    const leeching = await leecher.addTorrent({
      torrent: fx.bytes,
      savePath: join(dir, "leech"),
      peers: [{ host: "127.0.0.1", port: session.listenPort }],
    });
    await waitForStatus(leeching, (s) => s.state === "seeding", 15_000);
    await flooding;
    equal(Buffer.compare(await Deno.readFile(join(dir, "leech", "payload.bin")), fx.data), 0);
    await listeners.waitForDialled(MAX_TAKEN, 10_000, SETTLE_MS);
    ok(listeners.total <= MAX_TAKEN, `each listener dialled once: ${listeners.total}`);
  });
});
