/**
 * Resuming after the payload changed while ccbt was stopped (HOSTILE_INPUTS.md cases 61 and 65): a file
 * deleted, one truncated and one with a flipped byte. The restart must re-hash the changed files, fetch only
 * the pieces that lost their data, and leave everything else as it was. The same holds for a file edited
 * behind ccbt's back while it runs: the record must not take the edited file's new stamp as verified.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { jsonEvents, runCcbt, startCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree } from "./_helpers/files.ts";
import {
  bytesOfPieces,
  type CcbtEvent,
  describeEvents,
  downloadArgs,
  eventsOf,
  flipByte,
  lastProgress,
  listCheckpoints,
  makeTorrentFixture,
  mtimesOf,
  piecesOfRange,
  startSeeder,
  waitForEvent,
  withTempDir,
} from "./_helpers/resume.ts";

const KIB = 1024;

Deno.test("ccbt download after files were deleted, truncated and edited while stopped fetches only the affected pieces", async () => {
  await withTempDir("ccbt_changes_", async (dir) => {
    const fixture = await makeTorrentFixture(dir, {
      name: "album",
      files: [
        { path: "a.bin", size: 200_000 },
        { path: "b.bin", size: 500_000 },
        { path: "c.bin", size: 400_000 },
        { path: "d.bin", size: 300_000 },
      ],
      pieceLength: 32 * KIB,
      seed: 31,
    });
    const { info } = fixture;
    await using seeder = await startSeeder(fixture);
    const out = join(dir, "out");
    const state = join(dir, "state");
    const args = downloadArgs(fixture.torrentPath, out, state, [seeder.listenPort]);

    const first = await runCcbt(args);
    equal(first.code, 0, first.stderr);
    equal((await listCheckpoints(state))[0]?.progress, 1);

    const [a, b, c] = info.files;
    const path = (file: typeof a) => join(out, ...file.path);
    const truncateAt = 123_457;
    const flipAt = 250_001;
    await Deno.remove(path(a));
    await Deno.truncate(path(b), truncateAt);
    await flipByte(path(c), flipAt);
    const affected = new Set([
      ...piecesOfRange(info, a.offset, a.offset + a.length),
      ...piecesOfRange(info, b.offset + truncateAt, b.offset + b.length),
      ...piecesOfRange(info, c.offset + flipAt, c.offset + flipAt + 1),
    ]);
    const before = await mtimesOf(out);

    const second = await runCcbt(args);
    equal(second.code, 0, second.stderr);
    const events = jsonEvents(second.stdout) as CcbtEvent[];
    const end = lastProgress(events);
    equal(end.verifiedBytes, info.totalLength, describeEvents(events));
    // Two pieces of margin for a block received twice (a request re-sent after a timeout).
    const limit = bytesOfPieces(info, affected) + 2 * info.pieceLength;
    ok(
      (end.downloaded as number) <= limit,
      `the restart received ${end.downloaded} bytes; the ${affected.size} affected pieces hold ` +
        `${bytesOfPieces(info, affected)}:\n${describeEvents(events)}`,
    );
    ok((end.downloaded as number) >= info.pieceLength, `nothing was fetched:\n${describeEvents(events)}`);
    const fetched = new Set(events.filter((e) => e.event === "piece").map((e) => e.piece as number));
    for (const piece of fetched) {
      ok(affected.has(piece), `piece ${piece} was fetched but its data was intact`);
    }
    for (const piece of affected) ok(fetched.has(piece), `piece ${piece} lost its data but was not fetched`);

    await assertSameTree(fixture.data, out);
    // The untouched file was neither rewritten nor truncated by the check.
    const after = await mtimesOf(out);
    const untouched = info.files[3].path.slice(1).join("/");
    equal(after.get(`album/${untouched}`), before.get(`album/${untouched}`));
    equal((await listCheckpoints(state))[0]?.progress, 1);
  });
});

Deno.test("ccbt download after a file was edited while ccbt seeded it fetches the damaged piece again", async () => {
  await withTempDir("ccbt_changes_live_", async (dir) => {
    const fixture = await makeTorrentFixture(dir, {
      name: "live",
      files: [{ path: "a.bin", size: 300_000 }, { path: "b.bin", size: 200_000 }],
      pieceLength: 16 * KIB,
      seed: 32,
    });
    const { info } = fixture;
    await using seeder = await startSeeder(fixture);
    const out = join(dir, "out");
    const state = join(dir, "state");
    const args = downloadArgs(fixture.torrentPath, out, state, [seeder.listenPort]);
    const first = await runCcbt(args);
    equal(first.code, 0, first.stderr);

    // ccbt seeds the complete data; meanwhile another program changes a byte of b.bin, then ccbt stops cleanly.
    const seeding = startCcbt([
      "seed",
      fixture.torrentPath,
      "--dir",
      out,
      "--state-dir",
      state,
      "--port",
      "0",
      "--bind",
      "127.0.0.1",
      "--json",
    ]);
    try {
      await waitForEvent(seeding, (e) => e.event === "progress" && e.state === "seeding", 30_000);
      const b = info.files[1];
      const flipAt = 123_456;
      await flipByte(join(out, ...b.path), flipAt);
      // Stopping records the state; ccbt may notice the edit then (exit 1: another program changed the file) or
      // not. Either way it must exit by itself, not be killed (a generous grace for a loaded machine).
      const status = await seeding.close({ graceMs: 15_000 });
      ok([0, 1, 130].includes(status.code), `exit ${status.code}\n${describeEvents(eventsOf(seeding))}`);
      const damaged = piecesOfRange(info, b.offset + flipAt, b.offset + flipAt + 1);

      // ccbt wrote nothing to b.bin, so its new size and mtime are not evidence that its recorded pieces are
      // still there: the next start must hash it and fetch the damaged piece (HOSTILE_INPUTS.md case 65).
      const second = await runCcbt(args);
      equal(second.code, 0, second.stderr);
      const events = jsonEvents(second.stdout) as CcbtEvent[];
      const fetched = events.filter((e) => e.event === "piece").map((e) => e.piece as number);
      equal(
        JSON.stringify(fetched),
        JSON.stringify(damaged),
        `the edited piece was trusted instead of checked:\n${describeEvents(events)}`,
      );
      await assertSameTree(fixture.data, out);
    } finally {
      await seeding.close();
    }
  });
});
