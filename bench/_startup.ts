/**
 * The start-up bench (issue 3): a session holding 1,000 torrents' recorded state starts, adds them all, and
 * is ready once none is `checking`. Measures time to ready and peak RSS of that process
 * (`_startup_child.ts`, under GNU time after the usual memory warm-up).
 *
 * The state is built once per bench with the library: `count` small files of random bytes, a torrent of
 * each (`createTorrent`), and a complete record of each (`StateStore.put`: every have-bit set, file stamps
 * of the real files, the metainfo), so a start trusts everything and hashes nothing. Each run starts from a
 * copy of that database, since a session's checkpoints rewrite it.
 *
 * @module
 */

import { createTorrent, StateStore } from "../mod.ts";
import type { ManagedProcess } from "../tests/_helpers/process.ts";
import { benchPath, CCBT_PERMISSIONS } from "./_ccbt_command.ts";
import { machineBusySeconds, waitForIdle } from "./_cpu_usage.ts";
import { fixed, median } from "./_report.ts";
import { runTimed } from "./_timed_process.ts";
import { warmMemory } from "./_warm_memory.ts";
import { jsonLines } from "./_json_lines.ts";

/** The timed process. */
export const STARTUP_CHILD: string = benchPath("./_startup_child.ts");

/** A state directory template and the data its records describe. */
export interface StartupFixture {
  /** Directory holding the files (every record's save path; a real path). */
  dataDir: string;
  /** Directory holding the template `ccbt.db`, copied for each run. */
  templateDir: string;
  /** Torrents recorded. */
  torrents: number;
  /** Pieces over all torrents. */
  pieces: number;
}

/** Options for {@linkcode prepareStartupState}. */
export interface StartupStateOptions {
  /** Number of torrents (one file each). */
  torrents: number;
  /** Size of each file, bytes. */
  fileBytes: number;
  /** Piece length, bytes (a multiple of 16 KiB). */
  pieceLength: number;
}

/**
 * Builds (replacing whatever is there) `dir/data` with `torrents` files and `dir/template/ccbt.db` with a
 * complete record of each: all pieces had, file stamps as on disk, metainfo stored, state `seeding`.
 *
 * @param dir Directory to build in (emptied first).
 * @param options How many torrents, file size, piece length.
 * @returns Where things are.
 * @throws {RangeError} For a piece length `createTorrent` refuses.
 */
