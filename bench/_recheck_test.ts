import assert from "node:assert/strict";
import { preparePayload } from "./_payload.ts";
import { parseCcbtRecheck, parseLtRecheck, type RecheckRun, runRecheckBench } from "./_recheck.ts";
import { formatRecheckReport, formatRecheckRun } from "./_recheck_report.ts";

const MIB = 1_048_576;

Deno.test("parseCcbtRecheck() times checking -> done and reads the piece counts", () => {
  const ndjson = [
    '{"time":1000,"event":"state","infoHash":"ab","state":"checking"}',
    '{"time":1500,"event":"progress","state":"checking","checkProgress":0.5}',
    "not json",
    '{"time":3250,"event":"state","infoHash":"ab","state":"paused"}',
    '{"time":3250,"event":"done","infoHash":"ab","reason":"checked: 4095 of 4096 pieces verified (99.9%)"}',
  ].join("\n");
  assert.deepEqual(parseCcbtRecheck(ndjson), { checkSeconds: 2.25, piecesHave: 4095, pieceCount: 4096 });
  assert.equal(parseCcbtRecheck(ndjson.split("\n").slice(1).join("\n")), null);
  assert.equal(parseCcbtRecheck('{"time":1,"event":"state","state":"checking"}'), null);
});

Deno.test("parseLtRecheck() reads the checked line", () => {
  const line = '{"event":"checked","mode":"force","seconds":0.9,"initial_seconds":1.3,"pieces":4096,' +
    '"total":4096,"hashing_threads":1,"aio_threads":10}';
  assert.deepEqual(parseLtRecheck(`noise\n${line}\n`), {
    seconds: 0.9,
    initialSeconds: 1.3,
    pieces: 4096,
    total: 4096,
    hashingThreads: 1,
  });
  assert.equal(parseLtRecheck('{"event":"error","message":"Cannot check"}'), null);
});

function run(
  client: RecheckRun["client"],
  cache: RecheckRun["cache"],
  seconds: { wall: number; check: number; initial?: number },
  failure: string | null = null,
): RecheckRun {
  return {
    client,
    cache,
    index: 1,
    failure,
    wallSeconds: seconds.wall,
    checkSeconds: seconds.check,
    initialCheckSeconds: seconds.initial ?? NaN,
    peakRssMiB: 100,
    peakAnonMiB: 50,
    cpuSeconds: 1,
    otherCpuSeconds: 0,
    warmSeconds: 0.5,
    hashingThreads: client === "ccbt" ? NaN : 1,
  };
}

Deno.test("formatRecheckReport() compares ccbt's whole process with libtorrent's force_recheck()", () => {
  const report = (ccbtWall: number) =>
    formatRecheckReport({
      sizeBytes: 1024 * MIB,
      pieceLength: 262_144,
      runs: [
        run("ccbt", "warm", { wall: ccbtWall, check: 0.5 }),
        run("libtorrent", "warm", { wall: 3, check: 1, initial: 2 }),
        run("ccbt", "cold", { wall: 2, check: 1.5 }),
        run("libtorrent", "cold", { wall: 4, check: 3.5 }),
        run("ccbt", "warm", { wall: 9, check: 9 }, "Exit code 1"),
      ],
    });
  const pass = report(0.8);
  assert.match(pass, /ccbt recheck: whole process \(GNU time\) +1280 +0\.80/);
  assert.match(pass, /libtorrent force_recheck\(\) +1024 +1\.00/);
  assert.match(pass, /libtorrent initial check, no resume +512 +2\.00/);
  assert.match(pass, /libtorrent: hashing_threads 1, other settings default/);
  assert.match(pass, /whole process \/ force_recheck\(\) 1\.25; check only \/ force_recheck\(\) 2\.00/);
  assert.match(pass, /whole process \/ whole process 2\.00; check only \/ initial check 2\.33/);
  assert.match(pass, /at least as fast as libtorrent force_recheck\(\): PASS \(ratio 1\.25\)/);
  assert.match(pass, /FAIL: 1 recheck run\(s\) failed:\n {2}ccbt warm #1: Exit code 1/);
  assert.match(report(2), /force_recheck\(\): FAIL \(ratio 0\.50\)/);
});

Deno.test("formatRecheckRun() shows the numbers, or the failure", () => {
  const line = formatRecheckRun(run("libtorrent", "warm", { wall: 3, check: 1, initial: 2 }), 1024 * MIB);
  assert.match(
    line,
    /^recheck libtorrent warm #1 {2}process 3\.00 s \(341 MiB\/s\) {2}force_recheck 1\.00 s/,
  );
  assert.match(line, /initial check 2\.00 s/);
  assert.match(
    formatRecheckRun(run("ccbt", "cold", { wall: 1, check: 1 }, "Timed out"), MIB),
    /FAIL: Timed out$/,
  );
});

Deno.test("runRecheckBench() checks a payload with ccbt and libtorrent, and fails on bad data", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const payload = await preparePayload(dir, { size: MIB, pieceLength: 262_144 });
    const options = {
      payload,
      runs: 1,
      workDir: dir,
      timeoutMs: 60_000,
      warmBytes: 0,
      idleWaitMs: 0,
      cold: false,
      hashBackend: "native" as const,
    };
    const good = await runRecheckBench(options);
    assert.deepEqual(good.map((r) => [r.client, r.cache, r.failure]), [
      ["ccbt", "warm", null],
      ["libtorrent", "warm", null],
    ]);
    for (const r of good) assert.ok(r.checkSeconds >= 0 && r.wallSeconds > 0 && r.peakRssMiB > 0);
    assert.ok(good[1].initialCheckSeconds > 0);

    using file = await Deno.open(payload.path, { write: true });
    await file.write(new Uint8Array([1, 2, 3, 4]));
    const bad = await runRecheckBench(options);
    assert.match(bad[0].failure ?? "", /Only 3 of 4 pieces verified/);
    assert.match(bad[1].failure ?? "", /Only 3 of 4 pieces verified/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
