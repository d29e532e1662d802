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
 * Usage: `deno task bench [--size MiB] [--runs N] [--dir DIR] [--timeout S] [--warm MiB] [--no-eld]
 * [--cpu-prof DIR] [--hash-backend native|wasm] [--hash-mib MiB] [--idle-wait S]`
 *
 * The VMs are shared (other test runs use the same 2 cores), so before each run the bench waits up to
 * `--idle-wait` seconds for the machine to go idle, and each run reports the CPU the seeder and everything
 * else used meanwhile.
 *
 * @module
 */

import { Command, InvalidArgumentError } from "commander";
import {
  type LibtorrentSeeder,
  LT_PEER_SCRIPT,
  LT_PYTHON,
  startLibtorrentSeeder,
} from "../tests/_helpers/libtorrent.ts";
import type { ManagedProcess } from "../tests/_helpers/process.ts";
import type { EventLoopDelaySummary } from "./_event_loop_delay.ts";
import { findChildPid, machineBusySeconds, processCpuSeconds, waitForIdle } from "./_cpu_usage.ts";
import { measureHashThroughput } from "./_hash_throughput.ts";
import { type Payload, preparePayload } from "./_payload.ts";
import { type ClientName, type ClientRun, formatReport, formatRun } from "./_report.ts";
import { GNU_TIME, runTimed, type TimedRun } from "./_timed_process.ts";
import { warmMemory } from "./_warm_memory.ts";

const MIB = 1_048_576;
const PIECE_LENGTH = 256 * 1024;
const RSS_TARGET_MIB = 256;
const CCBT_PERMISSIONS = ["--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-sys"];
const CLI_MAIN = fromHere("../cli/main.ts");
const CCBT_WITH_ELD = fromHere("./ccbt_with_eld.ts");

/** Parsed command line. */
interface BenchOptions {
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
}

/** Everything that must be stopped on exit. */
const running = new Set<{ close(): Promise<unknown> }>();

function fromHere(relative: string): string {
  return decodeURIComponent(new URL(relative, import.meta.url).pathname);
}

function parseWhole(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("Expected a whole number");
  return Number(value);
}

function parseArgs(args: string[]): BenchOptions {
  const cli = new Command("bench")
    .description("download a payload from a libtorrent seeder with ccbt and with libtorrent, and compare")
    .option("--size <MiB>", "payload size in MiB", parseWhole, 1024)
    .option("--runs <n>", "timed runs per client", parseWhole, 3)
    .option("--dir <dir>", "work directory (payload kept between runs)", "/tmp/ccbt-bench")
    .option("--timeout <seconds>", "per-run timeout", parseWhole, 600)
    .option("--warm <MiB>", "memory to touch before each run (default: size + 512)", parseWhole)
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
    .parse(args, { from: "user" });
  const options = cli.opts<BenchOptions>();
  if (options.size < 1 || options.runs < 1) cli.error("--size and --runs must be at least 1");
  if (options.hashBackend !== "native" && options.hashBackend !== "wasm") cli.error("Bad --hash-backend");
  return options;
}

async function requireTools(): Promise<void> {
  const missing: string[] = [];
  for (const [path, pkg] of [[GNU_TIME, "time"], [LT_PYTHON, "python3-libtorrent"]]) {
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

/** Reads a file to the end so the seeder serves it from the page cache from the first run on. */
async function readThrough(path: string): Promise<void> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(16 * MIB);
  while ((await file.read(buffer)) !== null) { /* discard */ }
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
  let tracked: ManagedProcess | undefined;
  const seederBefore = seederPid === undefined ? NaN : processCpuSeconds(seederPid);
  const machineBefore = machineBusySeconds();
  const timed: TimedRun = await runTimed(command, {
    args,
    timeFile: `${options.dir}/time.txt`,
    timeoutMs: options.timeout * 1000,
    stdoutFile,
    env: client === "ccbt" && options.eld ? { CCBT_BENCH_ELD_FILE: eldFile } : undefined,
    track: (process) => {
      if (tracked !== undefined) running.delete(tracked);
      tracked = process;
      if (process !== undefined) running.add(process);
    },
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

async function bench(options: BenchOptions): Promise<number> {
  await requireTools();
  await Deno.mkdir(options.dir, { recursive: true });
  if (options.cpuProf !== undefined) await Deno.mkdir(options.cpuProf, { recursive: true });

  const started = performance.now();
  const payload = await preparePayload(options.dir, { size: options.size * MIB, pieceLength: PIECE_LENGTH });
  console.log(
    `payload: ${payload.path} (${options.size} MiB, info-hash ${payload.infoHash}, ` +
      `${payload.reused ? "reused" : `made in ${((performance.now() - started) / 1000).toFixed(1)} s`})`,
  );
  // Compile and cache ccbt's modules once, so no timed run pays for it.
  await exec(Deno.execPath(), ["run", ...CCBT_PERMISSIONS, CCBT_WITH_ELD, "--version"]);
  await readThrough(payload.path);

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

  const hashes = options.hashMib > 0
    ? await measureHashThroughput({ totalBytes: options.hashMib * MIB, chunkBytes: PIECE_LENGTH })
    : [];
  console.log(
    formatReport({
      sizeMiB: options.size,
      pieceLength: PIECE_LENGTH,
      runs,
      hashes,
      rssTargetMiB: RSS_TARGET_MIB,
    }),
  );
  return runs.some((r) => r.failure !== null) ? 1 : 0;
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
