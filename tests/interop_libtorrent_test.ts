/**
 * Interop with libtorrent 2.0 (python3-libtorrent) on 127.0.0.1, through the real `ccbt` CLI:
 * ccbt leeches from a libtorrent seeder found through opentracker over HTTP and over UDP, and a libtorrent
 * leecher downloads a torrent made by `ccbt create` from a ccbt seeder. Every download is compared byte for byte.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent } from "../mod.ts";
import { jsonEvents, runCcbt, startCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import {
  libtorrentCreate,
  libtorrentInfoHash,
  runLibtorrentLeecher,
  startLibtorrentSeeder,
} from "./_helpers/libtorrent.ts";
import { startOpentracker } from "./_helpers/opentracker.ts";

const ODD_FILES = [
  { path: "disc1/track01.bin", size: 411_123 },
  { path: "disc1/track02.bin", size: 77 },
  { path: "disc2/cover.png", size: 96_001 },
  { path: "readme.txt", size: 1_234 },
];

Deno.test("ccbt downloads a libtorrent-made torrent from a libtorrent seeder found through an HTTP tracker", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_lt_http_" });
  try {
    const data = join(dir, "seed");
    await makePayload(join(data, "collection"), { files: ODD_FILES }, 7);
    // The info-hash does not depend on the announce URL: learn it first, whitelist it, then add the tracker.
    const probe = await libtorrentCreate(join(data, "collection"), join(dir, "probe.torrent"), {
      pieceLength: 32 * 1024,
    });
    await using tracker = await startOpentracker({ infoHashes: [probe.infoHash] });
    const torrentPath = join(dir, "lt.torrent");
    const made = await libtorrentCreate(join(data, "collection"), torrentPath, {
      pieceLength: 32 * 1024,
      trackers: [tracker.httpUrl],
    });
    equal(made.infoHash, probe.infoHash);
    await using _seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data, waitForTracker: true });

    const out = join(dir, "out");
    const result = await runCcbt(["download", torrentPath, "-o", out, "--port", "0", "--no-seed", "--json"]);
    equal(result.code, 0, result.stderr);
    const events = jsonEvents(result.stdout);
    ok(events.some((e) => e.event === "completed" && e.infoHash === made.infoHash));
    await assertSameTree(join(data, "collection"), join(out, "collection"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ccbt downloads from a libtorrent seeder found through a UDP tracker (BEP 15)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_lt_udp_" });
  try {
    const data = join(dir, "seed");
    await makePayload(data, { files: [{ path: "single.iso", size: 700_003 }] }, 11);
    const probe = await createTorrent(join(data, "single.iso"), { pieceLength: 16 * 1024 });
    await using tracker = await startOpentracker({ infoHashes: [probe.info.infoHashHex] });
    const { bytes, info } = await createTorrent(join(data, "single.iso"), {
      pieceLength: 16 * 1024,
      trackers: [tracker.udpUrl],
    });
    const torrentPath = join(dir, "udp.torrent");
    await Deno.writeFile(torrentPath, bytes);
    await using _seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data, waitForTracker: true });

    const out = join(dir, "out");
    const result = await runCcbt(["download", torrentPath, "-o", out, "--port", "0", "--no-seed", "--json"]);
    equal(result.code, 0, result.stderr);
    ok(jsonEvents(result.stdout).some((e) => e.event === "completed" && e.infoHash === info.infoHashHex));
    await assertSameTree(data, out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("libtorrent accepts a torrent made by `ccbt create` and downloads it from a ccbt seeder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_lt_leech_" });
  try {
    const data = join(dir, "seed");
    await makePayload(join(data, "collection"), { files: ODD_FILES }, 3);
    const torrentPath = join(dir, "ccbt.torrent");
    const created = await runCcbt(["create", join(data, "collection"), "-o", torrentPath, "--json"]);
    equal(created.code, 0, created.stderr);
    const { infoHash } = JSON.parse(created.stdout);
    equal(await libtorrentInfoHash(torrentPath), infoHash, "libtorrent computes the same info-hash");

    await using seeder = startCcbt(["seed", torrentPath, "--dir", data, "--port", "0", "--json"]);
    const listening = await seeder.waitForLine((l) => l.text.includes("listening on port"), {
      timeoutMs: 20_000,
    });
    const port = Number(/listening on port (\d+)/.exec(listening.text)![1]);
    await seeder.waitForLine((l) => l.text.includes('"state":"seeding"'), { timeoutMs: 20_000 });

    const out = join(dir, "out");
    const leech = await runLibtorrentLeecher({
      torrentPath,
      saveDir: out,
      peers: [`127.0.0.1:${port}`],
      timeoutMs: 60_000,
    });
    ok(leech.finished, leech.output);
    await assertSameTree(join(data, "collection"), join(out, "collection"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
