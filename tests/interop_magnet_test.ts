/**
 * Magnet links against libtorrent on 127.0.0.1: ccbt fetches the metadata (BEP 9 over BEP 10) and the data of a
 * magnet holding only the info-hash and an `x.pe` address of a libtorrent seeder.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, formatMagnet, parseTorrent, Session } from "../mod.ts";
import { jsonEvents, runCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { runLibtorrentLeecher, startLibtorrentSeeder } from "./_helpers/libtorrent.ts";

Deno.test("ccbt magnet fetches metadata and data from a libtorrent seeder given only an x.pe address", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_magnet_" });
  try {
    const data = join(dir, "seed");
    await makePayload(join(data, "album"), {
      files: [{ path: "a.flac", size: 400_001 }, { path: "cover.jpg", size: 33_333 }],
    }, 21);
    const { bytes, info } = await createTorrent(join(data, "album"), { pieceLength: 16384 });
    const torrentPath = join(dir, "album.torrent");
    await Deno.writeFile(torrentPath, bytes);
    await using seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data });

    const magnet = formatMagnet({
      infoHash: info.infoHash,
      trackers: [],
      peers: [{ host: "127.0.0.1", port: seeder.port }],
    });
    const out = join(dir, "out");
    const result = await runCcbt(["magnet", magnet, "--output", out, "--port", "0", "--no-seed", "--json"]);
    equal(result.code, 0, result.stderr);
    ok(jsonEvents(result.stdout).some((e) => e.event === "completed" && e.infoHash === info.infoHashHex));
    await assertSameTree(join(data, "album"), join(out, "album"));
    equal(parseTorrent(bytes).infoHashHex, info.infoHashHex);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a libtorrent leecher given only a magnet link fetches the metadata and data from a ccbt seeder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_magnet_serve_" });
  try {
    const data = join(dir, "seed");
    await makePayload(join(data, "docs"), {
      files: [{ path: "a.pdf", size: 250_003 }, { path: "b/c.txt", size: 1_001 }],
    }, 23);
    const { bytes, info } = await createTorrent(join(data, "docs"), { pieceLength: 16384 });
    await using seeder = new Session({ listenHost: "127.0.0.1" });
    await seeder.addTorrent({ torrent: bytes, savePath: data });
    const out = join(dir, "out");
    const magnet = formatMagnet({ infoHash: info.infoHash, name: "docs", trackers: [] });
    const leech = await runLibtorrentLeecher({
      magnet,
      saveDir: out,
      peers: [`127.0.0.1:${seeder.listenPort}`],
      timeoutMs: 60_000,
    });
    ok(leech.finished, leech.output);
    await assertSameTree(join(data, "docs"), join(out, "docs"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ccbt magnet refuses a malformed magnet link as bad input", async () => {
  const result = await runCcbt(["magnet", "magnet:?xt=urn:btih:zz", "--output", "/nonexistent", "--no-seed"]);
  equal(result.code, 2);
  ok(result.stderr.includes("Cannot parse magnet link"), result.stderr);
});
