/**
 * `deno task bench`: ccbt against libtorrent on loopback.
 *
 * Makes (or reuses) a single-file payload of pseudo-random bytes and its torrent (256 KiB pieces, ccbt's
 * `createTorrent`), seeds it with libtorrent on 127.0.0.1 (data checked first, no rate limits), then
 * downloads it with the ccbt CLI and with libtorrent's client, alternating, `--runs` times each. Every run
 * gets the same memory warm-up right before it starts (see `_warm_memory.ts`), starts from an empty output
 * directory, runs under GNU time (wall s, peak RSS, CPU s of the process, threads included) and is checked
 * byte for byte with `cmp`. Prints each run, then the medians, the ratios ccbt/libtorrent, the targets, and
 * SHA-1/SHA-256 throughput of both hash backends.
 *
 * Issue 3 adds two parts: the recheck of the payload by `ccbt recheck` and by libtorrent (`_recheck.ts`, warm
 * and, as root, cold page cache), and the start-up of a session holding 1,000 torrents' recorded state
 * (`_startup.ts`). Issue 5 adds the creation of a v1, v2 and hybrid torrent of the payload by `ccbt create`,
 * libtorrent's `create_torrent` and (v1) mktorrent (`_create.ts`, fixed `--piece-length`, warm and, as root,
 * cold page cache), then times `create_floor.ts`, the least any Deno program can do for v1 piece hashes.
 * `--only download|recheck|startup|hash|create` runs one part; all run by default.
 *
 * Usage: `deno task bench [--only PART] [--size MiB] [--runs N] [--dir DIR] [--timeout S] [--warm MiB]
 * [--no-eld] [--cpu-prof DIR] [--hash-backend native|wasm] [--hash-mib MiB] [--idle-wait S] [--no-cold]
 * [--lt-hashing-threads N] [--startup-torrents N] [--piece-length KiB] [--mktorrent-threads N]`
 *
 * The VMs are shared (other test runs use the same 2 cores), so before each run the bench waits up to
 * `--idle-wait` seconds for the machine to go idle, and each run reports the CPU the seeder and everything
 * else used meanwhile.
 *
 * @module
 */

