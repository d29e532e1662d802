/**
 * The create bench (issue 5): making a torrent of the bench payload as v1, v2 and hybrid with `ccbt create`,
 * with libtorrent's `create_torrent` (`lt_create.py`) and, for v1, with `mktorrent`, in the same run, each
 * process under GNU time after the same memory warm-up as the other parts.
 *
 * - ccbt: `deno run <perms> cli/main.ts create FILE --output X --piece-length P [--v2|--hybrid] --json`.
 * - libtorrent: `lt_create.py FILE X --version V --piece-length P` (`create_torrent` with `v1_only`, `v2_only`
 *   or no flag, `set_piece_hashes`, `bencode`); it also reports `set_piece_hashes` alone.
 * - mktorrent (v1 only): `mktorrent -l log2(P) -t THREADS -o X FILE`.
 *
 * Every tool gets the same fixed piece length, so all hash the same pieces. Each (page cache, run, version)
 * group runs every tool once, the order rotating from run to run so no tool always goes first. After a
 * group, every torrent is read back with ccbt's `parseTorrent` and must hold the requested version, piece
 * length and size; ccbt's and libtorrent's must have the same v1 and v2 info-hashes (a mismatch fails both
 * runs), and mktorrent's the same as libtorrent's (or ccbt's, when libtorrent's run failed).
 *
 * Warm runs read the payload into the page cache first; cold runs (with `cold`, as root) drop it first.
 *
 * @module
 */

import { parseTorrent } from "../mod.ts";
import { LT_PYTHON } from "../tests/_helpers/libtorrent.ts";
import type { ManagedProcess } from "../tests/_helpers/process.ts";
import { benchPath, CCBT_PERMISSIONS, CLI_MAIN } from "./_ccbt_command.ts";
import { machineBusySeconds, waitForIdle } from "./_cpu_usage.ts";
import { readThrough } from "./_payload.ts";
import { dropPageCache, type PageCache } from "./_recheck.ts";
import { runTimed } from "./_timed_process.ts";
import { warmMemory } from "./_warm_memory.ts";
import { jsonLines } from "./_json_lines.ts";

/** The libtorrent side of the create bench. */
export const LT_CREATE_SCRIPT: string = benchPath("./lt_create.py");

/** mktorrent, from the Debian package `mktorrent`. */
export const MKTORRENT = "/usr/bin/mktorrent";

/** Who makes the torrent. */
export type CreateTool = "ccbt" | "libtorrent" | "mktorrent";

/** Which kind of torrent. */
export type CreateVersion = "v1" | "v2" | "hybrid";

/** The versions, in the order the bench runs them. */
export const CREATE_VERSIONS: readonly CreateVersion[] = ["v1", "v2", "hybrid"];

/** One timed torrent creation. */
export interface CreateRun {
  /** Which tool. */
  tool: CreateTool;
  /** Which kind of torrent. */
  version: CreateVersion;
  /** Page cache state at the start. */
  cache: PageCache;
  /** 1-based run number of this tool, version and cache state. */
  index: number;
  /** `null` when the torrent was made and checks out, else why not. */
  failure: string | null;
  /** Wall seconds of the whole process (GNU time). */
  wallSeconds: number;
  /** libtorrent's `set_piece_hashes` alone, seconds (NaN for the others). */
  hashSeconds: number;
  /** Peak RSS, MiB (libtorrent's counts the file pages it maps). */
  peakRssMiB: number;
  /** Peak anonymous RSS (sampled every 100 ms), MiB. */
  peakAnonMiB: number;
  /** User + system CPU seconds of the process, all threads. */
  cpuSeconds: number;
  /** CPU seconds everything else on the machine used meanwhile. */
  otherCpuSeconds: number;
  /** Seconds the memory warm-up before this run took. */
  warmSeconds: number;
  /** v1 info-hash of the torrent made (40 hex digits; a v2-only torrent's truncated v2 hash). */
  infoHash?: string;
  /** v2 info-hash of the torrent made (64 hex digits), for v2 and hybrid. */
  infoHashV2?: string;
}

