/**
 * Crash safety of the `ccbt` CLI under `kill -9` (HOSTILE_INPUTS.md cases 62, 63 and 66): a download killed
 * half-way, a recheck killed part-way, and a download killed again and again around its checkpoints. After each
 * kill the next run must finish with byte-identical data without fetching again what was verified before.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { jsonEvents, runCcbt, startCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree } from "./_helpers/files.ts";
import { startLibtorrentSeeder } from "./_helpers/libtorrent.ts";
import {
  type CcbtEvent,
  describeEvents,
  downloadArgs,
  eventsOf,
  killAfter,
  killWhen,
  lastProgress,
  listCheckpoints,
  makeTorrentFixture,
  swarmArgs,
  waitForEvent,
  withTempDir,
} from "./_helpers/resume.ts";

const KIB = 1024;
const MIB = 1024 * KIB;

/** Files in the state directory that the store set aside as corrupt. */
function corruptFiles(stateDir: string): string[] {
  return [...Deno.readDirSync(stateDir)].map((e) => e.name).filter((name) => name.includes(".corrupt-"));
}

Deno.test("ccbt download killed with kill -9 half-way fetches after a restart only what was missing", async () => {
  await withTempDir("ccbt_kill_half_", async (dir) => {
    const fixture = await makeTorrentFixture(dir, {
      name: "half.bin",
      files: [{ path: "half.bin", size: 4 * MIB }],
      pieceLength: 32 * KIB,
      seed: 21,
    });
    const total = fixture.info.totalLength;
    // 1 MiB/s makes the 4 MiB download take about 4 s, so a progress event (one a second) lands near 50%.
    await using seeder = await startLibtorrentSeeder({
      torrentPath: fixture.torrentPath,
      dataDir: fixture.data,
      uploadLimit: MIB,
    });
    const out = join(dir, "out");
    const state = join(dir, "state");
    const args = downloadArgs(fixture.torrentPath, out, state, [seeder.port]);

    const first = await killWhen(
      startCcbt(args),
      (e) => e.event === "progress" && (e.verifiedBytes as number) >= 0.4 * total,
      60_000,
    );
    const atKill = lastProgress(first);
    ok(
      (atKill.verifiedBytes as number) < total,
      `the download finished before the kill:\n${describeEvents(first)}`,
    );
    const missing = total - (atKill.verifiedBytes as number);

    const second = await runCcbt(args);
    equal(second.code, 0, second.stderr);
    const events = jsonEvents(second.stdout) as CcbtEvent[];
    const end = lastProgress(events);
    equal(end.verifiedBytes, total, describeEvents(events));
    // `missing` is measured at the last progress event before the kill, so it already counts every piece that
    // was being received or written then (those are not verified yet). The margin of 16 pieces covers blocks a
    // second run legitimately receives twice (a request re-sent after a timeout) and pieces written between a
    // checkpoint's snapshot and its file stamps, which a restart may fetch again instead of re-hashing.
    const margin = 16 * fixture.info.pieceLength;
    ok(
      (end.downloaded as number) <= missing + margin,
      `after the restart ${end.downloaded} bytes were received, but only ${missing} were missing at the kill ` +
        `(+ ${margin} margin):\n${describeEvents(events)}`,
    );
    await assertSameTree(fixture.data, out);
  });
});

/** Starts `ccbt recheck` of `fixture` and kills it with SIGKILL while it hashes. */
async function killRecheck(torrentPath: string, dataDir: string, stateDir: string): Promise<void> {
  const child = startCcbt(["recheck", torrentPath, "--dir", dataDir, "--state-dir", stateDir, "--json"]);
  // Hashing 256 MiB takes a few hundred ms here, less than the 1 s between progress events, so the kill comes as
  // soon as the state event says the check started (events reach us at most ~50 ms after they happen).
  const events = await killWhen(child, (e) => e.event === "state" && e.state === "checking", 30_000);
  ok(
    !events.some((e) => e.event === "done" || (e.event === "state" && e.state === "paused")),
    `the check ended before the kill, so this test proves nothing:\n${describeEvents(events)}`,
  );
}

/** A 256 MiB single-file torrent with 16 KiB pieces: long enough to hash that a kill lands mid-check. */
function bigFixture(dir: string) {
  return makeTorrentFixture(dir, {
    name: "big.bin",
    files: [{ path: "big.bin", size: 256 * MIB }],
    pieceLength: 16 * KIB,
    seed: 22,
  });
}

