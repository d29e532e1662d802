/**
 * A `ccbt magnet` killed before the metadata arrived (HOSTILE_INPUTS.md case 66): the magnet was recorded first,
 * so `ccbt resume INFO_HASH` fetches the metadata again and downloads; a later `ccbt magnet` of a torrent whose
 * metainfo is recorded starts from the record without asking any peer for the metadata.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { formatMagnet } from "../mod.ts";
import { runCcbt, startCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree } from "./_helpers/files.ts";
import {
  listCheckpoints,
  makeTorrentFixture,
  startSeeder,
  swarmArgs,
  withTempDir,
} from "./_helpers/resume.ts";

Deno.test("ccbt resume fetches the metadata again of a magnet killed before its metadata arrived", async () => {
  await withTempDir("ccbt_resume_magnet_", async (dir) => {
    const fixture = await makeTorrentFixture(dir, {
      name: "clip",
      files: [{ path: "clip.mp4", size: 150_001 }, { path: "clip.srt", size: 2_222 }],
      pieceLength: 16384,
    });
    const hex = fixture.info.infoHashHex;
    const state = join(dir, "state");
    const out = join(dir, "out");
    const magnet = formatMagnet({ infoHash: fixture.info.infoHash, name: "clip", trackers: [] });

    // No peer anywhere: the fetch waits; the magnet is recorded before it starts.
    const child = startCcbt(["magnet", magnet, "-o", out, "--state-dir", state, ...swarmArgs([])]);
    let recorded;
    for (let tries = 0; tries < 40 && recorded === undefined; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      recorded = (await listCheckpoints(state)).find((line) => line.infoHash === hex);
    }
    await child.close({ signal: "SIGKILL" });
    ok(recorded !== undefined, `no record of ${hex} while fetching:\n${child.output}`);
    equal(recorded.state, "metadata", JSON.stringify(recorded));

    await using seeder = await startSeeder(fixture);
    const resumed = await runCcbt([
      "resume",
      hex.slice(0, 8),
      "--state-dir",
      state,
      ...swarmArgs([seeder.listenPort]),
    ]);
    equal(resumed.code, 0, resumed.stderr);
    await assertSameTree(join(fixture.data, "clip"), join(out, "clip"));

    // The record now holds the metainfo: a second `ccbt magnet` needs no peer for the metadata, and finds the
    // data complete.
    const again = await runCcbt(["magnet", magnet, "-o", out, "--state-dir", state, ...swarmArgs([])], {
      timeoutMs: 30_000,
    });
    equal(again.code, 0, again.stderr);
  });
});
