/**
 * The recheck bench (issue 3): `ccbt recheck` of the bench payload against libtorrent's check of the same data,
 * alternating, each run under GNU time after the same memory warm-up as the download runs.
 *
 * - ccbt: `deno run <perms> cli/main.ts recheck X.torrent --dir DIR --state-dir FRESH --json`, a fresh state
 *   directory each run so every piece is hashed. Timed twice: the whole process (GNU time: Deno start-up,
 *   state database, check, exit) and the check alone (from its `checking` state event to its `done` event,
 *   ms resolution).
 * - libtorrent: `lt_recheck.py`, which adds the torrent with no resume data, not auto-managed (so the check
 *   starts at once, not at the session's next auto-manage tick), and times libtorrent's hashing of everything
 *   (the "initial check", same work) and, with a warm page cache, then `force_recheck()` as well: the number
 *   the target compares with. Both are timed inside the process, from the call to the `torrent_checked_alert`.
 *
 * Warm runs read the payload into the page cache first. Cold runs (when `/proc/sys/vm/drop_caches` is
 * writable, i.e. as root) drop the page cache first, so the check reads from the disk; libtorrent's cold
 * number is its initial check, as a `force_recheck()` after it would read warm data.
 *
 * @module
 */

import { LT_PYTHON } from "../tests/_helpers/libtorrent.ts";
import type { ManagedProcess } from "../tests/_helpers/process.ts";
import { benchPath, CCBT_PERMISSIONS, CLI_MAIN } from "./_ccbt_command.ts";
import { machineBusySeconds, waitForIdle } from "./_cpu_usage.ts";
import { type Payload, readThrough } from "./_payload.ts";
import { runTimed } from "./_timed_process.ts";
import { warmMemory } from "./_warm_memory.ts";
import { jsonLines } from "./_json_lines.ts";

const MIB = 1_048_576;

/** The libtorrent side of the recheck bench. */
export const LT_RECHECK_SCRIPT: string = benchPath("./lt_recheck.py");

/** Who checks. */
export type RecheckClient = "ccbt" | "libtorrent";

/** Whether the payload was in the page cache when the check started. */
export type PageCache = "warm" | "cold";

/** One timed check. */
export interface RecheckRun {
  /** Which client. */
  client: RecheckClient;
  /** Page cache state at the start. */
  cache: PageCache;
  /** 1-based run number of this client and cache state. */
  index: number;
  /** `null` when every piece was verified, else why not. */
  failure: string | null;
  /** Wall seconds of the whole process (GNU time). */
  wallSeconds: number;
  /**
   * Seconds of the check alone: ccbt from its `checking` to its `done` event; libtorrent its
   * `force_recheck()` (warm) or its initial check (cold).
   */
  checkSeconds: number;
  /** libtorrent's initial check in seconds (NaN for ccbt; equal to `checkSeconds` when cold). */
  initialCheckSeconds: number;
  /** Peak RSS, MiB (libtorrent's counts the mapped file pages). */
  peakRssMiB: number;
  /** Peak anonymous RSS (sampled every 100 ms), MiB. */
  peakAnonMiB: number;
  /** User + system CPU seconds of the process. */
  cpuSeconds: number;
  /** CPU seconds everything else on the machine used meanwhile. */
  otherCpuSeconds: number;
  /** Seconds the memory warm-up before this run took. */
  warmSeconds: number;
  /** libtorrent's `hashing_threads` in this run (NaN for ccbt). */
  hashingThreads: number;
}

/** Options for {@linkcode runRecheckBench}. */
export interface RecheckBenchOptions {
  /** The bench payload and its torrent. */
  payload: Payload;
  /** Runs per client and cache state. */
  runs: number;
  /** Where state directories, time reports and stdout files go. */
  workDir: string;
  /** Kill a run after this many ms. */
  timeoutMs: number;
  /** Bytes of memory the warm-up touches before each run. */
  warmBytes: number;
  /** Before each run, wait up to this many ms for the machine to go idle. */
  idleWaitMs: number;
  /** Also run with a dropped page cache (the caller checked {@linkcode dropPageCache} works). */
  cold: boolean;
  /** ccbt's `--hash-backend`. */
  hashBackend: "native" | "wasm";
  /** libtorrent's `hashing_threads` (default: libtorrent's default, 1 in 2.0). */
  ltHashingThreads?: number;
  /** Write a V8 CPU profile of each ccbt run's main isolate here. */
  cpuProfDir?: string;
  /** Called with each spawned process, and `undefined` once it ended (to stop it on Ctrl-C). */
  track?: (process: ManagedProcess | undefined) => void;
  /** Called after each run. */
  onRun?: (run: RecheckRun) => void;
}