/** Options for {@linkcode runCreateBench}. */
export interface CreateBenchOptions {
  /** The payload file. */
  path: string;
  /** Its size, bytes. */
  size: number;
  /** Bytes per piece, a power of two from 16 KiB (what v2 needs; mktorrent takes its log2). */
  pieceLength: number;
  /** Runs per tool, version and cache state. */
  runs: number;
  /** Where the torrents, time reports and stdout files go. */
  workDir: string;
  /** Kill a run after this many ms. */
  timeoutMs: number;
  /** Bytes of memory the warm-up touches before each run. */
  warmBytes: number;
  /** Before each run, wait up to this many ms for the machine to go idle. */
  idleWaitMs: number;
  /** Also run with a dropped page cache (the caller checked {@linkcode dropPageCache} works). */
  cold: boolean;
  /** mktorrent's `-t` (hashing threads); `0` leaves mktorrent out. */
  mktorrentThreads: number;
  /** Versions to make (default all three). */
  versions?: readonly CreateVersion[];
  /** Write a V8 CPU profile of each ccbt run's main isolate here. */
  cpuProfDir?: string;
  /** Called with each spawned process, and `undefined` once it ended (to stop it on Ctrl-C). */
  track?: (process: ManagedProcess | undefined) => void;
  /** Called after each group of runs (one per tool), once their info-hashes were compared. */
  onRun?: (run: CreateRun) => void;
}

/** What `lt_create.py` prints. */
export interface LtCreateResult {
  /** `set_piece_hashes` alone, seconds. */
  hashSeconds: number;
  /** From `add_files` to the file written, seconds. */
  seconds: number;
  /** Piece length libtorrent used, bytes. */
  pieceLength: number;
  /** Pieces in the torrent. */
  pieces: number;
}

/**
 * Reads the `created` line of `lt_create.py`.
 *
 * @param stdout The script's stdout.
 * @returns The result, or `null` without a `created` line.
 */
export function parseLtCreate(stdout: string): LtCreateResult | null {
  const event = jsonLines(stdout).find((e) => e.event === "created");
  if (event === undefined) return null;
  return {
    hashSeconds: event.hash_seconds,
    seconds: event.seconds,
    pieceLength: event.piece_length,
    pieces: event.pieces,
  };
}

/**
 * The `-l` argument of mktorrent for a piece length: its base-2 logarithm.
 *
 * @param pieceLength Bytes per piece.
 * @returns log2 of it.
 * @throws {RangeError} When it is not a power of two from 16 KiB to 512 MiB (mktorrent's limits are 2^15 to
 *   2^28; v2 needs at least 16 KiB).
 */
export function pieceLengthLog2(pieceLength: number): number {
  const log = Math.log2(pieceLength);
  if (!Number.isInteger(log) || log < 14 || log > 29) {
    throw new RangeError(`Cannot use piece length ${pieceLength}: not a power of two from 16 KiB to 512 MiB`);
  }
  return log;
}

/** The info-hashes and shape read back from a torrent file. */
export interface MadeTorrent {
  /** v1 info-hash (a v2-only torrent's truncated v2 hash), 40 hex digits. */
  infoHash: string;
  /** v2 info-hash, 64 hex digits, when the torrent has one. */
  infoHashV2?: string;
}

/**
 * Reads a torrent a tool made with `parseTorrent` and checks it is what was asked for.
 *
 * @param bytes The .torrent file.
 * @param want Version, piece length (bytes) and total size (bytes) asked for.
 * @returns Its info-hashes, or why it is not what was asked for (a parse error included).
 */