Deno.test("ccbt recheck killed with kill -9 part-way runs again to completion and records every piece", async () => {
  await withTempDir("ccbt_kill_recheck_", async (dir) => {
    const fixture = await bigFixture(dir);
    const state = join(dir, "state");
    await killRecheck(fixture.torrentPath, fixture.data, state);

    const again = await runCcbt([
      "recheck",
      fixture.torrentPath,
      "--dir",
      fixture.data,
      "--state-dir",
      state,
      "--json",
    ]);
    equal(again.code, 0, again.stderr);
    const events = jsonEvents(again.stdout) as CcbtEvent[];
    const done = events.find((e) => e.event === "done");
    const pieces = fixture.info.pieceCount;
    equal(done?.reason, `checked: ${pieces} of ${pieces} pieces verified (100.0%)`, describeEvents(events));
    deepEqual(corruptFiles(state), []);
    const records = await listCheckpoints(state);
    equal(records.length, 1);
    equal(records[0].infoHash, fixture.info.infoHashHex);
    equal(records[0].progress, 1, `the store after the recheck: ${JSON.stringify(records[0])}`);
  });
});

Deno.test("ccbt download after a recheck killed with kill -9 checks the data instead of fetching it again", async () => {
  await withTempDir("ccbt_kill_recheck_dl_", async (dir) => {
    const fixture = await bigFixture(dir);
    const state = join(dir, "state");
    await killRecheck(fixture.torrentPath, fixture.data, state);

    // No peers: the data is all there, so checking it must be enough to finish. Trusting a record written before
    // the check (nothing verified yet, but stamps of the complete files) would instead start downloading all
    // 256 MiB over good data (HOSTILE_INPUTS.md cases 63 and 66).
    const child = startCcbt([
      "download",
      fixture.torrentPath,
      "-o",
      fixture.data,
      "--state-dir",
      state,
      ...swarmArgs([]),
    ]);
    try {
      const settled = await waitForEvent(
        child,
        (e) => e.event === "done" || (e.event === "progress" && e.state !== "checking"),
        60_000,
      );
      equal(
        settled.event === "done" ? "complete" : `${settled.state}, ${settled.verifiedBytes} bytes verified`,
        "complete",
        `complete data was not checked after the killed recheck:\n${describeEvents(eventsOf(child))}`,
      );
      equal((await child.status).code, 0);
      const end = lastProgress(eventsOf(child));
      equal(end.verifiedBytes, fixture.info.totalLength);
      equal(end.downloaded, 0);
    } finally {
      await child.close();
    }
  });
});

Deno.test("ccbt download killed with kill -9 again and again around its checkpoints completes byte-identical", async () => {
  await withTempDir("ccbt_kill_loop_", async (dir) => {
    const fixture = await makeTorrentFixture(dir, {
      name: "loop",
      files: [{ path: "a.bin", size: 1000 * KIB }, { path: "b.bin", size: 2072 * KIB }],
      pieceLength: 32 * KIB,
      seed: 23,
    });
    // 256 KiB/s: each run below gets about half a MiB of the 3 MiB before its kill, so the download spans every
    // run and the last one still has about a MiB to fetch.
    await using seeder = await startLibtorrentSeeder({
      torrentPath: fixture.torrentPath,
      dataDir: fixture.data,
      uploadLimit: 256 * KIB,
    });
    const out = join(dir, "out");
    const state = join(dir, "state");
    const args = downloadArgs(fixture.torrentPath, out, state, [seeder.port]);

    // A checkpoint (fdatasync, then one SQLite write) runs about 2 s after the download starts and every 2 s
    // after; these kills land just before, around and just after the first one of each run.
    const delays = [1900, 2000, 2100, 2250];
    let recorded = 0;
    for (const [i, delay] of delays.entries()) {
      const child = startCcbt(args);
      await waitForEvent(child, (e) => e.event === "state" && e.state === "downloading", 60_000);
      const events = await killAfter(child, delay);
      ok(
        !events.some((e) => e.event === "completed"),
        `run ${i} finished before its kill:\n${describeEvents(events)}`,
      );
      // SQLite in WAL mode survives a killed writer: the database must open as it is, never set aside.
      deepEqual(corruptFiles(state), [], `after kill ${i}`);
      const records = await listCheckpoints(state);
      equal(records.length, 1, `after kill ${i}`);
      ok(
        records[0].progress >= recorded,
        `after kill ${i} the store records ${records[0].progress}, less than the ${recorded} before`,
      );
      recorded = records[0].progress;
    }
    ok(recorded > 0, "no run recorded any piece, though each restart checked what the previous one wrote");

    const last = await runCcbt(args);
    equal(last.code, 0, last.stderr);
    equal(lastProgress(jsonEvents(last.stdout) as CcbtEvent[]).verifiedBytes, fixture.info.totalLength);
    await assertSameTree(fixture.data, out);
    const records = await listCheckpoints(state);
    equal(records.length, 1);
    equal(records[0].progress, 1, JSON.stringify(records[0]));
  });
});
