/**
 * Turns the bench's measurements into the text table it prints: medians per client, ratios ccbt/libtorrent,
 * the targets, and hash throughput.
 *
 * @module
 */

import type { EventLoopDelaySummary } from "./_event_loop_delay.ts";
import type { HashThroughput } from "./_hash_throughput.ts";

/** A client the bench times. */
export type ClientName = "ccbt" | "libtorrent";

/** One timed download. */
export interface ClientRun {
  /** Which client. */
  client: ClientName;
  /** 1-based run number of that client. */
  index: number;
  /** `null` when the download finished and is byte-identical, else why not. */
  failure: string | null;
  /** Wall seconds from exec to exit. */
  wallSeconds: number;
  /** Payload MiB / wall seconds. */
  mibPerSecond: number;
  /** Peak RSS, MiB. */
  peakRssMiB: number;
  /** Peak anonymous RSS (sampled every 100 ms), MiB. */
  peakAnonMiB: number;
  /** User + system CPU seconds. */
  cpuSeconds: number;
  /** CPU seconds the libtorrent seeder used during the run. */
  seederCpuSeconds: number;
  /** CPU seconds everything else on the machine used during the run (others compete for the cores). */
  otherCpuSeconds: number;
  /** Seconds the memory warm-up before this run took. */
  warmSeconds: number;
  /** The main isolate's event-loop delay (ccbt only, when measured). */
  eventLoopDelay?: EventLoopDelaySummary;
}

/** Everything the report shows. */
export interface BenchReport {
  /** Payload size, MiB. */
  sizeMiB: number;
  /** Piece length, bytes. */
  pieceLength: number;
  /** Every run, in the order they ran. */
  runs: readonly ClientRun[];
  /** Hash throughput per backend and algorithm (empty when skipped). */
  hashes: readonly HashThroughput[];
  /** ccbt's peak RSS target, MiB. */
  rssTargetMiB: number;
}

/**
 * Median of `values` (mean of the middle two for an even count).
 *
 * @param values Numbers (NaN ignored).
 * @returns The median, or NaN for no values.
 */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Formats one run as a progress line.
 *
 * @param run The run.
 * @returns One line of text.
 */
export function formatRun(run: ClientRun): string {
  const head = `${run.client.padEnd(10)} #${run.index}`;
  if (run.failure !== null) return `${head}  FAIL: ${run.failure}`;
  const parts = [
    `${fixed(run.mibPerSecond, 1)} MiB/s`,
    `${fixed(run.wallSeconds, 2)} s`,
    `RSS ${fixed(run.peakRssMiB, 0)} MiB (anon ${fixed(run.peakAnonMiB, 0)})`,
    `CPU ${fixed(run.cpuSeconds, 2)} s`,
    `seeder ${fixed(run.seederCpuSeconds, 2)} s`,
    `others ${fixed(run.otherCpuSeconds, 2)} s`,
    `warm-up ${fixed(run.warmSeconds, 2)} s`,
  ];
  const delay = run.eventLoopDelay;
  if (delay !== undefined) {
    parts.push(`loop delay p99 ${fixed(delay.p99Ms, 1)} max ${fixed(delay.maxMs, 1)} ms`);
  }
  return `${head}  ${parts.join("  ")}`;
}

/**
 * Formats the final table.
 *
 * @param report Runs, hashes and settings.
 * @returns Multi-line text.
 */
