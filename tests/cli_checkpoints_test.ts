/**
 * `ccbt checkpoints`, `ccbt recheck` and `ccbt resume` through the real CLI, against one state directory.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";
import { jsonEvents, runCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";

Deno.test("ccbt recheck, checkpoints export/delete/import/list/clean and resume work on one state directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_cp_" });
  try {
    const data = join(dir, "data");
    await makePayload(data, { files: [{ path: "disk.img", size: 300_000 }] }, 4);
    const { bytes, info } = await createTorrent(join(data, "disk.img"), { pieceLength: 16384 });
    const torrent = join(dir, "disk.torrent");
    await Deno.writeFile(torrent, bytes);
    const state = join(dir, "state");

    // Recheck the complete data: every piece verified and recorded.
    const recheck = await runCcbt(["recheck", torrent, "--dir", data, "--state-dir", state, "--json"]);
    equal(recheck.code, 0, recheck.stderr);
    const done = jsonEvents(recheck.stdout).find((e) => e.event === "done");
    equal(done?.reason, `checked: ${info.pieceCount} of ${info.pieceCount} pieces verified (100.0%)`);

    const list = await runCcbt(["checkpoints", "list", "--state-dir", state, "--json"]);
    equal(list.code, 0, list.stderr);
    const [entry] = jsonEvents(list.stdout);
    equal(entry.infoHash, info.infoHashHex);
    equal(entry.progress, 1);
    equal(entry.totalLength, 300_000);

    // Export, delete, import: the record comes back the same.
    const exported = await runCcbt([
      "checkpoints",
      "export",
      info.infoHashHex.slice(0, 8),
      "--state-dir",
      state,
    ]);
    equal(exported.code, 0, exported.stderr);
    const json = JSON.parse(exported.stdout);
    equal(json.format, "ccbt-checkpoint");
    equal(json.version, 1);
    const file = join(dir, "checkpoint.json");
    await Deno.writeTextFile(file, exported.stdout);
    equal((await runCcbt(["checkpoints", "delete", info.infoHashHex, "--state-dir", state])).code, 0);
    equal((await runCcbt(["checkpoints", "list", "--state-dir", state, "--json"])).stdout.trim(), "");
    const imported = await runCcbt(["checkpoints", "import", file, "--state-dir", state]);
    equal(imported.code, 0, imported.stderr);
    const again = await runCcbt(["checkpoints", "export", info.infoHashHex, "--state-dir", state]);
    deepEqual(JSON.parse(again.stdout), json);

    // A bad import is bad input.
    await Deno.writeTextFile(join(dir, "bad.json"), JSON.stringify({ ...json, version: 2 }));
    const bad = await runCcbt(["checkpoints", "import", join(dir, "bad.json"), "--state-dir", state]);
    equal(bad.code, 2);
    match(bad.stderr, /version 2/);

    // Resume from the stored metainfo: the data is trusted as recorded, nothing is fetched; it seeds to a peer.
    await using leecher = new Session({ listenHost: "127.0.0.1" });
    const leech = await leecher.addTorrent({ torrent: bytes, savePath: join(dir, "leech") });
    const resumed = await runCcbt([
      "resume",
      info.infoHashHex.slice(0, 10),
      "--state-dir",
      state,
      "--port",
      "0",
      "--peer",
      `127.0.0.1:${leecher.listenPort}`,
      "--seed-ratio",
      "1",
      "--json",
    ]);
    equal(resumed.code, 0, resumed.stderr);
    const events = jsonEvents(resumed.stdout);
    ok(
      !events.some((e) => e.event === "warning" && e.type === "state_warning"),
      "nothing changed: no recheck",
    );
    equal(events.find((e) => e.event === "done")?.reason, "seed ratio 1 reached");
    equal(leech.status().progress, 1);
    await assertSameTree(data, join(dir, "leech"));

    // clean --days 0 removes it; resume then says it is unknown (bad input).
    const clean = await runCcbt(["checkpoints", "clean", "--days", "0", "--state-dir", state]);
    match(clean.stdout, /Deleted 1 record/);
    const unknown = await runCcbt(["resume", info.infoHashHex, "--state-dir", state]);
    equal(unknown.code, 2);
    match(unknown.stderr, /matches 0 recorded torrents/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
