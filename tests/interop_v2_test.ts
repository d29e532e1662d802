/**
 * BitTorrent v2 and hybrid torrents (BEP 52) against libtorrent 2.0 on 127.0.0.1: ccbt downloads a v2-only and a
 * hybrid multi-file torrent made by libtorrent from a libtorrent seeder (every piece checked against its SHA-256
 * Merkle root, hybrids against both hashes), and a libtorrent leecher downloads both kinds from a ccbt seeder.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { parseTorrent, Session } from "../mod.ts";
import { jsonEvents, runCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { libtorrentCreate, runLibtorrentLeecher, startLibtorrentSeeder } from "./_helpers/libtorrent.ts";

const FILES = [
  { path: "a.bin", size: 100_003 },
  { path: "sub/b.bin", size: 16_384 },
  { path: "sub/c.txt", size: 777 },
  { path: "d.bin", size: 65_536 },
];

for (const kind of ["v2", "hybrid"] as const) {
  Deno.test(`ccbt downloads a ${kind} torrent made by libtorrent from a libtorrent seeder`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `ccbt_lt_${kind}_` });
    try {
      const data = join(dir, "seed");
      await makePayload(join(data, "set"), { files: FILES }, 41);
      const torrentPath = join(dir, "set.torrent");
      const made = await libtorrentCreate(join(data, "set"), torrentPath, { kind, pieceLength: 32768 });
      const info = parseTorrent(await Deno.readFile(torrentPath));
      equal(info.version, kind);
      equal(info.infoHashHex, made.infoHash);
      await using seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data });
      const out = join(dir, "out");
      const result = await runCcbt([
        "download",
        torrentPath,
        "-o",
        out,
        "--peer",
        `127.0.0.1:${seeder.port}`,
        "--port",
        "0",
        "--no-seed",
        "--json",
      ]);
      equal(result.code, 0, `${result.stderr}\n${seeder.output}`);
      ok(jsonEvents(result.stdout).some((e) => e.event === "done" && e.infoHash === info.infoHashHex));
      await assertSameTree(join(data, "set"), join(out, "set"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`a libtorrent leecher downloads a ${kind} torrent from a ccbt seeder`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `ccbt_lt_${kind}_leech_` });
    try {
      const data = join(dir, "seed");
      await makePayload(join(data, "set"), { files: FILES }, 43);
      const torrentPath = join(dir, "set.torrent");
      await libtorrentCreate(join(data, "set"), torrentPath, { kind, pieceLength: 32768 });
      await using seeder = new Session({ listenHost: "127.0.0.1" });
      await seeder.addTorrent({ torrent: await Deno.readFile(torrentPath), savePath: data });
      const out = join(dir, "out");
      const leech = await runLibtorrentLeecher({
        torrentPath,
        saveDir: out,
        peers: [`127.0.0.1:${seeder.listenPort}`],
        timeoutMs: 60_000,
      });
      ok(leech.finished, leech.output);
      await assertSameTree(join(data, "set"), join(out, "set"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
