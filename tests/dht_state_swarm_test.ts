/**
 * The DHT (BEP 5) across restarts: a Session with a state directory saves its node id and good nodes, and the next
 * run reuses the id and bootstraps from the saved nodes alone. Also: a DHT or LSD that cannot start leaves the
 * session running with a warning, and `pex: false` keeps ut_pex out of the extension handshake.
 */

import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import { createSocket } from "node:dgram";
import { join } from "node:path";
import { createTorrent, Session, StateStore } from "../mod.ts";
import { decodeKrpc, DhtNode, encodeQuery } from "../engine/dht/mod.ts";
import { decodeExtensionHandshake, makeReserved } from "../engine/wire/mod.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { AlertLog, makeSmallTorrent, waitForStatus } from "./_helpers/hostile_session.ts";
import { ScriptedPeer } from "./_helpers/scripted_peer.ts";

const LOCAL = "127.0.0.1";

/** Polls `probe` every 100 ms until it returns true, failing with `what` after `timeoutMs`. */
async function until(probe: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The node id a DHT node on 127.0.0.1:`port` answers a KRPC ping with (BEP 5). */
async function pingId(port: number): Promise<Uint8Array> {
  const socket = createSocket("udp4");
  try {
    await new Promise<void>((resolve) => socket.bind(0, LOCAL, () => resolve()));
    const reply = new Promise<Uint8Array>((resolve) =>
      socket.once("message", (msg: Uint8Array) => resolve(msg))
    );
    socket.send(encodeQuery(Uint8Array.of(7, 7), "ping", { id: new Uint8Array(20).fill(0xee) }), port, LOCAL);
    const message = decodeKrpc(await reply);
    if (message.y !== "r") throw new Error(`The DHT node answered a ping with ${message.y}`);
    return message.id;
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

function savedDht(stateDir: string) {
  const { store } = StateStore.open(stateDir);
  try {
    return store.loadDhtState();
  } finally {
    store.close();
  }
}

Deno.test("Session keeps its DHT node id and nodes in the state dir and finds peers from them after a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_dht_state_" });
  const router = new DhtNode({ host: LOCAL, allowSameIp: true });
  const keeper = new DhtNode({ host: LOCAL, allowSameIp: true, bootstrap: [] });
  try {
    await router.start();
    const bootstrap = [{ host: LOCAL, port: router.port }];
    // A long-lived node of the DHT that will hold the seeder's announce after the router is gone.
    await keeper.start();
    ok(await keeper.addNode(LOCAL, router.port));

    const data = join(dir, "seed");
    await makePayload(data, { files: [{ path: "kept.bin", size: 200_000 }] }, 35);
    const { bytes, info } = await createTorrent(join(data, "kept.bin"), { pieceLength: 16384 });
    await using seeder = new Session({ listenHost: LOCAL, dht: true, dhtBootstrap: bootstrap });
    const seeding = await seeder.addTorrent({ torrent: bytes, savePath: data });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
    await until(
      async () => (await keeper.getPeers(info.infoHash)).some((p) => p.port === seeder.listenPort),
      "the seeder's announce to reach the long-lived node",
      20_000,
    );

    // First run: bootstrapped from the router, it meets the other nodes and saves them at close.
    const stateDir = join(dir, "state");
    const first = new Session({ listenHost: LOCAL, dht: true, dhtBootstrap: bootstrap, stateDir });
    await first.start();
    const firstId = await pingId(first.dhtPort);
    await first.close();
    const saved = savedDht(stateDir);
    ok(saved !== undefined, "the node id was saved");
    const savedPorts = new Set(saved.nodes.map((n) => n.port));
    ok(savedPorts.has(keeper.port), `saved ${[...savedPorts]} has the long-lived node ${keeper.port}`);
    ok(
      savedPorts.has(seeder.dhtPort),
      `saved ${[...savedPorts]} has the seeder's DHT node ${seeder.dhtPort}`,
    );
    deepEqual(saved.nodeId, firstId);

    // Second run: no bootstrap node at all, and the router is gone; only the saved nodes lead to the seeder.
    await router.close();
    const second = new Session({ listenHost: LOCAL, dht: true, stateDir });
    try {
      const leeching = await second.addTorrent({ torrent: bytes, savePath: join(dir, "leech") });
      await waitForStatus(leeching, (s) => s.state === "seeding", 30_000);
      await assertSameTree(data, join(dir, "leech"));
      deepEqual(await pingId(second.dhtPort), firstId, "the restarted node answers with the first run's id");
    } finally {
      await second.close();
    }
    deepEqual(savedDht(stateDir)?.nodeId, saved.nodeId, "the id is still the first run's");
  } finally {
    await keeper.close();
    await router.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Session without a state dir starts its DHT with a new id every time", async () => {
  const ids: Uint8Array[] = [];
  for (let run = 0; run < 2; run++) {
    await using session = new Session({ listenHost: LOCAL, dht: true });
    await session.start();
    ids.push(await pingId(session.dhtPort));
  }
  notDeepEqual(ids[0], ids[1]);
});

Deno.test("Session runs on with a warning when its DHT port is taken", async () => {
  const taken = createSocket("udp4");
  await new Promise<void>((resolve) => taken.bind(0, LOCAL, () => resolve()));
  try {
    await using session = new Session({ listenHost: LOCAL, dht: true, dhtPort: taken.address().port });
    const log = new AlertLog(session);
    await session.start();
    equal(session.dhtPort, 0);
    ok(session.listenPort > 0);
    const warning = await log.waitFor((a) => a.type === "state_warning", 5_000);
    ok(warning.type === "state_warning");
    ok(warning.message.startsWith(`Cannot start the DHT on UDP ${LOCAL}:${taken.address().port}: `));
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
});

Deno.test("Session with pex: false leaves ut_pex out of its extension handshake (BEP 11)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_pex_off_" });
  try {
    const torrent = await makeSmallTorrent(dir);
    for (const pex of [undefined, false]) {
      await using session = new Session({ listenHost: LOCAL, pex });
      const handle = await session.addTorrent({ torrent: torrent.bytes, savePath: torrent.seedDir });
      await waitForStatus(handle, (s) => s.state === "seeding", 10_000);
      const peer = await ScriptedPeer.connect(session.listenPort);
      try {
        await peer.sendHandshake({
          infoHash: torrent.info.infoHash,
          reserved: makeReserved({ extensionProtocol: true }),
        });
        await peer.readHandshake(5_000);
        let m: Map<string, number> | undefined;
        while (m === undefined) {
          const message = await peer.nextMessage(5_000);
          if (message === null) throw new Error("The session closed the connection");
          if (message.type === "extended" && message.id === 0) {
            m = decodeExtensionHandshake(message.payload).m;
          }
        }
        equal(m.has("ut_pex"), pex !== false, `pex: ${pex}`);
        ok(m.has("ut_metadata"));
      } finally {
        peer.close();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