import { join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import {
  type LibtorrentSeeder,
  LT_PEER_SCRIPT,
  LT_PYTHON,
  startLibtorrentSeeder,
} from "../tests/_helpers/libtorrent.ts";
import type { ManagedProcess } from "../tests/_helpers/process.ts";
import type { EventLoopDelaySummary } from "./_event_loop_delay.ts";
import { benchPath, CCBT_PERMISSIONS, CLI_MAIN } from "./_ccbt_command.ts";
import { findChildPid, machineBusySeconds, processCpuSeconds, waitForIdle } from "./_cpu_usage.ts";
import { MKTORRENT, runCreateBench } from "./_create.ts";
import { formatCreateReport, formatCreateRun } from "./_create_report.ts";
import { formatCreateFloor, runCreateFloor } from "./_create_floor_run.ts";
import { measureHashThroughput } from "./_hash_throughput.ts";
import { type Payload, preparePayload, readThrough } from "./_payload.ts";
import { dropPageCache, runRecheckBench } from "./_recheck.ts";
import { formatRecheckReport, formatRecheckRun } from "./_recheck_report.ts";
import { type ClientName, type ClientRun, formatHashes, formatReport, formatRun } from "./_report.ts";
import { formatStartupReport, formatStartupRun, prepareStartupState, runStartupBench } from "./_startup.ts";
import { GNU_TIME, runTimed, type TimedRun } from "./_timed_process.ts";
import { warmMemory } from "./_warm_memory.ts";

const MIB = 1_048_576;
const PIECE_LENGTH = 256 * 1024;
const RSS_TARGET_MIB = 256;
const CCBT_WITH_ELD = benchPath("./ccbt_with_eld.ts");
const PARTS = ["download", "recheck", "startup", "hash", "create"] as const;
/** Start-up bench: one file of this many bytes per torrent, in pieces of 16 KiB. */
const STARTUP_FILE_BYTES = 64 * 1024;
const STARTUP_PIECE_LENGTH = 16 * 1024;

/** A part of the bench `--only` can select. */
type Part = typeof PARTS[number];

/** Parsed command line. */
interface BenchOptions {
  only?: Part;
  size: number;
  runs: number;
  dir: string;
  timeout: number;
  warm?: number;
  eld: boolean;
  cpuProf?: string;
  hashBackend: "native" | "wasm";
  hashMib: number;
  idleWait: number;
  cold: boolean;
  ltHashingThreads?: number;
  startupTorrents: number;
  pieceLength: number;
  mktorrentThreads: number;
}

/** Everything that must be stopped on exit. */
const running = new Set<{ close(): Promise<unknown> }>();

function parseWhole(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("Expected a whole number");
  return Number(value);
}

function parsePart(value: string): Part {
  const part = PARTS.find((p) => p === value);
  if (part === undefined) throw new InvalidArgumentError(`Expected one of ${PARTS.join(", ")}`);
  return part;
}

function parseArgs(args: string[]): BenchOptions {
  const cli = new Command("bench")
    .description(
      "compare ccbt with libtorrent: download, recheck, create; time a 1,000-torrent start-up; hash speed",
    )
    .option("--only <part>", `run one part: ${PARTS.join(", ")} (default: all)`, parsePart)
    .option("--size <MiB>", "payload size in MiB", parseWhole, 1024)
    .option("--runs <n>", "timed runs per client", parseWhole, 3)
    .option("--dir <dir>", "work directory (payload kept between runs)", "/tmp/ccbt-bench")
    .option("--timeout <seconds>", "per-run timeout", parseWhole, 600)
    .option(
      "--warm <MiB>",
      "memory to touch before each run (default: size + 512; startup, create: 512)",
      parseWhole,
    )
    .option("--no-eld", "run cli/main.ts directly, without the event-loop delay sampler")
    .option("--cpu-prof <dir>", "write a V8 CPU profile of each ccbt run's main isolate into this directory")
    .option("--hash-backend <backend>", "ccbt's --hash-backend (native or wasm)", "native")
    .option("--hash-mib <MiB>", "MiB hashed per backend and algorithm (0 skips)", parseWhole, 256)
    .option(
      "--idle-wait <seconds>",
      "before each run, wait up to this long for the machine to be idle",
      parseWhole,
      30,
    )
    .option("--no-cold", "recheck: skip the runs with a dropped page cache")
    .option(
      "--lt-hashing-threads <n>",
      "recheck: libtorrent's hashing_threads (default: its own)",
      parseWhole,
    )
    .option("--startup-torrents <n>", "startup: torrents in the recorded state", parseWhole, 1000)
    .option(
      "--piece-length <KiB>",
      "create: piece length of every tool, KiB (a power of two)",
      parseWhole,
      1024,
    )
    .option("--mktorrent-threads <n>", "create: mktorrent's -t (0 leaves mktorrent out)", parseWhole, 2)
    .parse(args, { from: "user" });
  const options = cli.opts<BenchOptions>();
  if (options.size < 1 || options.runs < 1 || options.startupTorrents < 1) {
    cli.error("--size, --runs and --startup-torrents must be at least 1");
  }
  if (options.hashBackend !== "native" && options.hashBackend !== "wasm") cli.error("Bad --hash-backend");
  const pieceKiB = options.pieceLength;
  if (pieceKiB < 16 || pieceKiB > 524_288 || (pieceKiB & (pieceKiB - 1)) !== 0) {
    cli.error("--piece-length must be a power of two from 16 to 524288 (KiB)");
  }
  return options;
}

async function requireTools(parts: ReadonlySet<Part>, mktorrent: boolean): Promise<void> {
  const missing: string[] = [];
  const tools = [[GNU_TIME, "time"], [LT_PYTHON, "python3-libtorrent"]];
  if (parts.has("create") && mktorrent) tools.push([MKTORRENT, "mktorrent"]);
  for (const [path, pkg] of tools) {
    if (!(await Deno.stat(path).then(() => true, () => false))) {
      missing.push(`${path} (apt-get install ${pkg})`);
    }
  }
  if (missing.length > 0) throw new Error(`Cannot run the bench: missing ${missing.join(", ")}`);
}

/** Runs a short command and throws with its stderr when it fails. */
async function exec(command: string, args: string[]): Promise<Deno.CommandOutput> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `Cannot run ${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return out;
}

/** Whether `a` and `b` are byte-identical: `null`, else what differs. */
async function compareFiles(a: string, b: string): Promise<string | null> {
  const out = await new Deno.Command("cmp", { args: [a, b], stdout: "piped", stderr: "piped" }).output();
  if (out.code === 0) return null;
  const text = new TextDecoder().decode(out.code === 1 ? out.stdout : out.stderr).trim();
  return `Downloaded file differs from the payload: ${text}`;
}

function ccbtCommand(options: BenchOptions, payload: Payload, outDir: string, seederPort: number): string[] {
  const profile = options.cpuProf === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProf}`];
  return [
    "run",
    ...CCBT_PERMISSIONS,
    ...profile,
    options.eld ? CCBT_WITH_ELD : CLI_MAIN,
    "download",
    payload.torrentPath,
    "-o",
    outDir,
    "--peer",
    `127.0.0.1:${seederPort}`,
    "--port",
    "0",
    "--no-seed",
    "--json",
    "--hash-backend",
    options.hashBackend,
    // Resume state goes inside the output directory, which every run starts without.
    "--state-dir",
    join(outDir, ".ccbt-state"),
    // Only the seeder on loopback, as libtorrent is run: no public DHT, no LAN discovery.
    "--no-dht",
    "--no-lsd",
  ];
}

