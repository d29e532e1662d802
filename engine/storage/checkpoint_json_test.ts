import assert from "node:assert/strict";
import fc from "fast-check";
import { encode } from "../bencode/mod.ts";
import { parseTorrent } from "../metainfo/mod.ts";
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointJson,
  exportCheckpoint,
  importCheckpoint,
} from "./checkpoint_json.ts";
import type { TorrentRecord } from "./state_store.ts";
import { stored, testHave, testRecord } from "./_state_test_util.ts";

/** A real three-piece torrent and a record of it. */
function torrentRecord(): TorrentRecord {
  const metainfo = encode({
    announce: "http://127.0.0.1:1/announce",
    info: { length: 40_000, name: "a.bin", "piece length": 16_384, pieces: new Uint8Array(60).fill(7) },
  });
  const torrent = parseTorrent(metainfo);
  return {
    infoHash: torrent.infoHashHex,
    name: torrent.name,
    metainfo,
    savePath: "/srv/data",
    state: "downloading",
    pieceCount: torrent.pieceCount,
    totalLength: torrent.totalLength,
    have: new Uint8Array([0b1010_0000]),
    files: [{ size: 40_000, mtimeMs: 1_700_000_000_123.5 }],
    filePriorities: [4],
    uploaded: 5,
    downloaded: 32_768,
    addedAt: 1_700_000_000_000,
    lastActiveAt: 1_700_000_100_000,
  };
}

/** `exportCheckpoint(record)` as parsed JSON text, with `change` applied (an `undefined` value removes a key). */
function exported(record: TorrentRecord, change: Record<string, unknown> = {}): Record<string, unknown> {
  const json = JSON.parse(JSON.stringify(exportCheckpoint(record)));
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) delete json[key];
    else json[key] = value;
  }
  return json;
}

Deno.test("exportCheckpoint() writes the documented JSON fields", () => {
  const record = { ...torrentRecord(), error: "oops", completedAt: 9, magnet: "magnet:?xt=urn:btih:x" };
  const json: CheckpointJson = exportCheckpoint(record);
  assert.deepEqual(Object.keys(json), [
    "format",
    "version",
    "infoHash",
    "name",
    "savePath",
    "state",
    "pieceCount",
    "totalLength",
    "have",
    "files",
    "uploaded",
    "downloaded",
    "addedAt",
    "lastActiveAt",
    "error",
    "filePriorities",
    "completedAt",
    "metainfo",
    "magnet",
  ]);
  assert.equal(json.format, CHECKPOINT_FORMAT);
  assert.equal(json.version, CHECKPOINT_VERSION);
  assert.equal(json.have, "oA==");
  assert.deepEqual(Uint8Array.fromBase64(json.metainfo!), record.metainfo);
  assert.deepEqual(json.files, [{ size: 40_000, mtimeMs: 1_700_000_000_123.5 }]);
  assert.notEqual(json.files[0], record.files[0]);
  const bare = exportCheckpoint(stored({ ...testRecord(1), metainfo: undefined }));
  assert.equal("error" in bare || "completedAt" in bare || "metainfo" in bare, false);
});

Deno.test("importCheckpoint() reads back what exportCheckpoint() wrote", () => {
  for (const record of [torrentRecord(), stored({ ...testRecord(3), metainfo: undefined })]) {
    assert.deepEqual(importCheckpoint(exported(record)), stored(record));
  }
  const upper = torrentRecord();
  assert.deepEqual(importCheckpoint(exported(upper, { infoHash: upper.infoHash.toUpperCase() })), upper);
});

Deno.test("importCheckpoint() round trips any valid magnet record", () => {
  const record = fc.record({
    infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => b.toHex()),
    name: fc.string(),
    savePath: fc.string().map((s) => `/${s}`),
    state: fc.constantFrom("downloading", "seeding", "paused", "error", "checking"),
    error: fc.option(fc.string(), { nil: undefined }),
    pieceCount: fc.nat({ max: 5000 }),
    uploaded: fc.maxSafeNat(),
    downloaded: fc.maxSafeNat(),
    addedAt: fc.maxSafeNat(),
    lastActiveAt: fc.maxSafeNat(),
    completedAt: fc.option(fc.maxSafeNat(), { nil: undefined }),
    files: fc.array(
      fc.record({
        size: fc.integer({ min: -1, max: 2 ** 40 }),
        mtimeMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
      }),
      { maxLength: 8 },
    ),
    seed: fc.nat(),
    withPriorities: fc.boolean(),
  }).map(({ seed, withPriorities, ...r }): TorrentRecord =>
    stored({
      ...r,
      files: r.files.map((f) => ({ size: f.size, mtimeMs: Object.is(f.mtimeMs, -0) ? 0 : f.mtimeMs })),
      magnet: `magnet:?xt=urn:btih:${r.infoHash}`,
      totalLength: r.pieceCount * 3,
      have: testHave(r.pieceCount, seed),
      filePriorities: withPriorities ? r.files.map((_, i) => (i + seed) % 8) : undefined,
    })
  );
  fc.assert(fc.property(record, (r) => {
    assert.deepEqual(importCheckpoint(JSON.parse(JSON.stringify(exportCheckpoint(r)))), r);
  }));
});

