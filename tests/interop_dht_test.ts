/**
 * DHT (BEP 5) interop with libtorrent on loopback: several libtorrent DHT nodes that bootstrap from each other, a
 * libtorrent seeder that announces a torrent there, and ccbt finding that seeder through the DHT alone (no
 * tracker, no peer address) from a magnet holding only the info-hash, and announcing itself back to them.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, formatMagnet } from "../mod.ts";
import { jsonEvents, runCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import {
  type LibtorrentDhtNode,
  startLibtorrentDhtNode,
  startLibtorrentSeeder,
} from "./_helpers/libtorrent.ts";

Deno.test("ccbt finds a libtorrent seeder through a libtorrent DHT alone and downloads from it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_lt_dht_" });
  const nodes: LibtorrentDhtNode[] = [];
  try {
    nodes.push(await startLibtorrentDhtNode());
    nodes.push(await startLibtorrentDhtNode([`127.0.0.1:${nodes[0].port}`]));
    nodes.push(await startLibtorrentDhtNode(nodes.map((n) => `127.0.0.1:${n.port}`)));
    for (const node of nodes) {
      await node.waitFor((n) => n.nodes >= 2, "two nodes in its routing table", 30_000);
    }

    const data = join(dir, "seed");
    await makePayload(join(data, "show"), {
      files: [{ path: "e01.mkv", size: 300_007 }, { path: "e02.mkv", size: 77_777 }],
    }, 31);
    const { bytes, info } = await createTorrent(join(data, "show"), { pieceLength: 16384 });
    const torrentPath = join(dir, "show.torrent");
    await Deno.writeFile(torrentPath, bytes);
    await using seeder = await startLibtorrentSeeder({
      torrentPath,
      dataDir: data,
      dhtNodes: [`127.0.0.1:${nodes[2].port}`],
    });
    const seederAddress = `127.0.0.1:${seeder.port}`;
    await Promise.any(
      nodes.map((n) =>
        n.waitFor((x) => x.announced.includes(seederAddress), "announce from the seeder", 30_000)
      ),
    );

    // Only the info-hash: no tracker, no x.pe, no --peer. The bootstrap node is not the one the seeder joined.
    const magnet = formatMagnet({ infoHash: info.infoHash, trackers: [] });
    const out = join(dir, "out");
    const result = await runCcbt([
      "magnet",
      magnet,
      "--output",
      out,
      "--port",
      "0",
      "--seed-time",
      "3",
      "--json",
      "--dht",
      "--dht-port",
      "0",
      "--dht-bootstrap",
      `127.0.0.1:${nodes[0].port}`,
    ]);
    equal(result.code, 0, `${result.stderr}\n${seeder.output}`);
    ok(jsonEvents(result.stdout).some((e) => e.event === "completed" && e.infoHash === info.infoHashHex));
    await assertSameTree(join(data, "show"), join(out, "show"));
    // libtorrent took ccbt's announce_peer, so the write token ccbt got from its get_peers reply was valid.
    ok(
      nodes.some((n) => n.announced.some((peer) => peer !== seederAddress)),
      nodes.map((n) => n.output).join("\n"),
    );
  } finally {
    for (const node of nodes) await node.close();
    await Deno.remove(dir, { recursive: true });
  }
});
