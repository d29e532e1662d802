import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { rowOfRecord } from "./_state_row.ts";
import {
  type DhtState,
  MAX_SAVED_DHT_NODES,
  type SavedDhtNode,
  STATE_DB_NAME,
  STATE_SCHEMA_VERSION,
  StateStore,
} from "./state_store.ts";
import { TORRENT_COLUMNS } from "./_state_schema.ts";
import {
  asideFiles,
  expectKeptAside,
  openClean,
  sql,
  stored,
  testInfoHash,
  testRecord,
  withDir,
} from "./_state_test_util.ts";

/** The schema version 1 wrote (frozen here: it is what databases on users' disks hold). */
const VERSION_1_SQL = `
PRAGMA journal_mode = WAL;
CREATE TABLE torrents (
  info_hash TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, save_path TEXT NOT NULL, state TEXT NOT NULL,
  error TEXT, magnet TEXT, piece_count INTEGER NOT NULL, total_length INTEGER NOT NULL,
  uploaded INTEGER NOT NULL, downloaded INTEGER NOT NULL, added_at INTEGER NOT NULL,
  last_active_at INTEGER NOT NULL, completed_at INTEGER, have BLOB NOT NULL, files TEXT NOT NULL,
  file_priorities TEXT, metainfo BLOB
);
CREATE TABLE torrents_rejected (
  info_hash, name, save_path, state, error, magnet, piece_count, total_length, uploaded, downloaded, added_at,
  last_active_at, completed_at, have, files, file_priorities, metainfo,
  rejected_at INTEGER,
  reason TEXT
);
PRAGMA user_version = 1;
`;

/** Writes a version-1 database holding test records `0..count-1` and one rejected row, as version 1 did. */
function makeVersion1(dir: string, count: number): void {
  const db = new DatabaseSync(`${dir}/${STATE_DB_NAME}`);
  try {
    db.exec(VERSION_1_SQL);
    const columns = TORRENT_COLUMNS.join(", ");
    const insert = db.prepare(
      `INSERT INTO torrents (${columns}) VALUES (${TORRENT_COLUMNS.map((c) => `$${c}`).join(", ")})`,
    );
    for (let i = 0; i < count; i++) insert.run(rowOfRecord(testRecord(i)));
    db.exec("INSERT INTO torrents_rejected (info_hash, reason) VALUES ('bad', 'kept for a person')");
  } finally {
    db.close();
  }
}

function node(n: number, overrides: Partial<SavedDhtNode> = {}): SavedDhtNode {
  return {
    id: new Uint8Array(20).fill(n & 0xff),
    host: `10.0.${n >> 8}.${n & 0xff}`,
    port: 6881 + n,
    lastSeen: 1_700_000_000_000 + n * 1000,
    ...overrides,
  };
}

Deno.test("StateStore.open() upgrades a version-1 database to version 2 and keeps every torrent", async () => {
  await withDir((dir) => {
    makeVersion1(dir, 12);
    const store = openClean(dir);
    try {
      assert.deepEqual(asideFiles(dir), []);
      for (let i = 0; i < 12; i++) assert.deepEqual(store.get(testInfoHash(i)), stored(testRecord(i)));
      assert.equal(store.list().length, 12);
      assert.equal(store.loadDhtState(), undefined);
      store.saveDhtState({ nodeId: new Uint8Array(20).fill(9), nodes: [node(1)] });
      store.put(testRecord(40));
    } finally {
      store.close();
    }
    const db = new DatabaseSync(`${dir}/${STATE_DB_NAME}`);
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, STATE_SCHEMA_VERSION);
    assert.equal(db.prepare("SELECT reason FROM torrents_rejected").get()?.reason, "kept for a person");
    db.close();
    using again = openClean(dir);
    assert.equal(again.list().length, 13);
    assert.deepEqual(again.loadDhtState()?.nodes, [node(1)]);
  });
});

Deno.test("StateStore.open() keeps aside a version-1 database the upgrade does not fit", async () => {
  await withDir((dir) => {
    makeVersion1(dir, 2);
    sql(`${dir}/${STATE_DB_NAME}`, "CREATE TABLE dht_nodes (x)");
    const aside = expectKeptAside(dir, /cannot be upgraded from schema version 1 to 2: .*dht_nodes/);
    const db = new DatabaseSync(aside);
    // Left exactly as it was: the failed upgrade was rolled back.
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, 1);
    assert.equal(db.prepare("SELECT count(*) AS n FROM torrents").get()?.n, 2);
    assert.equal(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'dht_state'").get()?.n, 0);
    db.close();
  });
});

Deno.test("StateStore saveDhtState() and loadDhtState() round trip the node id and nodes", async () => {
  await withDir((dir) => {
    const nodeId = crypto.getRandomValues(new Uint8Array(20));
    const nodes = [
      node(1),
      node(2, { host: "2001:db8::7", port: 1 }),
      node(3, { host: "::ffff:192.0.2.9", port: 65535 }),
      node(4, { host: "127.0.0.1" }),
      node(5, { host: "10.0.0.1", port: 6882, lastSeen: 1 }),
    ];
    {
      using store = openClean(dir);
      assert.equal(store.loadDhtState(), undefined);
      store.saveDhtState({ nodeId, nodes });
    }
    using store = openClean(dir);
    const loaded = store.loadDhtState();
    assert.deepEqual(loaded?.nodeId, nodeId);
    // Most recently seen first; an IPv4-mapped address comes back as IPv4; node 5 duplicates node 1's address.
    assert.deepEqual(loaded?.nodes, [
      node(4, { host: "127.0.0.1" }),
      node(3, { host: "192.0.2.9", port: 65535 }),
      node(2, { host: "2001:db8::7", port: 1 }),
      node(1),
    ]);
    store.saveDhtState({ nodeId: new Uint8Array(20).fill(1), nodes: [] });
    assert.deepEqual(store.loadDhtState(), { nodeId: new Uint8Array(20).fill(1), nodes: [] });
  });
});