function libtorrentCommand(payload: Payload, outDir: string, seederPort: number): string[] {
  return ["-u", LT_PEER_SCRIPT, "leech", payload.torrentPath, outDir, "--peer", `127.0.0.1:${seederPort}`];
}

async function timeOneRun(
  client: ClientName,
  index: number,
  context: { options: BenchOptions; payload: Payload; seeder: LibtorrentSeeder; seederPid?: number },
): Promise<ClientRun> {
  const { options, payload, seeder, seederPid } = context;
  const outDir = `${options.dir}/out`;
  const eldFile = `${options.dir}/eld.json`;
  const stdoutFile = `${options.dir}/${client}-stdout.txt`;
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  await Deno.remove(eldFile).catch(() => {});
  await Deno.mkdir(outDir, { recursive: true });

  const idle = await waitForIdle({ maxWaitMs: options.idleWait * 1000 });
  if (!idle) console.log(`(machine still busy after waiting ${options.idleWait} s; running anyway)`);
  const warmSeconds = await warmMemory((options.warm ?? options.size + 512) * MIB);
  const [command, args] = client === "ccbt"
    ? [Deno.execPath(), ccbtCommand(options, payload, outDir, seeder.port)]
    : [LT_PYTHON, libtorrentCommand(payload, outDir, seeder.port)];
  const seederBefore = seederPid === undefined ? NaN : processCpuSeconds(seederPid);
  const machineBefore = machineBusySeconds();
  const timed: TimedRun = await runTimed(command, {
    args,
    timeFile: `${options.dir}/time.txt`,
    timeoutMs: options.timeout * 1000,
    stdoutFile,
    env: client === "ccbt" && options.eld ? { CCBT_BENCH_ELD_FILE: eldFile } : undefined,
    track: tracker(),
  });

  const machineCpu = machineBusySeconds() - machineBefore;
  const seederCpu = seederPid === undefined ? NaN : processCpuSeconds(seederPid) - seederBefore;
  const cpuSeconds = timed.userSeconds + timed.systemSeconds;
  const stdout = await Deno.readTextFile(stdoutFile).catch(() => "");

  let failure: string | null = null;
  if (timed.timedOut) failure = `Timed out after ${options.timeout} s`;
  else if (timed.exitCode !== 0) failure = `Exit code ${timed.exitCode}`;
  else if (client === "libtorrent" && !stdout.includes('"event":"finished"')) {
    failure = "No finished event";
  } else failure = await compareFiles(payload.path, `${outDir}/${payload.name}`);
  if (failure !== null) {
    const lines = [...stdout.trim().split("\n").slice(-10), ...timed.output.split("\n").slice(-10)];
    const tail = lines.map((l) => `    ${l}`).join("\n");
    console.error(`${client} #${index} failed: ${failure}\n${tail}`);
  }
  let eventLoopDelay: EventLoopDelaySummary | undefined;
  if (client === "ccbt" && options.eld) {
    eventLoopDelay = await Deno.readTextFile(eldFile).then((text) => JSON.parse(text), () => undefined);
  }
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  return {
    client,
    index,
    failure,
    wallSeconds: timed.wallSeconds,
    mibPerSecond: payload.size / MIB / timed.wallSeconds,
    peakRssMiB: timed.maxRssKiB / 1024,
    peakAnonMiB: timed.peakAnonKiB / 1024,
    cpuSeconds,
    seederCpuSeconds: seederCpu,
    otherCpuSeconds: Math.max(0, machineCpu - cpuSeconds - (Number.isNaN(seederCpu) ? 0 : seederCpu)),
    warmSeconds,
    eventLoopDelay,
  };
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((p) => p.close()));
  running.clear();
}

