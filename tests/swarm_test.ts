/**
 * An in-process swarm: a seeding Session and a leeching Session on loopback, with a multi-file torrent whose last
 * piece is odd-sized, in the style of anacrolix/torrent's test/leecher-storage.go.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";
import { InlineDiskIo } from "../engine/storage/mod.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { waitForStatus } from "./_helpers/hostile_session.ts";

Deno.test("Session downloads a multi-file torrent with an odd last piece from another Session", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_swarm_" });
  try {
    const source = join(dir, "seed");
    await makePayload(join(source, "album"), {
      files: [
        { path: "01.flac", size: 300_001 },
        { path: "empty.txt", size: 0 },
        { path: "art/cover.jpg", size: 65_536 },
        { path: "notes.txt", size: 7 },
      ],
    });
    const { bytes, info } = await createTorrent(join(source, "album"), { pieceLength: 32 * 1024 });
    ok(info.totalLength % info.pieceLength !== 0, "the last piece should be odd-sized");

    await using seeder = new Session({ listenHost: "127.0.0.1" });
    const seeding = await seeder.addTorrent({ torrent: bytes, savePath: source });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
    equal(seeding.status().piecesHave, info.pieceCount);

    // The leecher hashes and writes on the main thread (InlineDiskIo) to cover the second DiskIo too.
    await using leecher = new Session({ listenHost: "127.0.0.1", diskIo: new InlineDiskIo() });
    const leeching = await leecher.addTorrent({
      torrent: bytes,
      savePath: join(dir, "leech"),
      peers: [{ host: "127.0.0.1", port: seeder.listenPort }],
    });
    await waitForStatus(leeching, (s) => s.state === "seeding", 20_000);

    const status = leeching.status();
    equal(status.progress, 1);
    equal(status.verifiedBytes, info.totalLength);
    equal(status.wasted, 0);
    await assertSameTree(join(source, "album"), join(dir, "leech", "album"));
    await waitForStatus(seeding, (s) => s.uploaded >= info.totalLength, 5_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Session reports its listen port and refuses a torrent added twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_swarm_" });
  try {
    await makePayload(join(dir, "x"), { files: [{ path: "a", size: 20_000 }] });
    const { bytes } = await createTorrent(join(dir, "x", "a"));
    await using session = new Session({ listenHost: "127.0.0.1" });
    await session.addTorrent({ torrent: bytes, savePath: join(dir, "x") });
    ok(session.listenPort > 0);
    let error: unknown;
    try {
      await session.addTorrent({ torrent: bytes, savePath: join(dir, "x") });
    } catch (e) {
      error = e;
    }
    ok(error instanceof RangeError);
    equal(session.torrents().length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
