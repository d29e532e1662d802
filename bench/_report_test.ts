import assert from "node:assert/strict";
import { type ClientRun, formatReport, formatRun, median } from "./_report.ts";

function run(
  client: ClientRun["client"],
  index: number,
  mibPerSecond: number,
  failure: string | null = null,
): ClientRun {
  return {
    client,
    index,
    failure,
    wallSeconds: 1024 / mibPerSecond,
    mibPerSecond,
    peakRssMiB: client === "ccbt" ? 180 : 1000,
    peakAnonMiB: 100,
    cpuSeconds: 2,
    seederCpuSeconds: 1,
    otherCpuSeconds: 0,
    warmSeconds: 0.7,
  };
}

Deno.test("median() takes the middle value, or the mean of the middle two, ignoring NaN", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([NaN, 5]), 5);
  assert.ok(Number.isNaN(median([])));
});

Deno.test("formatRun() shows a failure instead of numbers", () => {
  assert.match(formatRun(run("ccbt", 2, 300)), /^ccbt +#2 +300\.0 MiB\/s/);
  assert.match(formatRun(run("libtorrent", 1, 300, "Exit code 1")), /FAIL: Exit code 1$/);
});

Deno.test("formatReport() gives medians, ratios and target verdicts, leaving failed runs out", () => {
  const text = formatReport({
    sizeMiB: 1024,
    pieceLength: 262144,
    runs: [
      run("ccbt", 1, 400),
      run("libtorrent", 1, 200),
      run("ccbt", 2, 100, "Timed out"),
      run("ccbt", 3, 300),
    ],
    hashes: [
      { backend: "native", algorithm: "sha1", mibPerSecond: 2000 },
      { backend: "wasm", algorithm: "sha1", mibPerSecond: 500 },
    ],
    rssTargetMiB: 256,
  });
  assert.match(text, /download MiB\/s +350\.0 +200\.0 +1\.75/);
  assert.match(text, /at least as fast as libtorrent: PASS \(ratio 1\.75\)/);
  assert.match(text, /peak RSS under 256 MiB: PASS \(180 MiB\)/);
  assert.match(text, /FAIL: 1 run\(s\) failed/);
  assert.match(text, /sha1 +2000 +500 +4\.00/);
});
