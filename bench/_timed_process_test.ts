import assert from "node:assert/strict";
import { parseTimeReport, runTimed } from "./_timed_process.ts";

Deno.test("parseTimeReport() reads the last line of a GNU time report", () => {
  assert.deepEqual(parseTimeReport("2.71 1085440 1.04 0.77\n"), {
    wallSeconds: 2.71,
    maxRssKiB: 1085440,
    userSeconds: 1.04,
    systemSeconds: 0.77,
  });
  assert.equal(
    parseTimeReport("Command terminated by signal 9\n0.50 2048 0.00 0.01\n")?.maxRssKiB,
    2048,
  );
  assert.equal(parseTimeReport(""), null);
  assert.equal(parseTimeReport("Command exited with non-zero status 1\n"), null);
});

Deno.test("runTimed() measures a child's exit code, wall time and peak RSS", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const timed = await runTimed("sh", {
      args: ["-c", "sleep 0.3; exit 3"],
      timeFile: `${dir}/time.txt`,
      timeoutMs: 10_000,
    });
    assert.equal(timed.exitCode, 3);
    assert.equal(timed.timedOut, false);
    assert.ok(timed.wallSeconds >= 0.3);
    assert.ok(timed.maxRssKiB > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runTimed() kills a child that outlives the timeout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const timed = await runTimed("sleep", { args: ["30"], timeFile: `${dir}/time.txt`, timeoutMs: 1_000 });
    assert.equal(timed.timedOut, true);
    assert.notEqual(timed.exitCode, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
