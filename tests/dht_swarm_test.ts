/**
 * The DHT (BEP 5) inside sessions: a seeding Session and a leeching Session, both bootstrapped from a third DHT
 * node on 127.0.0.1, with no tracker and no peer given: the leecher finds the seeder through the DHT alone.
 */

import { equal } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, formatMagnet, Session } from "../mod.ts";
import { runCcbt } from "./_helpers/ccbt.ts";
import { DhtNode } from "../engine/dht/mod.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { waitForStatus } from "./_helpers/hostile_session.ts";

Deno.test("Session finds a seeder through the DHT alone (BEP 5) and downloads from it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_dht_" });
  await using router = new DhtNode({ host: "127.0.0.1", allowSameIp: true });
  try {
    await router.start();
    const bootstrap = [{ host: "127.0.0.1", port: router.port }];
    const data = join(dir, "seed");
    await makePayload(data, { files: [{ path: "found.bin", size: 300_000 }] }, 33);
    const { bytes } = await createTorrent(join(data, "found.bin"), { pieceLength: 16384 });

    await using seeder = new Session({ listenHost: "127.0.0.1", dht: true, dhtBootstrap: bootstrap });
    const seeding = await seeder.addTorrent({ torrent: bytes, savePath: data });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);

    await using leecher = new Session({ listenHost: "127.0.0.1", dht: true, dhtBootstrap: bootstrap });
    const leeching = await leecher.addTorrent({ torrent: bytes, savePath: join(dir, "leech") });
    await waitForStatus(leeching, (s) => s.state === "seeding", 30_000);
    equal(leeching.status().progress, 1);
    await assertSameTree(data, join(dir, "leech"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ccbt magnet --dht fetches a magnet holding only the info-hash through the DHT", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_dht_magnet_" });
  await using router = new DhtNode({ host: "127.0.0.1", allowSameIp: true });
  try {
    await router.start();
    const node = `127.0.0.1:${router.port}`;
    const data = join(dir, "seed");
    await makePayload(
      join(data, "pack"),
      { files: [{ path: "a", size: 70_000 }, { path: "b", size: 5 }] },
      34,
    );
    const { bytes, info } = await createTorrent(join(data, "pack"), { pieceLength: 16384 });
    await using seeder = new Session({
      listenHost: "127.0.0.1",
      dht: true,
      dhtBootstrap: [{ host: "127.0.0.1", port: router.port }],
    });
    const seeding = await seeder.addTorrent({ torrent: bytes, savePath: data });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);

    const magnet = formatMagnet({ infoHash: info.infoHash, trackers: [] });
    const out = join(dir, "out");
    const args = ["magnet", magnet, "-o", out, "--bind", "127.0.0.1", "--port", "0", "--no-seed", "--json"];
    const result = await runCcbt([...args, "--dht", "--dht-bootstrap", node]);
    equal(result.code, 0, result.stderr);
    await assertSameTree(join(data, "pack"), join(out, "pack"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