export async function prepareStartupState(
  dir: string,
  options: StartupStateOptions,
): Promise<StartupFixture> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${dir}/data`, { recursive: true });
  const dataDir = await Deno.realPath(`${dir}/data`);
  const templateDir = `${dir}/template`;
  const { store } = StateStore.open(templateDir);
  const content = new Uint8Array(options.fileBytes);
  const now = Date.now();
  let pieces = 0;
  try {
    for (let i = 0; i < options.torrents; i++) {
      const path = `${dataDir}/file-${String(i).padStart(5, "0")}.bin`;
      for (let at = 0; at < content.length; at += 65_536) {
        crypto.getRandomValues(content.subarray(at, Math.min(content.length, at + 65_536)));
      }
      await Deno.writeFile(path, content);
      const { bytes, info } = await createTorrent(path, {
        pieceLength: options.pieceLength,
        createdBy: "ccbt bench",
      });
      const stat = await Deno.stat(path);
      store.put({
        infoHash: info.infoHashHex,
        name: info.name,
        metainfo: bytes,
        savePath: dataDir,
        state: "seeding",
        pieceCount: info.pieceCount,
        totalLength: info.totalLength,
        have: fullBitfield(info.pieceCount),
        files: [{ size: stat.size, mtimeMs: stat.mtime?.getTime() ?? 0 }],
        uploaded: 0,
        downloaded: info.totalLength,
        addedAt: now + i,
        lastActiveAt: now + i,
        completedAt: now + i,
      });
      pieces += info.pieceCount;
    }
  } finally {
    store.close();
  }
  return { dataDir, templateDir, torrents: options.torrents, pieces };
}

/**
 * A have-bitfield with every piece set (BEP 3 layout, spare bits zero).
 *
 * @param pieceCount Number of pieces.
 * @returns `ceil(pieceCount / 8)` bytes.
 */
export function fullBitfield(pieceCount: number): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(pieceCount / 8)).fill(0xff);
  const spare = bytes.length * 8 - pieceCount;
  if (spare > 0) bytes[bytes.length - 1] = (0xff << spare) & 0xff;
  return bytes;
}

/** One timed start-up. */
export interface StartupRun {
  /** 1-based run number. */
  index: number;
  /** `null` when every torrent was ready with all its pieces and nothing was checked, else why not. */
  failure: string | null;
  /** Torrents added. */
  torrents: number;
  /** ms from the process's time origin to the first line of the child's code (Deno start-up, module load). */
  mainMs: number;
  /** ms from the time origin until every record was read. */
  recordsMs: number;
  /** ms from the time origin until every `addTorrent` returned. */
  addedMs: number;
  /** ms from the time origin until no torrent was `checking`: the time to ready. */
  readyMs: number;
  /** ms `session.close()` took (a final checkpoint per torrent). */
  closeMs: number;
  /** The main isolate's used heap at ready, MiB (workers not included). */
  heapUsedMiB: number;
  /** Wall seconds of the whole process (GNU time). */
  wallSeconds: number;
  /** Peak RSS, MiB. */
  peakRssMiB: number;
  /** User + system CPU seconds of the process. */
  cpuSeconds: number;
  /** CPU seconds everything else on the machine used meanwhile. */
  otherCpuSeconds: number;
}

/** Options for {@linkcode runStartupBench}. */
export interface StartupBenchOptions {
  /** From {@linkcode prepareStartupState}. */
  fixture: StartupFixture;
  /** Runs. */
  runs: number;
  /** Where state copies, time reports and stdout go. */
  workDir: string;
  /** Kill a run after this many ms. */
  timeoutMs: number;
  /** Bytes of memory the warm-up touches before each run. */
  warmBytes: number;
  /** Before each run, wait up to this many ms for the machine to go idle. */
  idleWaitMs: number;
  /** Called with each spawned process, and `undefined` once it ended. */
  track?: (process: ManagedProcess | undefined) => void;
  /** Called after each run. */
  onRun?: (run: StartupRun) => void;
}

/**
 * Times `runs` start-ups of a session over a fresh copy of the fixture's state.
 *
 * @param options Fixture, runs, directories, limits, hooks.
 * @returns The runs.
 * @throws {Error} When GNU time left no report.
 */
export async function runStartupBench(options: StartupBenchOptions): Promise<StartupRun[]> {
  const runs: StartupRun[] = [];
  for (let index = 1; index <= options.runs; index++) {
    const run = await timeStartup(index, options);
    options.onRun?.(run);
    runs.push(run);
  }
  return runs;
}

async function timeStartup(index: number, options: StartupBenchOptions): Promise<StartupRun> {
  const { fixture, workDir } = options;
  const stateDir = await Deno.makeTempDir({ dir: workDir, prefix: "startup-state-" });
  const stdoutFile = `${workDir}/startup-stdout.txt`;
  try {
    for await (const entry of Deno.readDir(fixture.templateDir)) {
      if (entry.isFile) {
        await Deno.copyFile(`${fixture.templateDir}/${entry.name}`, `${stateDir}/${entry.name}`);
      }
    }
    const idle = await waitForIdle({ maxWaitMs: options.idleWaitMs });
    if (!idle) {
      console.log(`(machine still busy after waiting ${options.idleWaitMs / 1000} s; running anyway)`);
    }
    await warmMemory(options.warmBytes);
    const machineBefore = machineBusySeconds();
    const timed = await runTimed(Deno.execPath(), {
      args: ["run", ...CCBT_PERMISSIONS, STARTUP_CHILD, stateDir],
      timeFile: `${workDir}/time.txt`,
      timeoutMs: options.timeoutMs,
      stdoutFile,
      track: options.track,
    });
    const machineCpu = machineBusySeconds() - machineBefore;
    const cpuSeconds = timed.userSeconds + timed.systemSeconds;
    const result = parseStartupOutput(await Deno.readTextFile(stdoutFile).catch(() => ""));
    let failure = result === null ? "No ready and closed lines" : startupProblem(result, fixture);
    if (timed.timedOut) failure = `Timed out after ${options.timeoutMs / 1000} s`;
    else if (timed.exitCode !== 0) failure = `Exit code ${timed.exitCode}${failure ? `: ${failure}` : ""}`;
    if (failure !== null) {
      const tail = timed.output.split("\n").slice(-10).map((l) => `    ${l}`).join("\n");
      console.error(`startup #${index} failed: ${failure}\n${tail}`);
    }
    return {
      index,
      failure,
      torrents: result?.torrents ?? 0,
      mainMs: result?.mainMs ?? NaN,
      recordsMs: result?.recordsMs ?? NaN,
      addedMs: result?.addedMs ?? NaN,
      readyMs: result?.readyMs ?? NaN,
      closeMs: result?.closeMs ?? NaN,
      heapUsedMiB: (result?.heapUsedBytes ?? NaN) / 1_048_576,
      wallSeconds: timed.wallSeconds,
      peakRssMiB: timed.maxRssKiB / 1024,
      cpuSeconds,
      otherCpuSeconds: Math.max(0, machineCpu - cpuSeconds),
    };
  } finally {
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
}

