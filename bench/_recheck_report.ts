/**
 * Text of the recheck bench: one line per run, then per page-cache state the medians, the ratios ccbt/libtorrent
 * and the target (issue 3: ccbt's recheck at least as fast as libtorrent's `force_recheck()`).
 *
 * @module
 */

import type { PageCache, RecheckRun } from "./_recheck.ts";
import { fixed, median } from "./_report.ts";

/** What {@linkcode formatRecheckReport} shows. */
export interface RecheckReport {
  /** Payload size, bytes. */
  sizeBytes: number;
  /** Piece length, bytes. */
  pieceLength: number;
  /** Every run. */
  runs: readonly RecheckRun[];
  /** Why there are no cold runs, when there are none (e.g. "not root"). */
  coldSkipped?: string;
}

const MIB = 1_048_576;

/**
 * Formats one run as a progress line.
 *
 * @param run The run.
 * @param sizeBytes Payload size, bytes.
 * @returns One line of text.
 */
export function formatRecheckRun(run: RecheckRun, sizeBytes: number): string {
  const head = `recheck ${run.client.padEnd(10)} ${run.cache} #${run.index}`;
  if (run.failure !== null) return `${head}  FAIL: ${run.failure}`;
  const mib = sizeBytes / MIB;
  const check = run.client === "ccbt"
    ? "check only"
    : run.cache === "warm"
    ? "force_recheck"
    : "initial check";
  const parts = [
    `process ${fixed(run.wallSeconds, 2)} s (${fixed(mib / run.wallSeconds, 0)} MiB/s)`,
    `${check} ${fixed(run.checkSeconds, 2)} s (${fixed(mib / run.checkSeconds, 0)} MiB/s)`,
  ];
  if (run.client === "libtorrent" && run.cache === "warm") {
    parts.push(`initial check ${fixed(run.initialCheckSeconds, 2)} s`);
  }
  parts.push(
    `RSS ${fixed(run.peakRssMiB, 0)} MiB (anon ${fixed(run.peakAnonMiB, 0)})`,
    `CPU ${fixed(run.cpuSeconds, 2)} s`,
    `others ${fixed(run.otherCpuSeconds, 2)} s`,
    `warm-up ${fixed(run.warmSeconds, 2)} s`,
  );
  return `${head}  ${parts.join("  ")}`;
}

/**
 * Formats the medians per page-cache state, the ratios and the target verdict (warm cache: `ccbt recheck`'s
 * whole process against libtorrent's `force_recheck()` alone).
 *
 * @param report Size, piece length, runs.
 * @returns Multi-line text.
 */
