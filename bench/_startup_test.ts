import assert from "node:assert/strict";
import { parseTorrent, StateStore } from "../mod.ts";
import {
  formatStartupReport,
  fullBitfield,
  parseStartupOutput,
  prepareStartupState,
  runStartupBench,
} from "./_startup.ts";

Deno.test("fullBitfield() sets every piece and no spare bit", () => {
  assert.deepEqual(fullBitfield(8), new Uint8Array([0xff]));
  assert.deepEqual(fullBitfield(10), new Uint8Array([0xff, 0xc0]));
  assert.deepEqual(fullBitfield(1), new Uint8Array([0x80]));
});

Deno.test("parseStartupOutput() merges the ready and closed lines, or gives null", () => {
  const ready = '{"event":"ready","torrents":2,"mainMs":30,"recordsMs":40,"addedMs":90,"readyMs":100,' +
    '"piecesHave":8,"pieceCount":8,"stateWarnings":0,"errors":0,"alertsDropped":0,"heapUsedBytes":1,"externalBytes":2}';
  const parsed = parseStartupOutput(`${ready}\n{"event":"closed","closeMs":7}\n`);
  assert.equal(parsed?.readyMs, 100);
  assert.equal(parsed?.closeMs, 7);
  assert.equal(parseStartupOutput(ready), null);
});

Deno.test("prepareStartupState() records complete torrents whose stamps match the files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fixture = await prepareStartupState(`${dir}/s`, {
      torrents: 3,
      fileBytes: 40_000,
      pieceLength: 16_384,
    });
    assert.equal(fixture.pieces, 9);
    const { store } = StateStore.open(fixture.templateDir);
    try {
      const records = store.list();
      assert.equal(records.length, 3);
      for (const { infoHash } of records) {
        const record = store.get(infoHash)!;
        const info = parseTorrent(record.metainfo!);
        assert.equal(info.infoHashHex, infoHash);
        assert.equal(record.savePath, fixture.dataDir);
        assert.deepEqual(record.have, new Uint8Array([0xe0]));
        const stat = await Deno.stat(`${fixture.dataDir}/${info.name}`);
        assert.deepEqual(record.files, [{ size: 40_000, mtimeMs: stat.mtime?.getTime() }]);
      }
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runStartupBench() times a session start, and fails when data had to be checked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fixture = await prepareStartupState(`${dir}/s`, {
      torrents: 4,
      fileBytes: 16_384,
      pieceLength: 16_384,
    });
    const options = { fixture, runs: 1, workDir: dir, timeoutMs: 60_000, warmBytes: 0, idleWaitMs: 0 };
    const [good] = await runStartupBench(options);
    assert.equal(good.failure, null);
    assert.equal(good.torrents, 4);
    assert.ok(good.mainMs > 0 && good.mainMs <= good.recordsMs && good.recordsMs <= good.addedMs);
    assert.ok(good.addedMs <= good.readyMs && good.peakRssMiB > 0);
    assert.match(formatStartupReport(fixture, [good]), /time to ready .* \d+ ms/);

    // A file changed after its record: its piece is hashed again, which the bench must not pass as a start-up.
    await Deno.utime(`${fixture.dataDir}/file-00002.bin`, 1, 1);
    const [checked] = await runStartupBench(options);
    assert.match(checked.failure ?? "", /1 state warnings \(data was checked\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
