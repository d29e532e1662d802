/**
 * Damaged state databases (HOSTILE_INPUTS.md cases 63 and 64): garbage bytes, an empty file, a database of
 * another schema version, and a record whose bitfield has the wrong size. Each time the complete data already on
 * disk must be checked and kept (never reset to 0% and fetched again over good data, qBittorrent #3602), the bad
 * database kept aside where it cannot be used, and the run must succeed.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { jsonEvents, runCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree } from "./_helpers/files.ts";
import {
  type CcbtEvent,
  describeEvents,
  downloadArgs,
  lastProgress,
  listCheckpoints,
  makeTorrentFixture,
  mtimesOf,
  startSeeder,
  type TorrentFixture,
  withTempDir,
} from "./_helpers/resume.ts";

const KIB = 1024;

/** What a damaged database must lead to, besides the run succeeding without fetching anything. */
interface Expected {
  /** Whether the database file is renamed to `ccbt.db.corrupt-*`. */
  keptAside: boolean;
  /** A `warning` event must match this. */
  warning: RegExp;
}

/** Removes `path` if it exists. */
async function removeIfThere(path: string): Promise<void> {
  await Deno.remove(path).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

/**
 * Downloads the fixture completely (recording it), damages the state database with `damage`, then downloads
 * again with the seeder still there and checks that nothing was fetched or rewritten.
 */
async function assertRecovers(
  damage: (db: string, fixture: TorrentFixture) => void | Promise<void>,
  expected: Expected,
): Promise<void> {
  await withTempDir("ccbt_state_db_", async (dir) => {
    const fixture = await makeTorrentFixture(dir, {
      name: "docs",
      files: [{ path: "x.bin", size: 300_000 }, { path: "y/z.bin", size: 211_111 }],
      pieceLength: 16 * KIB,
      seed: 41,
    });
    await using seeder = await startSeeder(fixture);
    const out = join(dir, "out");
    const state = join(dir, "state");
    const args = downloadArgs(fixture.torrentPath, out, state, [seeder.listenPort]);
    const first = await runCcbt(args);
    equal(first.code, 0, first.stderr);

    await damage(join(state, "ccbt.db"), fixture);
    const before = await mtimesOf(out);
    const second = await runCcbt(args);
    equal(second.code, 0, second.stderr);
    const events = jsonEvents(second.stdout) as CcbtEvent[];
    const end = lastProgress(events);
    equal(end.verifiedBytes, fixture.info.totalLength, describeEvents(events));
    equal(end.downloaded, 0, `complete data was fetched again:\n${describeEvents(events)}`);
    deepEqual(await mtimesOf(out), before, "complete data was rewritten");
    await assertSameTree(fixture.data, out);

    const aside = [...Deno.readDirSync(state)].map((e) => e.name).filter((n) =>
      n.startsWith("ccbt.db.corrupt-")
    );
    equal(aside.length > 0, expected.keptAside, `files in the state directory: ${aside.join(", ")}`);
    ok(
      events.some((e) => e.event === "warning" && expected.warning.test(String(e.message))),
      `no warning matching ${expected.warning}:\n${describeEvents(events)}`,
    );
    const records = await listCheckpoints(state);
    equal(records.length, 1);
    equal(records[0].progress, 1, JSON.stringify(records[0]));
  });
}

Deno.test("ccbt download with garbage bytes in ccbt.db keeps the file aside and keeps the data", async () => {
  await assertRecovers(async (db) => {
    await removeIfThere(`${db}-wal`);
    await removeIfThere(`${db}-shm`);
    const garbage = new Uint8Array(8192);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + 7) & 0xff;
    await Deno.writeFile(db, garbage);
  }, { keptAside: true, warning: /not a SQLite database: kept aside/ });
});

Deno.test("ccbt download with an empty (0-byte) ccbt.db starts a new database and keeps the data", async () => {
  await assertRecovers(async (db) => {
    await removeIfThere(`${db}-wal`);
    await removeIfThere(`${db}-shm`);
    await Deno.writeFile(db, new Uint8Array(0));
  }, { keptAside: false, warning: /was empty \(0 bytes\)/ });
});

Deno.test("ccbt download with a ccbt.db of another schema version keeps the file aside and keeps the data", async () => {
  await assertRecovers(async (db) => {
    for (const suffix of ["", "-wal", "-shm"]) await removeIfThere(db + suffix);
    const other = new DatabaseSync(db);
    try {
      other.exec("CREATE TABLE torrents (info_hash TEXT PRIMARY KEY, blob BLOB); PRAGMA user_version = 99;");
    } finally {
      other.close();
    }
  }, { keptAside: true, warning: /schema version 99.*kept aside/ });
});

Deno.test("ccbt download with a recorded bitfield of the wrong size rechecks and keeps the data", async () => {
  await assertRecovers((db, fixture) => {
    const store = new DatabaseSync(db);
    try {
      const expectedLength = Math.ceil(fixture.info.pieceCount / 8);
      const changed = store.prepare("UPDATE torrents SET have = ? WHERE info_hash = ?")
        .run(new Uint8Array(expectedLength + 3).fill(0xff), fixture.info.infoHashHex);
      equal(Number(changed.changes), 1, "the first run recorded the torrent");
    } finally {
      store.close();
    }
  }, { keptAside: false, warning: /have is \d+ bytes, not \d+.*torrents_rejected/ });
});

Deno.test("ccbt checkpoints list says why a bad record it sets aside is missing from the list", async () => {
  await withTempDir("ccbt_state_db_list_", async (dir) => {
    const fixture = await makeTorrentFixture(dir, {
      name: "one.bin",
      files: [{ path: "one.bin", size: 70_000 }],
      pieceLength: 16 * KIB,
      seed: 42,
    });
    const state = join(dir, "state");
    const checked = await runCcbt([
      "recheck",
      fixture.torrentPath,
      "--dir",
      fixture.data,
      "--state-dir",
      state,
    ]);
    equal(checked.code, 0, checked.stderr);
    const store = new DatabaseSync(join(state, "ccbt.db"));
    try {
      store.prepare("UPDATE torrents SET have = ?").run(new Uint8Array([0xff]));
    } finally {
      store.close();
    }
    const listed = await runCcbt(["checkpoints", "list", "--json", "--state-dir", state]);
    equal(listed.code, 0, listed.stderr);
    equal(listed.stdout.trim(), "");
    // The record is moved to torrents_rejected and left out: without a warning it silently disappears.
    match(listed.stderr, /torrents_rejected/, "checkpoints list dropped a record without saying why");
  });
});