/** Tracks a spawned client for `stopAll`, forgetting the previous one. */
function tracker(): (process: ManagedProcess | undefined) => void {
  let tracked: ManagedProcess | undefined;
  return (process) => {
    if (tracked !== undefined) running.delete(tracked);
    tracked = process;
    if (process !== undefined) running.add(process);
  };
}

/** The download part: a libtorrent seeder, ccbt and libtorrent downloading alternately. Returns failed runs. */
async function benchDownload(options: BenchOptions, payload: Payload): Promise<number> {
  // Not seed mode: a seed-mode libtorrent hashes each piece the first time it is requested, which would load
  // the first timed run only. A full check up front leaves the seeder in the same state for every run.
  const seeder = await startLibtorrentSeeder({
    torrentPath: payload.torrentPath,
    dataDir: payload.dataDir,
    readyTimeoutMs: 300_000,
  });
  running.add(seeder);
  const seederPid = findChildPid("lt_peer.py seed");
  console.log(`seeder: libtorrent on 127.0.0.1:${seeder.port}; load average ${loadAverage()}`);

  const runs: ClientRun[] = [];
  try {
    for (let index = 1; index <= options.runs; index++) {
      for (const client of ["ccbt", "libtorrent"] as const) {
        const run = await timeOneRun(client, index, { options, payload, seeder, seederPid });
        console.log(formatRun(run));
        runs.push(run);
      }
    }
  } finally {
    running.delete(seeder);
    await seeder.close();
  }
  console.log(
    formatReport({
      sizeMiB: options.size,
      pieceLength: PIECE_LENGTH,
      runs,
      hashes: [],
      rssTargetMiB: RSS_TARGET_MIB,
    }),
  );
  return runs.filter((r) => r.failure !== null).length;
}

/** What every timed part takes from the options; `defaultWarmMiB` is the part's warm-up when `--warm` is not given. */
function timedRuns(options: BenchOptions, defaultWarmMiB: number) {
  return {
    runs: options.runs,
    workDir: options.dir,
    timeoutMs: options.timeout * 1000,
    warmBytes: (options.warm ?? defaultWarmMiB) * MIB,
    idleWaitMs: options.idleWait * 1000,
    track: tracker(),
  };
}

/** Whether a part also runs with a dropped page cache, and why not when it does not. */
async function coldCache(options: BenchOptions): Promise<{ cold: boolean; coldSkipped?: string }> {
  const cold = options.cold && await dropPageCache();
  const coldSkipped = options.cold
    ? cold ? undefined : "cannot write /proc/sys/vm/drop_caches (not root?)"
    : "--no-cold";
  return { cold, coldSkipped };
}

/** The recheck part. Returns failed runs. */
async function benchRecheck(options: BenchOptions, payload: Payload): Promise<number> {
  const { cold, coldSkipped } = await coldCache(options);
  console.log(`recheck: ${cold ? "warm and cold" : "warm"} page cache; load average ${loadAverage()}`);
  const runs = await runRecheckBench({
    ...timedRuns(options, options.size + 512),
    payload,
    cold,
    hashBackend: options.hashBackend,
    ltHashingThreads: options.ltHashingThreads,
    cpuProfDir: options.cpuProf,
    onRun: (run) => console.log(formatRecheckRun(run, payload.size)),
  });
  console.log(formatRecheckReport({ sizeBytes: payload.size, pieceLength: PIECE_LENGTH, runs, coldSkipped }));
  return runs.filter((r) => r.failure !== null).length;
}

