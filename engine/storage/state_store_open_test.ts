import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { StorageError } from "../errors.ts";
import { STATE_DB_NAME, StateStore } from "./state_store.ts";
import { asideFiles, expectKeptAside, openClean, sql, testRecord, withDir } from "./_state_test_util.ts";

Deno.test("StateStore.open() keeps aside a file of random bytes", async () => {
  await withDir((dir) => {
    const garbage = crypto.getRandomValues(new Uint8Array(8192));
    Deno.writeFileSync(`${dir}/${STATE_DB_NAME}`, garbage);
    Deno.writeFileSync(`${dir}/${STATE_DB_NAME}-wal`, garbage.subarray(0, 100));
    const aside = expectKeptAside(dir, /is not a SQLite database/);
    assert.deepEqual(Deno.readFileSync(aside), garbage);
    assert.deepEqual(Deno.readFileSync(`${aside}-wal`), garbage.subarray(0, 100));
  });
});

Deno.test("StateStore.open() keeps aside a -wal file beside an empty or missing database", async () => {
  for (const main of [new Uint8Array(0), undefined]) {
    await withDir((dir) => {
      if (main !== undefined) Deno.writeFileSync(`${dir}/${STATE_DB_NAME}`, main);
      Deno.writeTextFileSync(`${dir}/${STATE_DB_NAME}-wal`, "wal bytes");
      const { store, warnings } = StateStore.open(dir);
      store.close();
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /but has a 9-byte -wal file: kept aside/);
      const wal = asideFiles(dir).filter((n) => n.endsWith("-wal"));
      assert.equal(wal.length, 1);
      assert.equal(Deno.readTextFileSync(`${dir}/${wal[0]}`), "wal bytes");
    });
  }
});

Deno.test("StateStore.open() keeps aside a text file", async () => {
  await withDir((dir) => {
    Deno.writeTextFileSync(`${dir}/${STATE_DB_NAME}`, "these are not the bytes you are looking for\n");
    const aside = expectKeptAside(dir, /is not a SQLite database/);
    assert.equal(Deno.readTextFileSync(aside), "these are not the bytes you are looking for\n");
  });
});

Deno.test("StateStore.open() keeps aside a database of another schema version", async () => {
  await withDir((dir) => {
    sql(
      `${dir}/${STATE_DB_NAME}`,
      "CREATE TABLE torrents (x); INSERT INTO torrents VALUES (1); PRAGMA user_version = 99",
    );
    const aside = expectKeptAside(dir, /has schema version 99, not 2/);
    const db = new DatabaseSync(aside);
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, 99);
    assert.equal(db.prepare("SELECT x FROM torrents").get()?.x, 1);
    db.close();
  });
});

Deno.test("StateStore.open() keeps aside another program's database", async () => {
  await withDir((dir) => {
    sql(`${dir}/${STATE_DB_NAME}`, "CREATE TABLE photos (id INTEGER)");
    expectKeptAside(dir, /has schema version 0, not 2/);
  });
});

Deno.test("StateStore.open() keeps aside a database that lacks a table or a column", async () => {
  await withDir((dir) => {
    const path = `${dir}/${STATE_DB_NAME}`;
    StateStore.open(dir).store.close();
    sql(path, "DROP TABLE torrents_rejected");
    expectKeptAside(dir, /lacks table torrents_rejected/);
  });
  await withDir((dir) => {
    const path = `${dir}/${STATE_DB_NAME}`;
    StateStore.open(dir).store.close();
    sql(path, "ALTER TABLE torrents DROP COLUMN file_priorities");
    expectKeptAside(dir, /lacks column torrents\.file_priorities/);
  });
});

Deno.test("StateStore.open() keeps aside a truncated database", async () => {
  await withDir((dir) => {
    const store = openClean(dir);
    for (let i = 0; i < 200; i++) store.put(testRecord(i));
    store.close();
    const path = `${dir}/${STATE_DB_NAME}`;
    const bytes = Deno.readFileSync(path);
    Deno.writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
    expectKeptAside(dir, /is corrupt|is not a SQLite database/);
  });
});

Deno.test("StateStore.open() never reuses the name of a database already kept aside", async () => {
  await withDir((dir) => {
    for (let n = 0; n < 3; n++) {
      Deno.writeTextFileSync(`${dir}/${STATE_DB_NAME}`, `garbage ${n}`);
      const { store, warnings } = StateStore.open(dir);
      store.close();
      assert.equal(warnings.length, 1);
    }
    const texts = asideFiles(dir).map((n) => Deno.readTextFileSync(`${dir}/${n}`)).sort();
    assert.deepEqual(texts, ["garbage 0", "garbage 1", "garbage 2"]);
  });
});

Deno.test("StateStore.open() initialises a 0-byte or table-less database in place, with a warning", async () => {
  await withDir((dir) => {
    Deno.writeFileSync(`${dir}/${STATE_DB_NAME}`, new Uint8Array(0));
    const { store, warnings } = StateStore.open(dir);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /was empty \(0 bytes\)/);
    store.put(testRecord(1));
    store.close();
    assert.deepEqual(asideFiles(dir), []);
    assert.equal(openClean(dir).list().length, 1);
  });
  await withDir((dir) => {
    sql(`${dir}/${STATE_DB_NAME}`, "PRAGMA journal_mode = WAL; CREATE TABLE t (x); DROP TABLE t");
    const { store, warnings } = StateStore.open(dir);
    store.close();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /held no tables/);
    assert.deepEqual(asideFiles(dir), []);
  });
});

Deno.test("StateStore.open() throws StorageError when the state directory cannot be made", async () => {
  await withDir((dir) => {
    Deno.writeTextFileSync(`${dir}/file`, "");
    assert.throws(() => StateStore.open(`${dir}/file/state`), (e: unknown) => {
      assert.ok(e instanceof StorageError);
      assert.equal(e.op, "mkdir");
      return true;
    });
  });
});

/** Overwrites columns of the row of `infoHash` behind the store's back. */