/**
 * Writes dirty pages back and drops the page cache (`echo 3 > /proc/sys/vm/drop_caches`; needs root).
 *
 * @returns Whether the cache was dropped.
 */
export async function dropPageCache(): Promise<boolean> {
  const sync = await new Deno.Command("sync", { stdout: "null", stderr: "null" }).output();
  try {
    await Deno.writeTextFile("/proc/sys/vm/drop_caches", "3\n");
    return sync.success;
  } catch {
    return false;
  }
}

/** What ccbt's NDJSON output of `ccbt recheck --json` says about the check. */
export interface CcbtRecheckResult {
  /** ms from the `checking` state event to the `done` event, as seconds. */
  checkSeconds: number;
  /** Pieces verified, from the `done` event's reason. */
  piecesHave: number;
  /** Pieces in the torrent. */
  pieceCount: number;
}

/**
 * Reads `ccbt recheck --json` output: the first `state` event with state `checking`, and the `done` event
 * ("checked: H of N pieces verified ...").
 *
 * @param ndjson The command's stdout.
 * @returns The check time and counts, or `null` when either event is missing.
 */
export function parseCcbtRecheck(ndjson: string): CcbtRecheckResult | null {
  let started: number | undefined;
  for (const event of jsonLines(ndjson)) {
    if (event.event === "state" && event.state === "checking") started ??= event.time;
    const counts = event.event === "done" ? /checked: (\d+) of (\d+) pieces/.exec(event.reason ?? "") : null;
    if (counts !== null && started !== undefined) {
      return {
        checkSeconds: (event.time - started) / 1000,
        piecesHave: Number(counts[1]),
        pieceCount: Number(counts[2]),
      };
    }
  }
  return null;
}

/** What `lt_recheck.py` prints. */
export interface LtRecheckResult {
  /** The timed check (the `force_recheck()` in mode `force`), seconds. */
  seconds: number;
  /** The initial check, seconds. */
  initialSeconds: number;
  /** Pieces verified. */
  pieces: number;
  /** Pieces in the torrent. */
  total: number;
  /** libtorrent's `hashing_threads` setting. */
  hashingThreads: number;
}

/**
 * Reads the `checked` line of `lt_recheck.py`.
 *
 * @param stdout The script's stdout.
 * @returns The result, or `null` without a `checked` line.
 */
export function parseLtRecheck(stdout: string): LtRecheckResult | null {
  const event = jsonLines(stdout).find((e) => e.event === "checked");
  if (event === undefined) return null;
  return {
    seconds: event.seconds,
    initialSeconds: event.initial_seconds,
    pieces: event.pieces,
    total: event.total,
    hashingThreads: event.hashing_threads,
  };
}

/**
 * Times `ccbt recheck` and libtorrent's check of the payload, alternating, `runs` times each with a warm page
 * cache, then (with `cold`) `runs` times each with a dropped one.
 *
 * @param options Payload, runs, directories, limits, hooks.
 * @returns Every run, in the order they ran.
 * @throws {Error} When a cold run cannot drop the page cache, or GNU time left no report.
 */
export async function runRecheckBench(options: RecheckBenchOptions): Promise<RecheckRun[]> {
  const caches: PageCache[] = options.cold ? ["warm", "cold"] : ["warm"];
  const runs: RecheckRun[] = [];
  for (const cache of caches) {
    for (let index = 1; index <= options.runs; index++) {
      for (const client of ["ccbt", "libtorrent"] as const) {
        const run = await timeRecheck(client, cache, index, options);
        options.onRun?.(run);
        runs.push(run);
      }
    }
  }
  return runs;
}

