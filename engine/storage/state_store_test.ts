import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { STATE_DB_NAME, STATE_SCHEMA_VERSION, StateStore, type TorrentRecord } from "./state_store.ts";
import {
  openClean,
  stored,
  testHave,
  testInfoHash,
  testProgress,
  testRecord,
  withDir,
} from "./_state_test_util.ts";

Deno.test("StateStore.open() creates the directory and a WAL database of the current version", async () => {
  await withDir((dir) => {
    const store = openClean(`${dir}/a/b`);
    try {
      assert.equal(store.path, `${dir}/a/b/${STATE_DB_NAME}`);
      const db = new DatabaseSync(store.path);
      assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
      assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, STATE_SCHEMA_VERSION);
      db.close();
    } finally {
      store.close();
    }
  });
});

Deno.test("StateStore put() and get() round trip every field", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    for (const i of [0, 1, 3, 5, 8]) store.put(testRecord(i));
    for (const i of [0, 1, 3, 5, 8]) assert.deepEqual(store.get(testInfoHash(i)), stored(testRecord(i)));
    assert.deepEqual(store.get(testInfoHash(0).toUpperCase()), stored(testRecord(0)));
    assert.equal(store.get(testInfoHash(2)), undefined);
    const bare: TorrentRecord = {
      infoHash: "ff".repeat(20),
      name: "",
      savePath: "/x",
      state: "paused",
      pieceCount: 0,
      totalLength: 0,
      have: new Uint8Array(0),
      files: [],
      uploaded: 0,
      downloaded: 0,
      addedAt: 0,
      lastActiveAt: 0,
    };
    store.put(bare);
    assert.deepEqual(store.get(bare.infoHash), bare);
    assert.deepEqual(store.takeWarnings(), []);
  });
});

Deno.test("StateStore put() replaces every field of an existing record", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    store.put(testRecord(0));
    const replaced = { ...testRecord(7), infoHash: testInfoHash(0) };
    store.put(replaced);
    assert.deepEqual(store.get(testInfoHash(0)), stored(replaced));
    assert.equal(store.get(testInfoHash(0))?.error, undefined);
    assert.equal(store.get(testInfoHash(0))?.completedAt, undefined);
    assert.equal(store.list().length, 1);
  });
});

Deno.test("StateStore put() rejects records of the wrong shape and stores nothing", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    const cases: [Partial<Record<keyof TorrentRecord, unknown>>, ErrorConstructor, RegExp][] = [
      [{ infoHash: "AB".repeat(20) }, TypeError, /infoHash/],
      [{ infoHash: "ab".repeat(19) }, TypeError, /infoHash/],
      [{ name: 1 }, TypeError, /name is not a string/],
      [{ uploaded: -1 }, RangeError, /uploaded -1/],
      [{ downloaded: 1.5 }, TypeError, /downloaded is not an integer/],
      [{ totalLength: 2 ** 53 }, RangeError, /totalLength/],
      [{ have: new Uint8Array(1) }, RangeError, /have is 1 bytes, not 2 for 10 pieces/],
      [{ have: [0, 0] }, TypeError, /have is not a Uint8Array/],
      [{ have: new Uint8Array([0, 0x01]) }, RangeError, /spare bits/],
      [{ files: [{ size: -2, mtimeMs: 0 }] }, RangeError, /files\[0\]\.size -2/],
      [{ files: [{ size: 1, mtimeMs: NaN }] }, TypeError, /files\[0\]\.mtimeMs/],
      [{ filePriorities: [1, 2] }, RangeError, /filePriorities has 2 entries/],
      [{ filePriorities: [8] }, RangeError, /filePriorities\[0\] 8/],
      [{ metainfo: "x" }, TypeError, /metainfo/],
    ];
    const base: TorrentRecord = { ...testRecord(1), pieceCount: 10, have: new Uint8Array(2) };
    for (const [change, kind, message] of cases) {
      const bad = {
        ...base,
        files: [{ size: 1, mtimeMs: 1 }],
        filePriorities: [1],
        ...change,
      } as TorrentRecord;
      assert.throws(() => store.put(bad), (e: Error) => {
        assert.ok(e instanceof kind, `${JSON.stringify(Object.keys(change))}: ${e}`);
        assert.match(e.message, /^Cannot save torrent state: /);
        assert.match(e.message, message);
        return true;
      });
    }
    assert.deepEqual(store.list(), []);
  });
});

Deno.test("StateStore list() returns every record oldest first without metainfo", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    for (const i of [4, 2, 9, 1]) store.put(testRecord(i));
    assert.deepEqual(store.list(), [1, 2, 4, 9].map((i) => stored(testRecord(i), false)));
  });
});