/** What `_startup_child.ts` prints, both lines merged. */
export interface StartupOutput {
  torrents: number;
  mainMs: number;
  recordsMs: number;
  addedMs: number;
  readyMs: number;
  piecesHave: number;
  pieceCount: number;
  stateWarnings: number;
  errors: number;
  alertsDropped: number;
  heapUsedBytes: number;
  externalBytes: number;
  closeMs: number;
}

/**
 * Merges the child's `ready` and `closed` lines.
 *
 * @param stdout The child's stdout.
 * @returns The merged fields, or `null` when either line is missing.
 */
export function parseStartupOutput(stdout: string): StartupOutput | null {
  let ready: Omit<StartupOutput, "closeMs"> | undefined;
  let closeMs: number | undefined;
  for (const event of jsonLines(stdout)) {
    if (event.event === "ready") ready = event as Omit<StartupOutput, "closeMs">;
    if (event.event === "closed") closeMs = event.closeMs;
  }
  return ready === undefined || closeMs === undefined ? null : { ...ready, closeMs };
}

function startupProblem(result: StartupOutput, fixture: StartupFixture): string | null {
  if (result.torrents !== fixture.torrents) return `${result.torrents} of ${fixture.torrents} torrents added`;
  if (result.errors > 0) return `${result.errors} torrents in state error`;
  if (result.piecesHave !== fixture.pieces) return `${result.piecesHave} of ${fixture.pieces} pieces had`;
  if (result.stateWarnings > 0) return `${result.stateWarnings} state warnings (data was checked)`;
  return null;
}

/**
 * Formats one run as a progress line.
 *
 * @param run The run.
 * @returns One line of text.
 */
export function formatStartupRun(run: StartupRun): string {
  const head = `startup #${run.index}`;
  if (run.failure !== null) return `${head}  FAIL: ${run.failure}`;
  return `${head}  ready ${fixed(run.readyMs, 0)} ms (main ${fixed(run.mainMs, 0)}, records read ${
    fixed(run.recordsMs, 0)
  }, all added ${fixed(run.addedMs, 0)})  close ${fixed(run.closeMs, 0)} ms  process ${
    fixed(run.wallSeconds, 2)
  } s  RSS ${fixed(run.peakRssMiB, 0)} MiB  CPU ${fixed(run.cpuSeconds, 2)} s  others ${
    fixed(run.otherCpuSeconds, 2)
  } s`;
}

/**
 * Formats the medians of the start-up runs.
 *
 * @param fixture The state the runs started from.
 * @param runs The runs.
 * @returns Multi-line text.
 */
export function formatStartupReport(fixture: StartupFixture, runs: readonly StartupRun[]): string {
  const ok = runs.filter((r) => r.failure === null);
  const m = (pick: (r: StartupRun) => number, digits: number) => fixed(median(ok.map(pick)), digits);
  const row = (label: string, value: string) => `${label.padEnd(48)}${value.padStart(9)}`;
  const n = fixture.torrents;
  const lines = [
    "",
    `startup bench: a session with ${n} torrents' recorded state (${fixture.pieces} pieces, all complete, ` +
    `files unchanged); medians of ${ok.length} runs`,
    `  (no session-level "load every recorded torrent" API yet: the process reads the records with StateStore ` +
    `and calls session.addTorrent() for each, as \`ccbt resume\` does per torrent)`,
    row("time to ready (process start -> none checking)", `${m((r) => r.readyMs, 0)} ms`),
    row("  Deno start-up and module load", `${m((r) => r.mainMs, 0)} ms`),
    row(`  reading ${n} records (StateStore list + get)`, `${m((r) => r.recordsMs - r.mainMs, 0)} ms`),
    row(`  addTorrent() x${n}`, `${m((r) => r.addedMs - r.recordsMs, 0)} ms`),
    row("  then until the last left checking", `${m((r) => r.readyMs - r.addedMs, 0)} ms`),
    row("peak RSS", `${m((r) => r.peakRssMiB, 0)} MiB`),
    row("  main isolate's used heap at ready", `${m((r) => r.heapUsedMiB, 0)} MiB`),
    row("session.close() after ready", `${m((r) => r.closeMs, 0)} ms`),
    row("whole process (GNU time)", `${m((r) => r.wallSeconds, 2)} s`) +
    `, CPU ${m((r) => r.cpuSeconds, 2)} s`,
  ];
  const failed = runs.filter((r) => r.failure !== null);
  if (failed.length > 0) {
    lines.push(`FAIL: ${failed.length} startup run(s) failed:`);
    for (const run of failed) lines.push(`  #${run.index}: ${run.failure}`);
  }
  return lines.join("\n");
}
