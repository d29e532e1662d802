/**
 * Text of the create bench: one line per run, then per page-cache state and version the medians of every tool,
 * the ratios ccbt/other and the target (issue 5: `ccbt create` faster than libtorrent's `create_torrent` and,
 * for v1, mktorrent; whole process, warm page cache).
 *
 * @module
 */

import { CREATE_VERSIONS, type CreateRun, type CreateTool, type CreateVersion } from "./_create.ts";
import type { PageCache } from "./_recheck.ts";
import { cacheNote } from "./_recheck_report.ts";
import { fixed, median } from "./_report.ts";

const MIB = 1_048_576;
const OTHERS: readonly CreateTool[] = ["libtorrent", "mktorrent"];

/** What {@linkcode formatCreateReport} shows. */
export interface CreateReport {
  /** Payload size, bytes. */
  sizeBytes: number;
  /** Piece length, bytes. */
  pieceLength: number;
  /** mktorrent's `-t`; 0 when it did not take part. */
  mktorrentThreads: number;
  /** Every run. */
  runs: readonly CreateRun[];
  /** Why there are no cold runs, when there are none (e.g. "not root"). */
  coldSkipped?: string;
}

/** ccbt against the other tools for one version and page-cache state. */
export interface CreateVerdict {
  /** Which kind of torrent. */
  version: CreateVersion;
  /** Median MiB/s of ccbt over median MiB/s of each other tool that ran (NaN when either has no run). */
  ratios: Partial<Record<CreateTool, number>>;
  /** Whether ccbt was strictly faster than every other tool (false when a tool has no successful run). */
  pass: boolean;
}

/**
 * Median payload MiB per second of the successful runs of one tool, version and cache state.
 *
 * @param runs Runs to pick from.
 * @param pick Tool, version, cache state.
 * @param sizeBytes Payload size, bytes.
 * @returns MiB/s, NaN without a successful run.
 */
export function medianSpeed(
  runs: readonly CreateRun[],
  pick: { tool: CreateTool; version: CreateVersion; cache: PageCache },
  sizeBytes: number,
): number {
  return median(ok(runs, pick).map((r) => sizeBytes / MIB / r.wallSeconds));
}

/**
 * ccbt's speed ratio to every other tool that ran, per version, for one page-cache state.
 *
 * @param runs Every run.
 * @param cache Which page-cache state.
 * @param sizeBytes Payload size, bytes.
 * @returns One verdict per version that has runs, in bench order.
 */
export function createVerdicts(
  runs: readonly CreateRun[],
  cache: PageCache,
  sizeBytes: number,
): CreateVerdict[] {
  const verdicts: CreateVerdict[] = [];
  for (const version of CREATE_VERSIONS) {
    const here = runs.filter((r) => r.version === version && r.cache === cache);
    if (here.length === 0) continue;
    const ccbt = medianSpeed(runs, { tool: "ccbt", version, cache }, sizeBytes);
    const ratios: Partial<Record<CreateTool, number>> = {};
    for (const tool of OTHERS) {
      if (here.some((r) => r.tool === tool)) {
        ratios[tool] = ccbt / medianSpeed(runs, { tool, version, cache }, sizeBytes);
      }
    }
    const values = Object.values(ratios);
    verdicts.push({ version, ratios, pass: values.length > 0 && values.every((r) => r > 1) });
  }
  return verdicts;
}

/**
 * Formats one run as a progress line.
 *
 * @param run The run.
 * @param sizeBytes Payload size, bytes.
 * @returns One line of text.
 */
export function formatCreateRun(run: CreateRun, sizeBytes: number): string {
  const head = `create ${run.version.padEnd(6)} ${run.tool.padEnd(10)} ${run.cache} #${run.index}`;
  if (run.failure !== null) return `${head}  FAIL: ${run.failure}`;
  const mib = sizeBytes / MIB;
  const parts = [`${fixed(run.wallSeconds, 2)} s (${fixed(mib / run.wallSeconds, 0)} MiB/s)`];
  if (run.tool === "libtorrent") parts.push(`set_piece_hashes ${fixed(run.hashSeconds, 2)} s`);
  parts.push(
    `RSS ${fixed(run.peakRssMiB, 0)} MiB (anon ${fixed(run.peakAnonMiB, 0)})`,
    `CPU ${fixed(run.cpuSeconds, 2)} s`,
    `others ${fixed(run.otherCpuSeconds, 2)} s`,
    `warm-up ${fixed(run.warmSeconds, 2)} s`,
    `info-hash ${run.infoHash ?? "-"}${run.infoHashV2 === undefined ? "" : ` v2 ${run.infoHashV2}`}`,
  );
  return `${head}  ${parts.join("  ")}`;
}

