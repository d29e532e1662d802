/**
 * v2-only and hybrid magnet links (BEP 9 `urn:btmh`, BEP 52) against libtorrent 2.0 on 127.0.0.1: `ccbt magnet`
 * given only the v2 info-hash (or both hashes) and an `x.pe` address of a libtorrent seeder fetches the metadata
 * (checked by SHA-256), the piece layers (hash requests) and the data; a libtorrent leecher given only a v2 magnet
 * downloads from a ccbt seeder, which answers its hash requests; and a hybrid ccbt fetched from a libtorrent
 * seeder's magnet serves a libtorrent v2-only leecher once that seeder is gone (libtorrent upgrades the hybrid's
 * v1 connection to v2 and hands over the layers; a v1-only seeder would not, which tests/magnet_v2_swarm_test.ts
 * covers: there the layers are computed from the data).
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { parseTorrent, Session } from "../mod.ts";
import { jsonEvents, runCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { waitForStatus } from "./_helpers/hostile_session.ts";
import { magnetFor } from "./_helpers/magnet.ts";
import { libtorrentCreate, runLibtorrentLeecher, startLibtorrentSeeder } from "./_helpers/libtorrent.ts";

const FILES = [
  { path: "a.bin", size: 300_001 },
  { path: "sub/b.bin", size: 40_000 },
  { path: "sub/c.txt", size: 777 },
];

for (const kind of ["v2", "hybrid"] as const) {
  const hashes = kind === "v2" ? "only the btmh hash" : "the btih and btmh hashes";
  Deno.test(`ccbt magnet with ${hashes} downloads a ${kind} torrent from a libtorrent seeder`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `ccbt_magnet_lt_${kind}_` });
    try {
      const data = join(dir, "seed");
      await makePayload(join(data, "set"), { files: FILES }, 61);
      const torrentPath = join(dir, "set.torrent");
      await libtorrentCreate(join(data, "set"), torrentPath, { kind, pieceLength: 16384 });
      const info = parseTorrent(await Deno.readFile(torrentPath));
      equal(info.version, kind);
      await using seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data });
      const magnet = magnetFor(info, { v2Only: kind === "v2", ports: [seeder.port] });
      equal(magnet.includes("urn:btih"), kind === "hybrid");
      const out = join(dir, "out");
      const result = await runCcbt(["magnet", magnet, "--output", out, "--port", "0", "--no-seed", "--json"]);
      equal(result.code, 0, `${result.stderr}\n${seeder.output}`);
      ok(jsonEvents(result.stdout).some((e) => e.event === "completed" && e.infoHash === info.infoHashHex));
      await assertSameTree(join(data, "set"), join(out, "set"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a libtorrent leecher given only a v2 magnet downloads from a ccbt seeder, fetching the layers from it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_magnet_lt_v2_serve_" });
  try {
    const data = join(dir, "seed");
    await makePayload(join(data, "set"), { files: FILES }, 63);
    const torrentPath = join(dir, "set.torrent");
    await libtorrentCreate(join(data, "set"), torrentPath, { kind: "v2", pieceLength: 16384 });
    const info = parseTorrent(await Deno.readFile(torrentPath));
    await using seeder = new Session({ listenHost: "127.0.0.1" });
    await seeder.addTorrent({ torrent: await Deno.readFile(torrentPath), savePath: data });
    const magnet = magnetFor(info, { v2Only: true, name: "set" });
    const out = join(dir, "out");
    const leech = await runLibtorrentLeecher({
      magnet,
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

Deno.test("a hybrid ccbt fetched from a libtorrent seeder's magnet is served on to a libtorrent v2-only leecher", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_magnet_lt_hybrid_relay_" });
  try {
    const data = join(dir, "seed");
    await makePayload(join(data, "set"), { files: FILES }, 65);
    const torrentPath = join(dir, "set.torrent");
    await libtorrentCreate(join(data, "set"), torrentPath, { kind: "hybrid", pieceLength: 16384 });
    const info = parseTorrent(await Deno.readFile(torrentPath));
    const relayDir = join(dir, "relay");
    await using relay = new Session({ listenHost: "127.0.0.1", stateDir: join(dir, "state") });
    {
      await using seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data });
      const magnet = magnetFor(info, { ports: [seeder.port] });
      const handle = await relay.addMagnet({ magnet, savePath: relayDir, timeoutMs: 30_000 });
      await waitForStatus(handle, (status) => status.state === "seeding", 30_000);
    }
    // The libtorrent seeder is gone: the v2-only leecher can verify pieces only with layers from ccbt.
    const leech = await runLibtorrentLeecher({
      magnet: magnetFor(info, { v2Only: true, name: "set" }),
      saveDir: join(dir, "out"),
      peers: [`127.0.0.1:${relay.listenPort}`],
      timeoutMs: 60_000,
    });
    ok(leech.finished, leech.output);
    await assertSameTree(join(data, "set"), join(dir, "out", "set"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