function ccbtArgs(options: RecheckBenchOptions, stateDir: string): string[] {
  const profile = options.cpuProfDir === undefined
    ? []
    : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`];
  return [
    "run",
    ...CCBT_PERMISSIONS,
    ...profile,
    CLI_MAIN,
    "recheck",
    options.payload.torrentPath,
    "--dir",
    options.payload.dataDir,
    "--state-dir",
    stateDir,
    "--json",
    "--hash-backend",
    options.hashBackend,
  ];
}

function ltArgs(options: RecheckBenchOptions, cache: PageCache): string[] {
  const { torrentPath, dataDir } = options.payload;
  const threads = options.ltHashingThreads === undefined
    ? []
    : ["--hashing-threads", String(options.ltHashingThreads)];
  return [
    LT_RECHECK_SCRIPT,
    torrentPath,
    dataDir,
    "--mode",
    cache === "warm" ? "force" : "initial",
    ...threads,
  ];
}

async function timeRecheck(
  client: RecheckClient,
  cache: PageCache,
  index: number,
  options: RecheckBenchOptions,
): Promise<RecheckRun> {
  const { payload, workDir } = options;
  const stateDir = await Deno.makeTempDir({ dir: workDir, prefix: "recheck-state-" });
  const stdoutFile = `${workDir}/recheck-${client}-stdout.txt`;
  try {
    if (cache === "warm") await readThrough(payload.path);
    const idle = await waitForIdle({ maxWaitMs: options.idleWaitMs });
    if (!idle) {
      console.log(`(machine still busy after waiting ${options.idleWaitMs / 1000} s; running anyway)`);
    }
    if (cache === "cold" && !(await dropPageCache())) {
      throw new Error("Cannot drop the page cache: /proc/sys/vm/drop_caches is not writable");
    }
    const warmSeconds = await warmMemory(options.warmBytes);
    const [command, args] = client === "ccbt"
      ? [Deno.execPath(), ccbtArgs(options, stateDir)]
      : [LT_PYTHON, ltArgs(options, cache)];
    const machineBefore = machineBusySeconds();
    const timed = await runTimed(command, {
      args,
      timeFile: `${workDir}/time.txt`,
      timeoutMs: options.timeoutMs,
      stdoutFile,
      track: options.track,
    });
    const machineCpu = machineBusySeconds() - machineBefore;
    const cpuSeconds = timed.userSeconds + timed.systemSeconds;
    const stdout = await Deno.readTextFile(stdoutFile).catch(() => "");

    let checkSeconds = NaN;
    let initialCheckSeconds = NaN;
    let hashingThreads = NaN;
    let failure: string | null = null;
    if (client === "ccbt") {
      const result = parseCcbtRecheck(stdout);
      if (result !== null) checkSeconds = result.checkSeconds;
      failure = result === null
        ? "No checking and done events"
        : result.piecesHave !== result.pieceCount
        ? `Only ${result.piecesHave} of ${result.pieceCount} pieces verified`
        : null;
    } else {
      const result = parseLtRecheck(stdout);
      if (result !== null) {
        [checkSeconds, initialCheckSeconds] = [result.seconds, result.initialSeconds];
        hashingThreads = result.hashingThreads;
      }
      failure = result === null
        ? "No checked event"
        : result.pieces !== result.total
        ? `Only ${result.pieces} of ${result.total} pieces verified`
        : null;
    }
    if (timed.timedOut) failure = `Timed out after ${options.timeoutMs / 1000} s`;
    else if (timed.exitCode !== 0) failure = `Exit code ${timed.exitCode}${failure ? `: ${failure}` : ""}`;
    if (failure !== null) {
      const lines = [...stdout.trim().split("\n").slice(-5), ...timed.output.split("\n").slice(-10)];
      console.error(
        `${client} ${cache} #${index} failed: ${failure}\n${lines.map((l) => `    ${l}`).join("\n")}`,
      );
    }
    return {
      client,
      cache,
      index,
      failure,
      wallSeconds: timed.wallSeconds,
      checkSeconds,
      initialCheckSeconds,
      peakRssMiB: timed.maxRssKiB / 1024,
      peakAnonMiB: timed.peakAnonKiB / 1024,
      cpuSeconds,
      otherCpuSeconds: Math.max(0, machineCpu - cpuSeconds),
      warmSeconds,
      hashingThreads,
    };
  } finally {
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
}

/** Payload MiB per second for `seconds`, NaN when not measured. */
export function mibPerSecond(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / MIB / seconds : NaN;
}
