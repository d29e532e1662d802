/**
 * `ccbt scrape` against a real tracker (opentracker) over HTTP and UDP, for a .torrent and for a magnet link.
 */

import { deepEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, formatMagnet } from "../mod.ts";
import { jsonEvents, runCcbt } from "./_helpers/ccbt.ts";
import { makePayload } from "./_helpers/files.ts";
import { startLibtorrentSeeder } from "./_helpers/libtorrent.ts";
import { startOpentracker } from "./_helpers/opentracker.ts";

Deno.test("ccbt scrape prints seeders, leechers and completed per tracker for a torrent and a magnet", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_scrape_" });
  try {
    await makePayload(dir, { files: [{ path: "x.bin", size: 50_000 }] }, 8);
    const probe = await createTorrent(join(dir, "x.bin"), { pieceLength: 16384 });
    await using tracker = await startOpentracker({ infoHashes: [probe.info.infoHashHex] });
    const { bytes, info } = await createTorrent(join(dir, "x.bin"), {
      pieceLength: 16384,
      trackers: [[tracker.httpUrl], [tracker.udpUrl]],
    });
    const torrentPath = join(dir, "x.torrent");
    await Deno.writeFile(torrentPath, bytes);
    // One seeder registered with the tracker.
    await using _seeder = await startLibtorrentSeeder({ torrentPath, dataDir: dir, waitForTracker: true });

    const byTorrent = await runCcbt(["scrape", torrentPath, "--json"]);
    equal(byTorrent.code, 0, byTorrent.stderr);
    const rows = jsonEvents(byTorrent.stdout).sort((a, b) =>
      String(a.tracker).localeCompare(String(b.tracker))
    );
    deepEqual(rows.map((r) => r.tracker), [tracker.httpUrl, tracker.udpUrl].sort());
    for (const row of rows) equal(row.seeders, 1, JSON.stringify(row));

    const magnet = formatMagnet({ infoHash: info.infoHash, name: "x.bin", trackers: [tracker.udpUrl] });
    const byMagnet = await runCcbt(["scrape", magnet]);
    equal(byMagnet.code, 0, byMagnet.stderr);
    match(byMagnet.stdout, /seeders 1 {2}leechers 0/);

    const bad = await runCcbt(["scrape", "magnet:?xt=urn:btih:123"]);
    equal(bad.code, 2);
    match(bad.stderr, /Cannot parse magnet link/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