Deno.test("importCheckpoint() rejects another format or version", () => {
  const record = torrentRecord();
  assert.throws(() => importCheckpoint(exported(record, { format: "qbt-fastresume" })), {
    name: "TypeError",
    message: 'Cannot import checkpoint: format is not "ccbt-checkpoint"',
  });
  assert.throws(() => importCheckpoint(exported(record, { version: 2 })), {
    name: "RangeError",
    message: "Cannot import checkpoint: version 2 is not supported",
  });
  assert.throws(() => importCheckpoint(exported(record, { version: 0 })), RangeError);
  assert.throws(() => importCheckpoint(exported(record, { version: "1" })), TypeError);
  assert.throws(() => importCheckpoint(exported(record, { version: undefined })), TypeError);
  for (const notObject of [null, [], "{}", 1]) {
    assert.throws(() => importCheckpoint(notObject), { name: "TypeError", message: /not a JSON object/ });
  }
});

Deno.test("importCheckpoint() rejects malformed base64", () => {
  const record = torrentRecord();
  for (const have of ["oA=", "oA", "o A==", "oA==\n", "oB==", "@@==", "", 160]) {
    assert.throws(
      () => importCheckpoint(exported(record, { have })),
      (e: Error) => e instanceof TypeError || (have === "" && e instanceof RangeError),
      JSON.stringify(have),
    );
  }
  assert.throws(() => importCheckpoint(exported(record, { metainfo: "not*base64" })), {
    name: "TypeError",
    message: /metainfo is not valid base64/,
  });
});

Deno.test("importCheckpoint() rejects a bitfield of the wrong size or with spare bits set", () => {
  const record = torrentRecord();
  for (const have of [new Uint8Array(0), new Uint8Array(2)]) {
    assert.throws(() => importCheckpoint(exported(record, { have: have.toBase64() })), {
      name: "RangeError",
      message: new RegExp(`have is ${have.length} bytes, not 1 for 3 pieces`),
    });
  }
  assert.throws(() => importCheckpoint(exported(record, { have: new Uint8Array([0x10]).toBase64() })), {
    name: "RangeError",
    message: /spare bits/,
  });
});

Deno.test("importCheckpoint() rejects metainfo that does not match the checkpoint", () => {
  const record = torrentRecord();
  assert.throws(() => importCheckpoint(exported(record, { infoHash: "00".repeat(20) })), {
    name: "TypeError",
    message: new RegExp(`metainfo has info-hash ${record.infoHash}, not infoHash 0{40}`),
  });
  assert.throws(() => importCheckpoint(exported(record, { pieceCount: 4 })), {
    name: "TypeError",
    message: /metainfo has 3 pieces/,
  });
  assert.throws(() => importCheckpoint(exported(record, { metainfo: new Uint8Array([1, 2]).toBase64() })), {
    name: "TypeError",
    message: /metainfo is not a valid torrent/,
  });
});

Deno.test("importCheckpoint() rejects bad fields, naming them", () => {
  const record = torrentRecord();
  const cases: [Record<string, unknown>, ErrorConstructor, RegExp][] = [
    [{ infoHash: "xyz" }, TypeError, /infoHash/],
    [{ infoHash: 7 }, TypeError, /infoHash/],
    [{ name: undefined }, TypeError, /name is not a string/],
    [{ savePath: "relative/dir" }, TypeError, /savePath is not an absolute path/],
    [{ uploaded: -1 }, RangeError, /uploaded -1/],
    [{ downloaded: 2 ** 53 }, RangeError, /downloaded/],
    [{ addedAt: "1" }, TypeError, /addedAt is not an integer/],
    [{ lastActiveAt: 1.5 }, TypeError, /lastActiveAt is not an integer/],
    [{ completedAt: null }, TypeError, /completedAt is null/],
    [{ files: {} }, TypeError, /files is not an array/],
    [{ files: [[40_000, 1]] }, TypeError, /files\[0\] is not an object/],
    [{ files: [{ size: 1, mtimeMs: 1, path: "a" }] }, TypeError, /files\[0\] has unknown field "path"/],
    [{ files: [{ size: "1", mtimeMs: 1 }] }, TypeError, /files\[0\]\.size/],
    [{ filePriorities: [9] }, RangeError, /filePriorities\[0\] 9/],
    [{ filePriorities: [] }, RangeError, /filePriorities has 0 entries/],
    [{ metainfo: undefined }, TypeError, /neither metainfo nor magnet/],
    [{ magnet: "http://x" }, TypeError, /magnet is not a magnet URI/],
    [{ extra: true }, TypeError, /unknown field "extra"/],
  ];
  for (const [change, kind, message] of cases) {
    assert.throws(() => importCheckpoint(exported(record, change)), (e: Error) => {
      assert.ok(e instanceof kind, `${JSON.stringify(change)}: ${e}`);
      assert.match(e.message, /^Cannot import checkpoint: /);
      assert.match(e.message, message);
      return true;
    });
  }
});