export function readMadeTorrent(
  bytes: Uint8Array,
  want: { version: CreateVersion; pieceLength: number; size: number },
): MadeTorrent | string {
  let info;
  try {
    info = parseTorrent(bytes);
  } catch (error) {
    return `Cannot parse the torrent: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (info.version !== want.version) return `Made a ${info.version} torrent, not ${want.version}`;
  if (info.pieceLength !== want.pieceLength) {
    return `Piece length ${info.pieceLength}, not ${want.pieceLength}`;
  }
  if (info.totalLength !== want.size) return `Total length ${info.totalLength}, not ${want.size}`;
  return { infoHash: info.infoHashHex, infoHashV2: info.infoHashV2Hex };
}

/**
 * Compares a run's info-hashes with the reference run's (libtorrent's, or ccbt's when libtorrent's failed).
 *
 * @param run A successful run with its hashes.
 * @param reference The successful run to compare with.
 * @returns `null` when both hashes agree, else what differs.
 */
export function infoHashMismatch(run: CreateRun, reference: CreateRun): string | null {
  const differs: string[] = [];
  if (run.infoHash !== reference.infoHash) {
    differs.push(`v1 info-hash ${run.infoHash} but ${reference.tool} made ${reference.infoHash}`);
  }
  if (run.infoHashV2 !== reference.infoHashV2) {
    differs.push(
      `v2 info-hash ${run.infoHashV2 ?? "none"} but ${reference.tool} made ${reference.infoHashV2 ?? "none"}`,
    );
  }
  return differs.length === 0 ? null : `Info-hash mismatch: ${differs.join("; ")}`;
}

/**
 * The tools for `version` in the order of run `index`: ccbt, libtorrent and (v1, when enabled) mktorrent,
 * rotated by one place per run.
 *
 * @param version Which kind of torrent.
 * @param index 1-based run number.
 * @param mktorrent Whether mktorrent takes part.
 * @returns The tools in running order.
 */
export function toolOrder(version: CreateVersion, index: number, mktorrent: boolean): CreateTool[] {
  const tools: CreateTool[] = version === "v1" && mktorrent
    ? ["ccbt", "libtorrent", "mktorrent"]
    : ["ccbt", "libtorrent"];
  const shift = (index - 1) % tools.length;
  return [...tools.slice(shift), ...tools.slice(0, shift)];
}

/**
 * Times every tool making every version of torrent of the payload: `runs` groups with a warm page cache, then
 * (with `cold`) `runs` with a dropped one, checking each group's info-hashes against each other.
 *
 * @param options Payload, piece length, runs, directories, limits, hooks.
 * @returns Every run, in the order they ran.
 * @throws {Error} When a cold run cannot drop the page cache, or GNU time left no report.
 * @throws {RangeError} When the piece length is not a power of two from 16 KiB to 512 MiB.
 */
export async function runCreateBench(options: CreateBenchOptions): Promise<CreateRun[]> {
  pieceLengthLog2(options.pieceLength);
  const caches: PageCache[] = options.cold ? ["warm", "cold"] : ["warm"];
  const versions = options.versions ?? CREATE_VERSIONS;
  const outDir = await Deno.makeTempDir({ dir: options.workDir, prefix: "create-" });
  const runs: CreateRun[] = [];
  try {
    for (const cache of caches) {
      for (let index = 1; index <= options.runs; index++) {
        for (const version of versions) {
          const group: CreateRun[] = [];
          for (const tool of toolOrder(version, index, options.mktorrentThreads > 0)) {
            group.push(await timeCreate({ tool, version, cache, index }, outDir, options));
          }
          checkCreateGroup(group);
          for (const run of group) options.onRun?.(run);
          runs.push(...group);
        }
      }
    }
  } finally {
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
  }
  return runs;
}

/**
 * Fails (sets `failure` of, and logs to stderr) the runs of one group (same version, cache state and run
 * number) whose info-hashes differ: ccbt's and libtorrent's from each other (both fail, as either may be
 * wrong), mktorrent's from libtorrent's (or ccbt's, when libtorrent's run failed). Runs that failed already
 * are left alone.
 *
 * @param group The runs of the group, hashes read back with {@linkcode readMadeTorrent}.
 */
export function checkCreateGroup(group: readonly CreateRun[]): void {
  const ok = (tool: CreateTool) => group.find((r) => r.tool === tool && r.failure === null);
  const lt = ok("libtorrent");
  const ccbt = ok("ccbt");
  for (const run of group) {
    const reference = run.tool === "libtorrent" ? ccbt : lt ?? (run.tool === "ccbt" ? undefined : ccbt);
    if (run.failure !== null || reference === undefined || reference === run) continue;
    const mismatch = infoHashMismatch(run, reference);
    if (mismatch !== null) {
      run.failure = mismatch;
      console.error(`create ${run.tool} ${run.version} ${run.cache} #${run.index} FAILED: ${mismatch}`);
    }
  }
}