export function formatRecheckReport(report: RecheckReport): string {
  const mib = report.sizeBytes / MIB;
  const lines = [
    "",
    `recheck bench: ${fixed(mib, 0)} MiB single file, ${
      report.pieceLength / 1024
    } KiB pieces, all data hashed`,
  ];
  let verdictLine: string | undefined;
  for (const cache of ["warm", "cold"] as const) {
    const ok = (client: RecheckRun["client"]) =>
      report.runs.filter((r) => r.client === client && r.cache === cache && r.failure === null);
    const ccbt = ok("ccbt");
    const lt = ok("libtorrent");
    if (ccbt.length === 0 && lt.length === 0) continue;
    const speed = (runs: RecheckRun[], pick: (r: RecheckRun) => number) =>
      median(runs.map((r) => mib / pick(r)));
    const seconds = (runs: RecheckRun[], pick: (r: RecheckRun) => number) => median(runs.map(pick));
    const rows: [string, RecheckRun[], (r: RecheckRun) => number][] = [
      ["ccbt recheck: whole process (GNU time)", ccbt, (r) => r.wallSeconds],
      ["ccbt recheck: check only (events)", ccbt, (r) => r.checkSeconds],
    ];
    if (cache === "warm") {
      rows.push(["libtorrent force_recheck()", lt, (r) => r.checkSeconds]);
      rows.push(["libtorrent initial check, no resume", lt, (r) => r.initialCheckSeconds]);
    } else {
      rows.push(["libtorrent initial check, no resume", lt, (r) => r.checkSeconds]);
      rows.push(["libtorrent: whole process (GNU time)", lt, (r) => r.wallSeconds]);
    }
    lines.push(
      "",
      `${cache} page cache (${
        cacheNote(cache)
      }); medians of ${ccbt.length} ccbt and ${lt.length} libtorrent runs`,
      `${"".padEnd(40)}${"MiB/s".padStart(9)}${"s".padStart(8)}`,
    );
    for (const [label, runs, pick] of rows) {
      lines.push(
        `${label.padEnd(40)}${fixed(speed(runs, pick), 0).padStart(9)}${
          fixed(seconds(runs, pick), 2).padStart(8)
        }`,
      );
    }
    const processLine = (name: string, runs: RecheckRun[], note: string) =>
      `${name} process: peak RSS ${fixed(median(runs.map((r) => r.peakRssMiB)), 0)} MiB (anon ${
        fixed(median(runs.map((r) => r.peakAnonMiB)), 0)
      }), CPU ${fixed(median(runs.map((r) => r.cpuSeconds)), 2)} s${note}`;
    lines.push(processLine("ccbt", ccbt, ""));
    lines.push(
      processLine("libtorrent", lt, cache === "warm" ? " (two checks: initial + force_recheck)" : ""),
    );
    if (lt.length > 0) {
      const threads = [...new Set(lt.map((r) => r.hashingThreads))].join(", ");
      lines.push(`libtorrent: hashing_threads ${threads}, other settings default; not auto-managed`);
    }

    const wall = speed(ccbt, (r) => r.wallSeconds);
    const checkOnly = speed(ccbt, (r) => r.checkSeconds);
    const ltCheck = speed(lt, (r) => r.checkSeconds);
    if (cache === "warm") {
      const ratio = wall / ltCheck;
      lines.push(
        `ccbt/libtorrent: whole process / force_recheck() ${fixed(ratio, 2)}; check only / force_recheck() ${
          fixed(checkOnly / ltCheck, 2)
        }; whole process / initial check ${fixed(wall / speed(lt, (r) => r.initialCheckSeconds), 2)}`,
      );
      verdictLine = `target: ccbt recheck (whole process, warm cache) at least as fast as libtorrent ` +
        `force_recheck(): ${ratio >= 1 ? "PASS" : "FAIL"} (ratio ${fixed(ratio, 2)})`;
    } else {
      lines.push(
        `ccbt/libtorrent: whole process / whole process ${
          fixed(wall / speed(lt, (r) => r.wallSeconds), 2)
        }; check only / initial check ${fixed(checkOnly / ltCheck, 2)}`,
      );
    }
    const others = median([...ccbt, ...lt].map((r) => r.otherCpuSeconds));
    if (others > 0.5) {
      lines.push(`warning: other processes used ${fixed(others, 2)} CPU s per run (median): times are noisy`);
    }
  }
  if (report.coldSkipped !== undefined) lines.push("", `no cold-cache runs: ${report.coldSkipped}`);
  lines.push(
    "",
    verdictLine ?? "target: ccbt recheck at least as fast as libtorrent force_recheck(): FAIL (no runs)",
  );
  const failed = report.runs.filter((r) => r.failure !== null);
  if (failed.length > 0) {
    lines.push(`FAIL: ${failed.length} recheck run(s) failed:`);
    for (const run of failed) lines.push(`  ${run.client} ${run.cache} #${run.index}: ${run.failure}`);
  }
  return lines.join("\n");
}

/** How the page cache was set up for runs of `cache` state, for report headings. */
export function cacheNote(cache: PageCache): string {
  return cache === "warm"
    ? "payload read into memory before each run"
    : "dropped before each run with /proc/sys/vm/drop_caches";
}
