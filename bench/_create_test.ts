import assert from "node:assert/strict";
import { createTorrent } from "../mod.ts";
import {
  checkCreateGroup,
  type CreateRun,
  infoHashMismatch,
  parseLtCreate,
  pieceLengthLog2,
  readMadeTorrent,
  runCreateBench,
  toolOrder,
} from "./_create.ts";
import { createVerdicts, formatCreateReport, formatCreateRun, medianSpeed } from "./_create_report.ts";
import { preparePayload } from "./_payload.ts";

const MIB = 1_048_576;
const H1 = "a".repeat(40);
const H2 = "b".repeat(64);

function run(
  tool: CreateRun["tool"],
  version: CreateRun["version"],
  wall: number,
  extra: Partial<CreateRun> = {},
): CreateRun {
  return {
    tool,
    version,
    cache: "warm",
    index: 1,
    failure: null,
    wallSeconds: wall,
    hashSeconds: tool === "libtorrent" ? wall / 2 : NaN,
    peakRssMiB: 100,
    peakAnonMiB: 50,
    cpuSeconds: 1,
    otherCpuSeconds: 0,
    warmSeconds: 0.2,
    infoHash: H1,
    infoHashV2: version === "v1" ? undefined : H2,
    ...extra,
  };
}

Deno.test("parseLtCreate() reads the created line", () => {
  const line = '{"event":"created","version":"v2","piece_length":1048576,"pieces":1024,' +
    '"hash_seconds":0.7,"seconds":0.72}';
  assert.deepEqual(parseLtCreate(`noise\n${line}\n`), {
    hashSeconds: 0.7,
    seconds: 0.72,
    pieceLength: 1_048_576,
    pieces: 1024,
  });
  assert.equal(parseLtCreate('{"event":"error","message":"Cannot create a torrent of x: no files"}'), null);
  assert.equal(parseLtCreate(""), null);
});

Deno.test("pieceLengthLog2() gives mktorrent's -l and refuses what v2 cannot use", () => {
  assert.equal(pieceLengthLog2(16_384), 14);
  assert.equal(pieceLengthLog2(MIB), 20);
  assert.equal(pieceLengthLog2(512 * MIB), 29);
  for (const bad of [8192, 49_152, 1024 * MIB, 0, NaN]) {
    assert.throws(() => pieceLengthLog2(bad), /Cannot use piece length .*: not a power of two/);
  }
});

Deno.test("toolOrder() rotates the tools from run to run", () => {
  assert.deepEqual(toolOrder("v1", 1, true), ["ccbt", "libtorrent", "mktorrent"]);
  assert.deepEqual(toolOrder("v1", 2, true), ["libtorrent", "mktorrent", "ccbt"]);
  assert.deepEqual(toolOrder("v1", 4, true), ["ccbt", "libtorrent", "mktorrent"]);
  assert.deepEqual(toolOrder("v1", 2, false), ["libtorrent", "ccbt"]);
  assert.deepEqual(toolOrder("hybrid", 2, true), ["libtorrent", "ccbt"]);
  assert.deepEqual(toolOrder("v2", 3, true), ["ccbt", "libtorrent"]);
});