function commandOf(
  tool: CreateTool,
  version: CreateVersion,
  output: string,
  options: CreateBenchOptions,
): [string, string[]] {
  const { path, pieceLength } = options;
  if (tool === "ccbt") {
    const profile = options.cpuProfDir === undefined
      ? []
      : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`];
    const kind = version === "v2" ? ["--v2"] : version === "hybrid" ? ["--hybrid"] : [];
    return [Deno.execPath(), [
      "run",
      ...CCBT_PERMISSIONS,
      ...profile,
      CLI_MAIN,
      "create",
      path,
      "--output",
      output,
      ...kind,
      "--piece-length",
      String(pieceLength),
      "--json",
    ]];
  }
  if (tool === "libtorrent") {
    return [LT_PYTHON, [
      LT_CREATE_SCRIPT,
      path,
      output,
      "--version",
      version,
      "--piece-length",
      String(pieceLength),
    ]];
  }
  return [MKTORRENT, [
    "-l",
    String(pieceLengthLog2(pieceLength)),
    "-t",
    String(options.mktorrentThreads),
    "-o",
    output,
    path,
  ]];
}

async function timeCreate(
  run: { tool: CreateTool; version: CreateVersion; cache: PageCache; index: number },
  outDir: string,
  options: CreateBenchOptions,
): Promise<CreateRun> {
  const { tool, version, cache } = run;
  const output = `${outDir}/${tool}-${version}.torrent`;
  const stdoutFile = `${options.workDir}/create-${tool}-stdout.txt`;
  // mktorrent refuses to overwrite; nobody should find an old torrent to pass off as its own.
  await Deno.remove(output).catch(() => {});
  if (cache === "warm") await readThrough(options.path);
  const idle = await waitForIdle({ maxWaitMs: options.idleWaitMs });
  if (!idle) console.log(`(machine still busy after waiting ${options.idleWaitMs / 1000} s; running anyway)`);
  if (cache === "cold" && !(await dropPageCache())) {
    throw new Error("Cannot drop the page cache: /proc/sys/vm/drop_caches is not writable");
  }
  const warmSeconds = await warmMemory(options.warmBytes);
  const [command, args] = commandOf(tool, version, output, options);
  const machineBefore = machineBusySeconds();
  const timed = await runTimed(command, {
    args,
    timeFile: `${options.workDir}/time.txt`,
    timeoutMs: options.timeoutMs,
    stdoutFile,
    track: options.track,
  });
  const machineCpu = machineBusySeconds() - machineBefore;
  const cpuSeconds = timed.userSeconds + timed.systemSeconds;
  const stdout = await Deno.readTextFile(stdoutFile).catch(() => "");

  let failure: string | null = null;
  let hashSeconds = NaN;
  let made: MadeTorrent | undefined;
  if (tool === "libtorrent") {
    const result = parseLtCreate(stdout);
    if (result === null) failure = "No created event";
    else hashSeconds = result.hashSeconds;
  }
  if (timed.timedOut) failure = `Timed out after ${options.timeoutMs / 1000} s`;
  else if (timed.exitCode !== 0) failure = `Exit code ${timed.exitCode}${failure ? `: ${failure}` : ""}`;
  if (failure === null) {
    const bytes = await Deno.readFile(output).catch(() => null);
    const read = bytes === null
      ? "No torrent written"
      : readMadeTorrent(bytes, { version, pieceLength: options.pieceLength, size: options.size });
    if (typeof read === "string") failure = read;
    else made = read;
  }
  if (failure !== null) {
    const lines = [...stdout.trim().split("\n").slice(-5), ...timed.output.split("\n").slice(-10)];
    console.error(
      `create ${tool} ${version} ${cache} #${run.index} failed: ${failure}\n${
        lines.map((l) => `    ${l}`).join("\n")
      }`,
    );
  }
  return {
    ...run,
    failure,
    wallSeconds: timed.wallSeconds,
    hashSeconds,
    peakRssMiB: timed.maxRssKiB / 1024,
    peakAnonMiB: timed.peakAnonKiB / 1024,
    cpuSeconds,
    otherCpuSeconds: Math.max(0, machineCpu - cpuSeconds),
    warmSeconds,
    infoHash: made?.infoHash,
    infoHashV2: made?.infoHashV2,
  };
}