export function formatReport(report: BenchReport): string {
  const ok = (client: ClientName) => report.runs.filter((r) => r.client === client && r.failure === null);
  const failed = report.runs.filter((r) => r.failure !== null);
  const ccbt = ok("ccbt");
  const lt = ok("libtorrent");
  const rows: [string, (r: ClientRun) => number, number][] = [
    ["download MiB/s", (r) => r.mibPerSecond, 1],
    ["wall s", (r) => r.wallSeconds, 2],
    ["peak RSS MiB", (r) => r.peakRssMiB, 0],
    ["peak anon RSS MiB", (r) => r.peakAnonMiB, 0],
    ["CPU s (user+sys)", (r) => r.cpuSeconds, 2],
    ["seeder CPU s", (r) => r.seederCpuSeconds, 2],
    ["other CPU s", (r) => r.otherCpuSeconds, 2],
  ];
  const lines = [
    "",
    `ccbt bench: ${report.sizeMiB} MiB single file, ${
      report.pieceLength / 1024
    } KiB pieces, libtorrent seeder on ` +
    `127.0.0.1; medians of ${ccbt.length} ccbt and ${lt.length} libtorrent runs`,
    "",
    `${"".padEnd(20)}${"ccbt".padStart(12)}${"libtorrent".padStart(12)}${"ccbt/lt".padStart(10)}`,
  ];
  for (const [label, pick, digits] of rows) {
    const a = median(ccbt.map(pick));
    const b = median(lt.map(pick));
    lines.push(
      `${label.padEnd(20)}${fixed(a, digits).padStart(12)}${fixed(b, digits).padStart(12)}` +
        `${fixed(a / b, 2).padStart(10)}`,
    );
  }
  const delays = ccbt.flatMap((r) => r.eventLoopDelay === undefined ? [] : [r.eventLoopDelay]);
  if (delays.length > 0) {
    lines.push(
      `ccbt event-loop delay (median of runs): mean ${fixed(median(delays.map((d) => d.meanMs)), 2)} ms, ` +
        `p99 ${fixed(median(delays.map((d) => d.p99Ms)), 1)} ms, max ${
          fixed(median(delays.map((d) => d.maxMs)), 1)
        } ms`,
    );
  }
  const others = median(report.runs.map((r) => r.otherCpuSeconds));
  if (others > 0.5) {
    lines.push(
      `warning: other processes used ${
        fixed(others, 2)
      } CPU s per run (median) on this machine: the clients ` +
        `competed for the cores, so the times are noisy`,
    );
  }
  lines.push("");
  const speed = median(ccbt.map((r) => r.mibPerSecond)) / median(lt.map((r) => r.mibPerSecond));
  const rss = median(ccbt.map((r) => r.peakRssMiB));
  lines.push(
    `target: ccbt at least as fast as libtorrent: ${verdict(speed >= 1)} (ratio ${fixed(speed, 2)})`,
  );
  lines.push(
    `target: ccbt peak RSS under ${report.rssTargetMiB} MiB: ${verdict(rss < report.rssTargetMiB)} ` +
      `(${fixed(rss, 0)} MiB)`,
  );
  if (failed.length > 0) {
    lines.push(`FAIL: ${failed.length} run(s) failed:`);
    for (const run of failed) lines.push(`  ${run.client} #${run.index}: ${run.failure}`);
  }
  if (report.hashes.length > 0) lines.push("", formatHashes(report.hashes, report.pieceLength));
  return lines.join("\n");
}

/**
 * Formats the hash throughput table.
 *
 * @param hashes Throughput per backend and algorithm.
 * @param chunkBytes Bytes per digest (the piece length).
 * @returns Multi-line text.
 */
export function formatHashes(hashes: readonly HashThroughput[], chunkBytes: number): string {
  const lines = [`hash throughput (MiB/s, ${chunkBytes / 1024} KiB chunks, bench main thread)`];
  lines.push(`${"".padEnd(20)}${"native".padStart(12)}${"wasm".padStart(12)}${"native/wasm".padStart(13)}`);
  for (const algorithm of ["sha1", "sha256"] as const) {
    const of = (backend: string) =>
      hashes.find((h) => h.backend === backend && h.algorithm === algorithm)?.mibPerSecond ?? NaN;
    lines.push(
      `${algorithm.padEnd(20)}${fixed(of("native"), 0).padStart(12)}${fixed(of("wasm"), 0).padStart(12)}` +
        `${fixed(of("native") / of("wasm"), 2).padStart(13)}`,
    );
  }
  return lines.join("\n");
}

function verdict(pass: boolean): string {
  return pass ? "PASS" : "FAIL";
}

/** `value` with `digits` decimals, or `-` when it is not a finite number (a missing measurement). */
export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}