Deno.test("StateStore saveDhtState() keeps the 200 most recently seen nodes", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    const nodes = Array.from({ length: 260 }, (_, n) => node(n));
    store.saveDhtState({ nodeId: new Uint8Array(20), nodes });
    const loaded = store.loadDhtState()!.nodes;
    assert.equal(loaded.length, MAX_SAVED_DHT_NODES);
    assert.deepEqual(loaded[0], node(259));
    assert.deepEqual(loaded.at(-1), node(60));
  });
});

Deno.test("StateStore.loadDhtState() skips hostile rows and ignores a node id that is not 20 bytes", async () => {
  await withDir((dir) => {
    const path = `${dir}/${STATE_DB_NAME}`;
    {
      using store = openClean(dir);
      store.saveDhtState({ nodeId: new Uint8Array(20).fill(7), nodes: [node(1)] });
    }
    const good = "x'0a0000011ae1'"; // 10.0.0.1:6881
    sql(
      path,
      `INSERT INTO dht_nodes VALUES
        (zeroblob(19), ${good}, 1),
        ('not a blob', ${good}, 1),
        (zeroblob(20), x'0a0000011a', 1),
        (zeroblob(20), x'0a0000010000', 1),
        (zeroblob(20), x'000000001ae1', 1),
        (zeroblob(20), x'e00000011ae1', 1),
        (zeroblob(20), x'ffffffff1ae1', 1),
        (zeroblob(20), zeroblob(17), 1),
        (zeroblob(20), 'text', 1),
        (zeroblob(20), CAST(${good} AS TEXT), 1),
        (zeroblob(20), ${good}, 'soon'),
        (zeroblob(20), ${good}, -5),
        (zeroblob(20), ${good}, 1.5),
        (zeroblob(20), ${good}, 9223372036854775807),
        (x'${"ab".repeat(20)}', x'0a0000011ae2', 7)`,
    );
    {
      using store = openClean(dir);
      assert.deepEqual(store.loadDhtState(), {
        nodeId: new Uint8Array(20).fill(7),
        nodes: [node(1), { id: new Uint8Array(20).fill(0xab), host: "10.0.0.1", port: 6882, lastSeen: 7 }],
      });
    }
    for (const bad of ["zeroblob(19)", "zeroblob(21)", "'text id'", "x''", "20"]) {
      sql(path, `DELETE FROM dht_state; INSERT INTO dht_state VALUES (${bad}, 1)`);
      using store = openClean(dir);
      assert.equal(store.loadDhtState(), undefined, bad);
    }
  });
});

Deno.test("StateStore.saveDhtState() rejects bad input and keeps what was saved", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    const saved: DhtState = { nodeId: new Uint8Array(20).fill(3), nodes: [node(1)] };
    store.saveDhtState(saved);
    const cases: [unknown, ErrorConstructor, RegExp][] = [
      [{ nodeId: new Uint8Array(19), nodes: [] }, TypeError, /nodeId is 19 bytes, not 20/],
      [{ nodeId: "x".repeat(20), nodes: [] }, TypeError, /nodeId is not a Uint8Array/],
      [{ nodeId: new Uint8Array(20) }, TypeError, /nodes is not an array/],
      [
        { nodeId: new Uint8Array(20), nodes: [node(1, { id: new Uint8Array(2) })] },
        TypeError,
        /nodes\[0\]\.id/,
      ],
      [{ nodeId: new Uint8Array(20), nodes: [node(1, { host: "example.com" })] }, TypeError, /not an IP/],
      [
        { nodeId: new Uint8Array(20), nodes: [node(1), node(2, { port: 0 })] },
        RangeError,
        /nodes\[1\]\.port 0/,
      ],
      [{ nodeId: new Uint8Array(20), nodes: [node(1, { lastSeen: NaN })] }, RangeError, /lastSeen NaN/],
    ];
    for (const [state, kind, message] of cases) {
      assert.throws(() => store.saveDhtState(state as DhtState), (e: unknown) => {
        assert.ok(e instanceof kind, String(e));
        assert.match((e as Error).message, /^Cannot save DHT state: /);
        assert.match((e as Error).message, message);
        return true;
      });
    }
    assert.deepEqual(store.loadDhtState(), saved);
  });
});

Deno.test("StateStore saveDhtState() leaves the torrents alone", async () => {
  await withDir((dir) => {
    using store = openClean(dir);
    store.put(testRecord(3));
    store.saveDhtState({ nodeId: new Uint8Array(20), nodes: [node(1)] });
    assert.deepEqual(store.get(testInfoHash(3)), stored(testRecord(3)));
    const fresh = StateStore.open(dir);
    assert.deepEqual(fresh.warnings, []);
    fresh.store.close();
  });
});
