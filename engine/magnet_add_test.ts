import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { type MagnetSources, resolveMagnet } from "./magnet_add.ts";
import { fetchMagnetMetadata } from "./magnet_metadata.ts";
import { createTorrent, parseMagnet, parseTorrent } from "./metainfo/mod.ts";
import type { ByteTransport } from "./peer_handshake.ts";
import { Session } from "./session.ts";
import { StateStore } from "./storage/state_store.ts";
import type { PeerAddress } from "./tracker/mod.ts";

const peerId = new Uint8Array(20).fill(9);
const connect = (peer: PeerAddress): Promise<ByteTransport> =>
  Deno.connect({ hostname: peer.host, port: peer.port });

/** A seeding Session on 127.0.0.1 and the torrent it serves. */
async function seeder(dir: string) {
  await Deno.mkdir(join(dir, "data"), { recursive: true });
  await Deno.writeFile(join(dir, "data", "f.bin"), new Uint8Array(50_000).fill(3));
  const { bytes, info } = await createTorrent(join(dir, "data", "f.bin"), { pieceLength: 16384 });
  const session = new Session({ listenHost: "127.0.0.1" });
  const handle = await session.addTorrent({ torrent: bytes, savePath: join(dir, "data") });
  for (let waited = 0; handle.status().state !== "seeding"; waited += 10) {
    if (waited > 10_000) throw new Error(`The seeder is ${handle.status().state} after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { session, info, address: { host: "127.0.0.1", port: session.listenPort } };
}

function sources(overrides: Partial<MagnetSources>): MagnetSources {
  return {
    peerId,
    connect,
    connectTimeout: 2_000,
    handshakeTimeout: 2_000,
    announce: () => Promise.reject(new Error("no tracker in this test")),
    request: { peerId, port: 0, numwant: 50 },
    ...overrides,
  };
}

Deno.test("fetchMagnetMetadata() keeps asking discover() for peers until one sends the metadata", async () => {
  const dir = await Deno.makeTempDir();
  const seed = await seeder(dir);
  try {
    const link = parseMagnet(`magnet:?xt=urn:btih:${seed.info.infoHashHex}`);
    let rounds = 0;
    const metadata = await fetchMagnetMetadata(link, [], sources({}), {
      timeoutMs: 20_000,
      discoverDelaysMs: [20],
      discover: () => Promise.resolve(++rounds < 3 ? [] : [seed.address]),
    });
    deepEqual(metadata, seed.info.infoBytes);
    ok(rounds >= 3, `${rounds} rounds`);
  } finally {
    await seed.session.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetchMagnetMetadata() without discover() fails once every given peer has been asked", async () => {
  const link = parseMagnet(`magnet:?xt=urn:btih:${"ab".repeat(20)}`);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nobody listens there now: the connect is refused
  await rejects(
    fetchMagnetMetadata(link, [{ host: "127.0.0.1", port }], sources({}), { timeoutMs: 20_000 }),
    /Cannot fetch the metadata of a{1}b{1}(ab){19}: no peer had it/,
  );
});

Deno.test("fetchMagnetMetadata() with discover() that finds nobody fails at the timeout, naming the peers found", async () => {
  const link = parseMagnet(`magnet:?xt=urn:btih:${"cd".repeat(20)}`);
  await rejects(
    fetchMagnetMetadata(link, [], sources({}), {
      timeoutMs: 200,
      discoverDelaysMs: [20],
      discover: () => Promise.resolve([]),
    }),
    /no peer sent it in 200 ms \(0 peers found\)/,
  );
});

Deno.test("resolveMagnet() records the magnet before fetching, and later uses the stored metainfo", async () => {
  const dir = await Deno.makeTempDir();
  const seed = await seeder(dir);
  const { store } = StateStore.open(join(dir, "state"));
  try {
    const link = parseMagnet(`magnet:?xt=urn:btih:${seed.info.infoHashHex}&dn=f.bin`);
    const savePath = join(dir, "out");
    let recordedFirst: string | undefined;
    const resolved = await resolveMagnet(
      link,
      savePath,
      [],
      sources({
        store,
        dht: {
          getPeers: () => {
            recordedFirst ??= store.get(link.infoHashHex)?.magnet;
            return Promise.resolve([seed.address]);
          },
        },
      }),
      { timeoutMs: 20_000, discoverDelaysMs: [20] },
    );
    equal(recordedFirst, `magnet:?xt=urn:btih:${seed.info.infoHashHex}&dn=f.bin`);
    const pending = store.get(link.infoHashHex)!;
    equal(pending.pieceCount, 0);
    equal(pending.state, "metadata");
    equal(pending.savePath, savePath);
    equal(resolved.stored, false);
    equal(parseTorrent(resolved.torrent).infoHashHex, seed.info.infoHashHex);
    ok(resolved.peers.some((p) => p.port === seed.address.port));

    // Once the record holds the metainfo, nobody is asked: the DHT would throw if it were.
    store.put({
      ...pending,
      metainfo: resolved.torrent,
      pieceCount: 4,
      have: new Uint8Array(1),
      name: "f.bin",
    });
    const again = await resolveMagnet(
      link,
      savePath,
      [],
      sources({
        store,
        dht: { getPeers: () => Promise.reject(new Error("the DHT was asked")) },
        connect: () => Promise.reject(new Error("a peer was dialled")),
      }),
      { timeoutMs: 500 },
    );
    equal(again.stored, true);
    deepEqual(again.torrent, resolved.torrent);
  } finally {
    store.close();
    await seed.session.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveMagnet() asks the DHT for both info-hashes of a hybrid link (BEP 52)", async () => {
  const v1 = "ab".repeat(20);
  const v2 = "cd".repeat(32);
  const link = parseMagnet(`magnet:?xt=urn:btih:${v1}&xt=urn:btmh:1220${v2}`);
  const asked = new Set<string>();
  await rejects(
    resolveMagnet(
      link,
      "/nonexistent",
      [],
      sources({
        dht: {
          getPeers: (key) => {
            asked.add([...key].map((b) => b.toString(16).padStart(2, "0")).join(""));
            return Promise.resolve([]);
          },
        },
      }),
      { timeoutMs: 200, discoverDelaysMs: [20] },
    ),
    /no peer sent it/,
  );
  deepEqual([...asked].sort(), [v1, v2.slice(0, 40)]);
});
