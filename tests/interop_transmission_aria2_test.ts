/**
 * Interop with Transmission 3 and aria2 as leechers of a ccbt seeder on 127.0.0.1.
 *
 * Transmission 3 ignores 127.x peers that come from a tracker but accepts incoming connections, so the ccbt
 * seeder connects to it (`--peer`). aria2 cannot be given a peer for a .torrent, so it finds the ccbt seeder
 * through opentracker.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent } from "../mod.ts";
import { startCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { startOpentracker } from "./_helpers/opentracker.ts";
import { startTransmissionLeecher } from "./_helpers/transmission.ts";
import { runAria2Leecher } from "./_helpers/aria2.ts";

Deno.test("Transmission downloads from a ccbt seeder that connects to it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_tr_" });
  try {
    const data = join(dir, "seed");
    await makePayload(join(data, "show"), {
      files: [{ path: "s01e01.mkv", size: 250_001 }, { path: "subs/en.srt", size: 3_333 }],
    }, 5);
    const { bytes } = await createTorrent(join(data, "show"), { pieceLength: 16 * 1024 });
    const torrentPath = join(dir, "show.torrent");
    await Deno.writeFile(torrentPath, bytes);

    const out = join(dir, "out");
    await Deno.mkdir(out);
    await using leecher = await startTransmissionLeecher({ torrentPath, saveDir: out, timeoutMs: 90_000 });
    await using seeder = startCcbt([
      "seed",
      torrentPath,
      "--dir",
      data,
      "--port",
      "0",
      "--peer",
      `127.0.0.1:${leecher.port}`,
      "--json",
    ]);
    ok(await leecher.finished, `Transmission did not finish:\n${leecher.output}\nccbt:\n${seeder.output}`);
    await assertSameTree(join(data, "show"), join(out, "show"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aria2 downloads from a ccbt seeder it finds through an HTTP tracker", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_aria2_" });
  try {
    const data = join(dir, "seed");
    await makePayload(data, { files: [{ path: "image.img", size: 333_333 }] }, 9);
    const probe = await createTorrent(join(data, "image.img"), { pieceLength: 16 * 1024 });
    await using tracker = await startOpentracker({ infoHashes: [probe.info.infoHashHex] });
    const { bytes } = await createTorrent(join(data, "image.img"), {
      pieceLength: 16 * 1024,
      trackers: [tracker.httpUrl],
    });
    const torrentPath = join(dir, "image.torrent");
    await Deno.writeFile(torrentPath, bytes);

    await using seeder = startCcbt(["seed", torrentPath, "--dir", data, "--port", "0", "--json"]);
    await seeder.waitForLine((l) => l.text.includes('"state":"seeding"'), { timeoutMs: 20_000 });
    const out = join(dir, "out");
    const result = await runAria2Leecher({ torrentPath, saveDir: out, timeoutMs: 60_000 });
    ok(result.finished, `aria2 did not finish:\n${result.output}\nccbt:\n${seeder.output}`);
    equal((await Deno.stat(join(out, "image.img"))).size, 333_333);
    await assertSameTree(data, out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