/**
 * Formats the medians per page-cache state and version, the ratios, and the target verdict.
 *
 * @param report Size, piece length, mktorrent threads, runs.
 * @returns Multi-line text.
 */
export function formatCreateReport(report: CreateReport): string {
  const { sizeBytes, runs } = report;
  const mib = sizeBytes / MIB;
  const lines = [
    "",
    `create bench: ${fixed(mib, 0)} MiB single file, ${report.pieceLength / 1024} KiB pieces; ` +
    `MiB/s = payload / wall time of the whole process; every torrent read back, info-hashes compared`,
    `ccbt: \`ccbt create\` (deno run); libtorrent: create_torrent + set_piece_hashes from Python, ` +
    `default settings${
      report.mktorrentThreads > 0 ? `; mktorrent (v1 only): -t ${report.mktorrentThreads}` : ""
    }`,
  ];
  let verdictLine: string | undefined;
  for (const cache of ["warm", "cold"] as const) {
    const here = runs.filter((r) => r.cache === cache);
    if (here.length === 0) continue;
    const counts = [...new Set(here.filter((r) => r.failure === null).map((r) => r.index))].length;
    lines.push(
      "",
      `${cache} page cache (${cacheNote(cache)}); medians of ${counts} run(s) per tool and version`,
      `${"".padEnd(28)}${"MiB/s".padStart(8)}${"wall s".padStart(8)}${"CPU s".padStart(8)}${
        "RSS MiB".padStart(9)
      }${"anon MiB".padStart(10)}`,
    );
    const verdicts = createVerdicts(runs, cache, sizeBytes);
    for (const verdict of verdicts) {
      const { version } = verdict;
      for (const tool of ["ccbt", ...OTHERS] as const) {
        const mine = ok(runs, { tool, version, cache });
        if (!here.some((r) => r.tool === tool && r.version === version)) continue;
        const med = (pick: (r: CreateRun) => number) => median(mine.map(pick));
        const label = tool === "mktorrent" ? `mktorrent -t ${report.mktorrentThreads}` : tool;
        let line = `${version.padEnd(7)}${label.padEnd(21)}${
          fixed(medianSpeed(runs, { tool, version, cache }, sizeBytes), 0).padStart(8)
        }${fixed(med((r) => r.wallSeconds), 2).padStart(8)}${fixed(med((r) => r.cpuSeconds), 2).padStart(8)}${
          fixed(med((r) => r.peakRssMiB), 0).padStart(9)
        }${fixed(med((r) => r.peakAnonMiB), 0).padStart(10)}`;
        if (tool === "libtorrent") {
          const hash = med((r) => r.hashSeconds);
          line += `   set_piece_hashes alone ${fixed(hash, 2)} s (${fixed(mib / hash, 0)} MiB/s)`;
        }
        lines.push(line);
      }
      lines.push(`${version.padEnd(7)}${ratioText(verdict)}`);
    }
    if (cache === "warm") {
      verdictLine = "target: ccbt create faster than libtorrent (and mktorrent for v1), whole process, " +
        `warm page cache: ${
          verdicts.map((v) => `${v.version} ${v.pass ? "PASS" : "FAIL"}`).join(", ") || "FAIL (no runs)"
        }`;
    }
    const others = median(here.map((r) => r.otherCpuSeconds));
    if (others > 0.5) {
      lines.push(`warning: other processes used ${fixed(others, 2)} CPU s per run (median): times are noisy`);
    }
  }
  if (report.coldSkipped !== undefined) lines.push("", `no cold-cache runs: ${report.coldSkipped}`);
  lines.push("", verdictLine ?? "target: ccbt create faster than libtorrent: FAIL (no runs)");
  const failed = runs.filter((r) => r.failure !== null);
  if (failed.length > 0) {
    lines.push(`FAIL: ${failed.length} create run(s) failed:`);
    for (const run of failed) {
      lines.push(`  ${run.tool} ${run.version} ${run.cache} #${run.index}: ${run.failure}`);
    }
  }
  return lines.join("\n");
}

function ratioText(verdict: CreateVerdict): string {
  const parts = Object.entries(verdict.ratios).map(([tool, ratio]) =>
    `ccbt/${tool} ${fixed(ratio, 2)} ${ratio > 1 ? "PASS" : "FAIL"}`
  );
  return parts.join("; ");
}

function ok(
  runs: readonly CreateRun[],
  pick: { tool: CreateTool; version: CreateVersion; cache: PageCache },
): CreateRun[] {
  return runs.filter((r) =>
    r.tool === pick.tool && r.version === pick.version && r.cache === pick.cache && r.failure === null
  );
}
