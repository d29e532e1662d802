/**
 * Local service discovery (BEP 14) inside sessions: a leecher finds a seeder on this machine through the
 * multicast announces alone (a private multicast group and port, so the test stays on 127.0.0.1 and apart from
 * any real LSD traffic).
 */

import { equal } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { waitForStatus } from "./_helpers/hostile_session.ts";

Deno.test("Session finds a seeder on this machine through local service discovery (BEP 14)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_lsd_" });
  try {
    const data = join(dir, "seed");
    await makePayload(data, { files: [{ path: "lan.bin", size: 120_000 }] }, 35);
    const { bytes } = await createTorrent(join(data, "lan.bin"), { pieceLength: 16384 });
    const lsd = { group: "239.192.152.202", interface: "127.0.0.1", minAnnounceGap: 0 };

    await using seeder = new Session({ listenHost: "127.0.0.1", lsd: { ...lsd, port: 0 } });
    await seeder.start();
    await using leecher = new Session({ listenHost: "127.0.0.1", lsd: { ...lsd, port: seeder.lsdPort } });
    const leeching = await leecher.addTorrent({ torrent: bytes, savePath: join(dir, "leech") });
    const seeding = await seeder.addTorrent({ torrent: bytes, savePath: data });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
    await waitForStatus(leeching, (s) => s.state === "seeding", 20_000);
    equal(leeching.status().progress, 1);
    await assertSameTree(data, join(dir, "leech"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