Deno.test("readMadeTorrent() returns the info-hashes, or what is not as asked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/data.bin`;
    await Deno.writeFile(path, crypto.getRandomValues(new Uint8Array(40_000)));
    const { bytes, info } = await createTorrent(path, { version: "hybrid", pieceLength: 16_384 });
    const want = { version: "hybrid" as const, pieceLength: 16_384, size: 40_000 };
    assert.deepEqual(readMadeTorrent(bytes, want), {
      infoHash: info.infoHashHex,
      infoHashV2: info.infoHashV2Hex,
    });
    assert.equal(readMadeTorrent(bytes, { ...want, version: "v1" }), "Made a hybrid torrent, not v1");
    assert.equal(readMadeTorrent(bytes, { ...want, pieceLength: MIB }), "Piece length 16384, not 1048576");
    assert.equal(readMadeTorrent(bytes, { ...want, size: 1 }), "Total length 40000, not 1");
    assert.match(readMadeTorrent(bytes.subarray(0, 50), want) as string, /^Cannot parse the torrent: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("infoHashMismatch() names the hashes that differ", () => {
  assert.equal(infoHashMismatch(run("ccbt", "hybrid", 1), run("libtorrent", "hybrid", 1)), null);
  assert.equal(
    infoHashMismatch(run("ccbt", "v1", 1, { infoHash: "c".repeat(40) }), run("libtorrent", "v1", 1)),
    `Info-hash mismatch: v1 info-hash ${"c".repeat(40)} but libtorrent made ${H1}`,
  );
  assert.equal(
    infoHashMismatch(run("mktorrent", "v2", 1, { infoHashV2: undefined }), run("ccbt", "v2", 1)),
    `Info-hash mismatch: v2 info-hash none but ccbt made ${H2}`,
  );
});

Deno.test("checkCreateGroup() fails both ccbt and libtorrent on a mismatch, and mktorrent against libtorrent", () => {
  const agree = [run("ccbt", "v1", 1), run("libtorrent", "v1", 1), run("mktorrent", "v1", 1)];
  checkCreateGroup(agree);
  assert.deepEqual(agree.map((r) => r.failure), [null, null, null]);

  const other = "d".repeat(40);
  const ccbtWrong = [
    run("libtorrent", "v1", 1),
    run("ccbt", "v1", 1, { infoHash: other }),
    run("mktorrent", "v1", 1),
  ];
  checkCreateGroup(ccbtWrong);
  assert.match(ccbtWrong[0].failure ?? "", /v1 info-hash a+ but ccbt made d+/);
  assert.match(ccbtWrong[1].failure ?? "", /v1 info-hash d+ but libtorrent made a+/);
  assert.equal(ccbtWrong[2].failure, null);

  const ltFailed = [
    run("ccbt", "v1", 1),
    run("libtorrent", "v1", 1, { failure: "Exit code 1" }),
    run("mktorrent", "v1", 1, { infoHash: other }),
  ];
  checkCreateGroup(ltFailed);
  assert.equal(ltFailed[0].failure, null);
  assert.equal(ltFailed[1].failure, "Exit code 1");
  assert.match(ltFailed[2].failure ?? "", /but ccbt made a+/);
});

Deno.test("createVerdicts() passes only when ccbt beats every other tool", () => {
  const size = 1024 * MIB;
  const runs = [
    run("ccbt", "v1", 0.5),
    run("ccbt", "v1", 0.7, { index: 2 }),
    run("ccbt", "v1", 9, { index: 3, failure: "Exit code 1" }),
    run("libtorrent", "v1", 1),
    run("mktorrent", "v1", 0.25),
    run("ccbt", "v2", 1),
    run("libtorrent", "v2", 2),
    run("ccbt", "hybrid", 2),
    run("libtorrent", "hybrid", 2),
    run("ccbt", "v2", 4, { cache: "cold" }),
  ];
  assert.equal(
    medianSpeed(runs, { tool: "ccbt", version: "v1", cache: "warm" }, size),
    (2048 + 1024 / 0.7) / 2,
  );
  const verdicts = createVerdicts(runs, "warm", size);
  assert.deepEqual(verdicts.map((v) => [v.version, v.pass]), [["v1", false], ["v2", true], [
    "hybrid",
    false,
  ]]);
  assert.ok(Math.abs((verdicts[0].ratios.libtorrent ?? 0) - 1.7142857) < 1e-6);
  assert.ok(Math.abs((verdicts[0].ratios.mktorrent ?? 0) - 0.4285714) < 1e-6);
  assert.equal(verdicts[1].ratios.mktorrent, undefined);
  assert.equal(verdicts[2].ratios.libtorrent, 1);
  const cold = createVerdicts(runs, "cold", size);
  assert.equal(cold.length, 1);
  assert.deepEqual(cold[0], { version: "v2", ratios: {}, pass: false });
});

Deno.test("formatCreateReport() shows medians, ratios, the verdict and failures", () => {
  const runs = [
    run("ccbt", "v1", 0.5),
    run("libtorrent", "v1", 1),
    run("mktorrent", "v1", 0.25),
    run("ccbt", "v2", 1),
    run("libtorrent", "v2", 2),
    run("ccbt", "hybrid", 1, { failure: "Info-hash mismatch: x" }),
    run("libtorrent", "hybrid", 2),
  ];
  const text = formatCreateReport({
    sizeBytes: 1024 * MIB,
    pieceLength: MIB,
    mktorrentThreads: 2,
    runs,
    coldSkipped: "--no-cold",
  });
  assert.match(text, /create bench: 1024 MiB single file, 1024 KiB pieces/);
  assert.match(text, /mktorrent \(v1 only\): -t 2/);
  assert.match(text, /v1 {5}ccbt +2048 +0\.50 +1\.00 +100 +50\n/);
  assert.match(text, /v1 {5}libtorrent +1024 +1\.00 .* set_piece_hashes alone 0\.50 s \(2048 MiB\/s\)/);
  assert.match(text, /v1 {5}mktorrent -t 2 +4096 +0\.25/);
  assert.match(text, /v1 {5}ccbt\/libtorrent 2\.00 PASS; ccbt\/mktorrent 0\.50 FAIL/);
  assert.match(text, /v2 {5}ccbt\/libtorrent 2\.00 PASS/);
  assert.match(text, /hybrid ccbt +- +- +- +- +-\n/);
  assert.match(text, /no cold-cache runs: --no-cold/);
  assert.match(text, /warm page cache: v1 FAIL, v2 PASS, hybrid FAIL$/m);
  assert.match(text, /FAIL: 1 create run\(s\) failed:\n {2}ccbt hybrid warm #1: Info-hash mismatch: x$/);
});

Deno.test("formatCreateRun() shows the numbers and hashes, or the failure", () => {
  const line = formatCreateRun(run("libtorrent", "hybrid", 2), 1024 * MIB);
  assert.match(
    line,
    /^create hybrid libtorrent warm #1 {2}2\.00 s \(512 MiB\/s\) {2}set_piece_hashes 1\.00 s/,
  );
  assert.match(line, new RegExp(`info-hash ${H1} v2 ${H2}$`));
  assert.match(formatCreateRun(run("ccbt", "v1", 1, { failure: "Timed out" }), MIB), /FAIL: Timed out$/);
});

Deno.test("runCreateBench() makes every version with every tool, and they agree", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const payload = await preparePayload(dir, { size: 4 * MIB, pieceLength: 262_144 });
    const seen: string[] = [];
    const runs = await runCreateBench({
      path: payload.path,
      size: payload.size,
      pieceLength: 262_144,
      runs: 1,
      workDir: dir,
      timeoutMs: 60_000,
      warmBytes: 0,
      idleWaitMs: 0,
      cold: false,
      mktorrentThreads: 2,
      onRun: (r) => seen.push(`${r.version} ${r.tool}`),
    });
    assert.deepEqual(seen, [
      "v1 ccbt",
      "v1 libtorrent",
      "v1 mktorrent",
      "v2 ccbt",
      "v2 libtorrent",
      "hybrid ccbt",
      "hybrid libtorrent",
    ]);
    for (const r of runs) {
      assert.equal(r.failure, null, `${r.version} ${r.tool}`);
      // GNU time has 10 ms resolution: mktorrent may take "0.00 s" on 4 MiB.
      assert.ok(r.wallSeconds >= 0 && r.peakRssMiB > 0 && r.cpuSeconds >= 0);
    }
    const v1 = runs.filter((r) => r.version === "v1");
    // The payload's own torrent is a v1 torrent of the same file and piece length, made in process.
    assert.equal(v1[0].infoHash, payload.infoHash);
    assert.ok(v1.every((r) => r.infoHash === v1[0].infoHash && r.infoHashV2 === undefined));
    const v2 = runs.filter((r) => r.version === "v2");
    assert.equal(v2[0].infoHashV2?.length, 64);
    assert.equal(v2[1].infoHashV2, v2[0].infoHashV2);
    assert.ok(runs[1].hashSeconds >= 0);
    // Nothing left behind but the payload, its torrent and the bench's own files.
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("create-"));
    assert.deepEqual(left.sort(), [
      "create-ccbt-stdout.txt",
      "create-libtorrent-stdout.txt",
      "create-mktorrent-stdout.txt",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