/** The create part. Returns failed runs. */
async function benchCreate(options: BenchOptions, payload: Payload): Promise<number> {
  const { cold, coldSkipped } = await coldCache(options);
  console.log(`create: ${cold ? "warm and cold" : "warm"} page cache; load average ${loadAverage()}`);
  const pieceLength = options.pieceLength * 1024;
  const common = { ...timedRuns(options, 512), path: payload.path, pieceLength };
  const runs = await runCreateBench({
    ...common,
    size: payload.size,
    cold,
    mktorrentThreads: options.mktorrentThreads,
    cpuProfDir: options.cpuProf,
    onRun: (run) => console.log(formatCreateRun(run, payload.size)),
  });
  console.log(formatCreateReport({
    sizeBytes: payload.size,
    pieceLength,
    mktorrentThreads: options.mktorrentThreads,
    runs,
    coldSkipped,
  }));
  console.log(formatCreateFloor(await runCreateFloor(common), payload.size));
  return runs.filter((r) => r.failure !== null).length;
}

/** The start-up part. Returns failed runs. */
async function benchStartup(options: BenchOptions): Promise<number> {
  const started = performance.now();
  const fixture = await prepareStartupState(`${options.dir}/startup`, {
    torrents: options.startupTorrents,
    fileBytes: STARTUP_FILE_BYTES,
    pieceLength: STARTUP_PIECE_LENGTH,
  });
  console.log(
    `startup: state of ${fixture.torrents} torrents (${STARTUP_FILE_BYTES / 1024} KiB file each) made in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s; load average ${loadAverage()}`,
  );
  const runs = await runStartupBench({
    ...timedRuns(options, 512),
    fixture,
    onRun: (run) => console.log(formatStartupRun(run)),
  });
  console.log(formatStartupReport(fixture, runs));
  return runs.filter((r) => r.failure !== null).length;
}

async function bench(options: BenchOptions): Promise<number> {
  const parts = new Set<Part>(options.only === undefined ? PARTS : [options.only]);
  await requireTools(parts, options.mktorrentThreads > 0);
  await Deno.mkdir(options.dir, { recursive: true });
  if (options.cpuProf !== undefined) await Deno.mkdir(options.cpuProf, { recursive: true });

  let failed = 0;
  if (parts.has("download") || parts.has("recheck") || parts.has("startup") || parts.has("create")) {
    // Compile and cache ccbt's modules once, so no timed run pays for it.
    await exec(Deno.execPath(), ["run", ...CCBT_PERMISSIONS, CCBT_WITH_ELD, "--version"]);
  }
  if (parts.has("download") || parts.has("recheck") || parts.has("create")) {
    const started = performance.now();
    const payload = await preparePayload(options.dir, {
      size: options.size * MIB,
      pieceLength: PIECE_LENGTH,
    });
    console.log(
      `payload: ${payload.path} (${options.size} MiB, info-hash ${payload.infoHash}, ` +
        `${payload.reused ? "reused" : `made in ${((performance.now() - started) / 1000).toFixed(1)} s`})`,
    );
    await readThrough(payload.path);
    if (parts.has("download")) failed += await benchDownload(options, payload);
    if (parts.has("recheck")) failed += await benchRecheck(options, payload);
    if (parts.has("create")) failed += await benchCreate(options, payload);
  }
  if (parts.has("startup")) failed += await benchStartup(options);
  if (parts.has("hash") && options.hashMib > 0) {
    const hashes = await measureHashThroughput({
      totalBytes: options.hashMib * MIB,
      chunkBytes: PIECE_LENGTH,
    });
    console.log(`\n${formatHashes(hashes, PIECE_LENGTH)}`);
  }
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) {
  const options = parseArgs(Deno.args);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      console.error(`bench: ${signal}, stopping clients`);
      stopAll().finally(() => Deno.exit(130));
    });
  }
  let code: number;
  try {
    code = await bench(options);
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    code = 1;
  } finally {
    await stopAll();
  }
  Deno.exit(code);
}
