/**
 * Peer exchange (BEP 11) with libtorrent on 127.0.0.1: ccbt, connected only to a libtorrent leecher, learns the
 * seeder that leecher is connected to through ut_pex, and connects to it. libtorrent sends PEX once a minute.
 */

import { ok } from "node:assert/strict";
import { join } from "node:path";
import { type Alert, createTorrent, Session } from "../mod.ts";
import { makePayload } from "./_helpers/files.ts";
import { startLibtorrentLeecher, startLibtorrentSeeder } from "./_helpers/libtorrent.ts";

Deno.test("ccbt learns a third peer through ut_pex from a libtorrent peer and connects to it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_pex_" });
  try {
    const data = join(dir, "seed");
    await makePayload(data, { files: [{ path: "big.bin", size: 4 * 1024 * 1024 }] }, 12);
    const { bytes } = await createTorrent(join(data, "big.bin"), { pieceLength: 16384 });
    const torrentPath = join(dir, "big.torrent");
    await Deno.writeFile(torrentPath, bytes);
    // A slow seeder keeps everyone downloading (no "both seeds" disconnects) until PEX has gone round.
    await using seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data, uploadLimit: 32 * 1024 });
    await using middle = await startLibtorrentLeecher({
      torrentPath,
      saveDir: join(dir, "middle"),
      peers: [`127.0.0.1:${seeder.port}`],
      stay: true,
      timeoutMs: 150_000,
    });

    await using session = new Session({ listenHost: "127.0.0.1" });
    const seen: Alert[] = [];
    const reader = (async () => {
      for await (const alert of session.alerts()) seen.push(alert);
    })();
    await session.addTorrent({
      torrent: bytes,
      savePath: join(dir, "ccbt"),
      peers: [{ host: "127.0.0.1", port: middle.port }],
    });
    const seederName = `127.0.0.1:${seeder.port}`;
    const deadline = Date.now() + 120_000;
    while (!seen.some((a) => a.type === "peer_connected" && a.peer === seederName) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await session.close();
    await reader;
    ok(
      seen.some((a) => a.type === "peer_connected" && a.peer === seederName),
      `ccbt never connected to the seeder ${seederName}; peers seen: ${
        seen.filter((a) => a.type === "peer_connected").map((a) => (a as { peer: string }).peer).join(", ")
      }`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