Deno.test("StateStore saveProgress() updates only the checkpoint fields", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    const record = testRecord(3); // has completedAt, no error
    store.put(record);
    const files = record.files.length;
    const update = { ...testProgress(5, record.pieceCount, files), error: "disk full" };
    assert.equal(store.saveProgress(record.infoHash, update), true);
    assert.deepEqual(
      store.get(record.infoHash),
      stored({ ...record, ...update, completedAt: record.completedAt }),
    );
    const later = { ...testProgress(6, record.pieceCount, files), completedAt: 42 };
    assert.equal(store.saveProgress(record.infoHash.toUpperCase(), later), true);
    assert.deepEqual(store.get(record.infoHash), stored({ ...record, ...later, error: undefined }));
    assert.equal(store.saveProgress(testInfoHash(99), later), false);
    assert.equal(store.get(testInfoHash(99)), undefined);
  });
});

Deno.test("StateStore saveProgress() rejects a bitfield or file list that does not fit the record", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    const record = testRecord(2); // 75 pieces (10 bytes), 3 files
    store.put(record);
    const update = testProgress(1, record.pieceCount + 8, 3);
    assert.throws(() => store.saveProgress(record.infoHash, update), {
      name: "RangeError",
      message: /have is 11/,
    });
    assert.throws(() => store.saveProgress(record.infoHash, testProgress(1, record.pieceCount, 2)), {
      name: "RangeError",
      message: /files has 2 entries, not 3/,
    });
    assert.throws(
      () => store.saveProgress(record.infoHash, { ...update, have: testHave(75, 1), uploaded: -5 }),
      {
        name: "RangeError",
        message: /uploaded -5/,
      },
    );
    assert.deepEqual(store.get(record.infoHash), stored(record));
  });
});

Deno.test("StateStore delete() removes one record and says whether it existed", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    store.put(testRecord(1));
    store.put(testRecord(2));
    assert.equal(store.delete(testInfoHash(1).toUpperCase()), true);
    assert.equal(store.delete(testInfoHash(1)), false);
    assert.deepEqual(store.list().map((r) => r.infoHash), [testInfoHash(2)]);
  });
});

Deno.test("StateStore clean() deletes records inactive for more than the given days", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    const now = 1_800_000_000_000;
    const day = 86_400_000;
    for (const [i, age] of [[1, 10 * day], [2, 3 * day + 1], [3, 3 * day], [4, 0]]) {
      store.put({ ...testRecord(i), lastActiveAt: now - age });
    }
    assert.deepEqual(store.clean(3, now).sort(), [testInfoHash(1), testInfoHash(2)]);
    assert.deepEqual(store.list().map((r) => r.infoHash), [testInfoHash(3), testInfoHash(4)]);
    assert.deepEqual(store.clean(3, now), []);
    assert.throws(() => store.clean(-1, now), RangeError);
    assert.throws(() => store.clean(NaN, now), RangeError);
    assert.deepEqual(store.clean(0, now + 1).sort(), [testInfoHash(3), testInfoHash(4)]);
  });
});

Deno.test("StateStore keeps its records across close and reopen", async () => {
  await withDir((dir) => {
    const first = openClean(dir);
    for (let i = 0; i < 20; i++) first.put(testRecord(i));
    first.saveProgress(
      testInfoHash(4),
      testProgress(9, testRecord(4).pieceCount, testRecord(4).files.length),
    );
    first.close();
    first.close();
    assert.throws(() => first.list());
    using second = openClean(dir);
    assert.equal(second.list().length, 20);
    assert.equal(second.get(testInfoHash(4))?.uploaded, 9);
    assert.deepEqual(second.get(testInfoHash(19)), stored(testRecord(19)));
  });
});

Deno.test("StateStore holds 1,000 torrents: put, list and reopen", async () => {
  await withDir((dir) => {
    const store = openClean(dir);
    for (let i = 0; i < 1000; i++) store.put(testRecord(i));
    store.close();
    using reopened = openClean(dir);
    const records = reopened.list();
    assert.equal(records.length, 1000);
    for (const i of [0, 499, 999]) assert.deepEqual(records[i], stored(testRecord(i), false));
    assert.deepEqual(reopened.get(testInfoHash(777)), stored(testRecord(777)));
  });
});

function tamper(
  path: string,
  infoHash: string,
  assignments: string,
  ...values: (string | number | Uint8Array)[]
) {
  const db = new DatabaseSync(path);
  try {
    db.prepare(`UPDATE torrents SET ${assignments} WHERE info_hash = ?`).run(...values, infoHash);
  } finally {
    db.close();
  }
}

Deno.test("StateStore get() and list() set aside a record that fails its checks, with a warning", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    for (let i = 1; i <= 6; i++) store.put(testRecord(i));
    tamper(store.path, testInfoHash(1), "have = ?", new Uint8Array(3)); // 38 pieces need 5 bytes
    tamper(store.path, testInfoHash(2), "files = ?", "{not json");
    tamper(store.path, testInfoHash(3), "uploaded = 9007199254740993");
    tamper(store.path, testInfoHash(4), "downloaded = -1");
    tamper(store.path, testInfoHash(5), "name = ?", new Uint8Array([1]));

    assert.equal(store.get(testInfoHash(1)), undefined);
    const first = store.takeWarnings();
    assert.equal(first.length, 1);
    assert.match(first[0], new RegExp(`${testInfoHash(1)}: have is 3 bytes, not 5 for 38 pieces`));
    assert.match(first[0], /torrents_rejected/);
    assert.deepEqual(store.takeWarnings(), []);

    assert.deepEqual(store.list(), [stored(testRecord(6), false)]);
    const rest = store.takeWarnings();
    assert.equal(rest.length, 4);
    assert.match(rest.join("\n"), /files is not valid JSON/);
    assert.match(rest.join("\n"), /uploaded is not an integer/);
    assert.match(rest.join("\n"), /downloaded -1/);
    assert.match(rest.join("\n"), /name is not a string/);

    assert.equal(store.get(testInfoHash(1)), undefined);
    assert.deepEqual(store.takeWarnings(), []);
    const db = new DatabaseSync(store.path);
    const rejected = db.prepare(
      "SELECT info_hash, reason, length(have) AS n FROM torrents_rejected ORDER BY info_hash",
    )
      .all();
    db.close();
    assert.deepEqual(rejected.map((r) => r.info_hash), [1, 2, 3, 4, 5].map(testInfoHash));
    assert.equal(rejected[0].n, 3);
    assert.match(String(rejected[0].reason), /have is 3 bytes/);
    store.put(testRecord(1));
    assert.deepEqual(store.get(testInfoHash(1)), stored(testRecord(1)));
  });
});

/** The child of the kill test: puts record after record from `args[1]` on, checkpointing record 0 after each. */
const CHILD_SOURCE = `
import { StateStore } from ${JSON.stringify(new URL("./state_store.ts", import.meta.url).href)};
import { testInfoHash, testProgress, testRecord } from ${
  JSON.stringify(new URL("./_state_test_util.ts", import.meta.url).href)
};
const { store } = StateStore.open(Deno.args[0]);
const zero = testRecord(0);
const out = new TextEncoder();
for (let i = Number(Deno.args[1]); ; i++) {
  store.put(testRecord(i));
  store.saveProgress(testInfoHash(0), testProgress(i, zero.pieceCount, zero.files.length));
  if (i % 25 === 0) Deno.stdout.writeSync(out.encode(i + "\\n"));
}
`;

/** Runs the child from record `start` until it reports record `stop` or later, then kills it with SIGKILL. */
async function writeUntilKilled(
  script: string,
  stateDir: string,
  start: number,
  stop: number,
): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-lock", script, stateDir, String(start)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (Number(seen.match(/(\d+)\n$/)?.[1] ?? -1) < stop) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  child.kill("SIGKILL");
  await reader.cancel();
  assert.equal((await child.status).signal, "SIGKILL");
}

Deno.test("StateStore survives SIGKILL mid-write: every record present is whole", async () => {
  await withDir(async (dir) => {
    const script = `${dir}/child.ts`;
    const stateDir = `${dir}/state`;
    Deno.writeTextFileSync(script, CHILD_SOURCE);
    let count = 0;
    for (let round = 0; round < 3; round++) {
      await writeUntilKilled(script, stateDir, count, count + 300);
      assert.ok(
        Deno.statSync(`${stateDir}/${STATE_DB_NAME}-wal`).size > 0,
        "nothing left in the WAL to recover",
      );
      const { store, warnings } = StateStore.open(stateDir);
      try {
        assert.deepEqual(warnings, []);
        const db = new DatabaseSync(store.path);
        assert.equal(db.prepare("PRAGMA quick_check").get()?.quick_check, "ok");
        db.close();
        const records = store.list();
        assert.deepEqual(store.takeWarnings(), []);
        assert.ok(records.length > count + 300, `only ${records.length} records after round ${round}`);
        count = records.length;
        const last = count - 1;
        for (let i = 1; i < count; i++) assert.deepEqual(records[i], stored(testRecord(i), false));
        for (const i of [1, last]) assert.deepEqual(store.get(testInfoHash(i)), stored(testRecord(i)));
        const zero = store.get(testInfoHash(0))!;
        const n = zero.uploaded;
        assert.ok(n === last || n === last - 1, `checkpoint ${n} after record ${last}`);
        const progress = testProgress(n, zero.pieceCount, zero.files.length);
        assert.deepEqual(zero, stored({ ...testRecord(0), ...progress, error: undefined }));
      } finally {
        store.close();
      }
    }
  });
});
