/**
 * Runs one client under `/usr/bin/time` (GNU time) and reports wall time, peak RSS and CPU seconds of that
 * process, threads included (ccbt's disk workers and libtorrent's threads share their process). Peak
 * anonymous RSS is sampled from `/proc/PID/status` every 100 ms as well: libtorrent 2.0 maps the files it
 * writes, so its RSS counts the file pages it touched, while `RssAnon` counts only the memory it allocated.
 *
 * The command runs as `timeout -> time -> client`, so a hung client is killed even if the bench dies.
 *
 * @module
 */

import { ManagedProcess } from "../tests/_helpers/process.ts";

/** GNU time, from the Debian package `time`. */
export const GNU_TIME = "/usr/bin/time";

const TIME_FORMAT = "%e %M %U %S";
const SAMPLE_INTERVAL_MS = 100;

/** Options for {@linkcode runTimed}. */
export interface TimedRunOptions {
  /** Arguments after the command. */
  args: string[];
  /** File GNU time writes its one-line report to. */
  timeFile: string;
  /** Kill the run after this many milliseconds. */
  timeoutMs: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * Send the client's stdout to this file instead of a pipe the bench reads: a chatty client (ccbt `--json`
   * prints a line per piece) would otherwise make the bench compete with it for the cores.
   */
  stdoutFile?: string;
  /** Called with the process once spawned (to stop it on Ctrl-C), and with `undefined` once it ended. */
  track?: (process: ManagedProcess | undefined) => void;
}

/** What one timed run measured. */
export interface TimedRun {
  /** Exit code of the client (GNU time passes it through); 124 or 137 when timed out. */
  exitCode: number;
  /** Whether the run hit `timeoutMs`. */
  timedOut: boolean;
  /** Wall time from exec to exit, seconds (10 ms resolution). */
  wallSeconds: number;
  /** Peak resident set, KiB (`ru_maxrss`). */
  maxRssKiB: number;
  /** Peak `RssAnon` seen by 100 ms sampling, KiB (NaN when never sampled, e.g. without `--allow-all`). */
  peakAnonKiB: number;
  /** User CPU seconds, all threads. */
  userSeconds: number;
  /** System CPU seconds, all threads. */
  systemSeconds: number;
  /** Recent output lines (stderr, and stdout unless it went to `stdoutFile`), for error messages. */
  output: string;
}

/**
 * Runs `command` under GNU time and waits for it to exit or time out.
 *
 * @param command Executable.
 * @param options Arguments, time report file, timeout, environment, process tracker.
 * @returns The measurements.
 * @throws {Error} When GNU time left no parsable report (the output is in the message).
 */
export async function runTimed(command: string, options: TimedRunOptions): Promise<TimedRun> {
  await Deno.remove(options.timeFile).catch(() => {});
  const started = performance.now();
  // `sh` execs the client with stdout redirected, so GNU time still measures the client's own process.
  const client = options.stdoutFile === undefined
    ? [command, ...options.args]
    : ["sh", "-c", 'exec "$@" > "$0"', options.stdoutFile, command, ...options.args];
  const child = ManagedProcess.spawn(GNU_TIME, {
    args: ["-o", options.timeFile, "-f", TIME_FORMAT, ...client],
    env: options.env,
    hardTimeoutMs: options.timeoutMs,
    historyLines: 200,
  });
  options.track?.(child);
  let peakAnonKiB = NaN;
  const sampler = setInterval(() => {
    const leaf = leafPid(child.pid);
    const anon = leaf === undefined ? undefined : readStatusKiB(leaf, "RssAnon");
    if (anon !== undefined) peakAnonKiB = Number.isNaN(peakAnonKiB) ? anon : Math.max(peakAnonKiB, anon);
  }, SAMPLE_INTERVAL_MS);
  try {
    const status = await child.status;
    const timedOut = performance.now() - started >= options.timeoutMs;
    const report = await Deno.readTextFile(options.timeFile).catch(() => "");
    const parsed = parseTimeReport(report);
    if (parsed === null) {
      if (timedOut) {
        return {
          exitCode: status.code,
          timedOut,
          wallSeconds: NaN,
          maxRssKiB: NaN,
          peakAnonKiB,
          userSeconds: NaN,
          systemSeconds: NaN,
          output: child.output,
        };
      }
      throw new Error(
        `Cannot read the time report of ${command}: ${JSON.stringify(report)}\n${child.output}`,
      );
    }
    return { exitCode: status.code, timedOut, peakAnonKiB, ...parsed, output: child.output };
  } finally {
    clearInterval(sampler);
    options.track?.(undefined);
    await child.close();
  }
}

/**
 * Parses the last line of a GNU time report written with the format `%e %M %U %S`. A killed child makes GNU
 * time write "Command terminated by signal N" first, hence the last line.
 *
 * @param report The report file's text.
 * @returns Wall seconds, max RSS KiB, user and system seconds; `null` when there is no such line.
 */
export function parseTimeReport(
  report: string,
): Pick<TimedRun, "wallSeconds" | "maxRssKiB" | "userSeconds" | "systemSeconds"> | null {
  const last = report.trim().split("\n").at(-1) ?? "";
  const match = /^(\d+(?:\.\d+)?) (\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/.exec(last.trim());
  if (match === null) return null;
  return {
    wallSeconds: Number(match[1]),
    maxRssKiB: Number(match[2]),
    userSeconds: Number(match[3]),
    systemSeconds: Number(match[4]),
  };
}

/** Follows first children down from `pid` (`timeout` -> `time` -> client) and returns the deepest. */
function leafPid(pid: number): number | undefined {
  let current: number | undefined;
  let next: number | undefined = pid;
  for (let depth = 0; depth < 3 && next !== undefined; depth++) {
    current = next;
    next = firstChild(current);
  }
  return current === pid ? undefined : current;
}

function firstChild(pid: number): number | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
    return text === "" ? undefined : Number(text.split(" ")[0]);
  } catch {
    return undefined;
  }
}

/** A `kB` field of `/proc/PID/status` in KiB, or `undefined` when unreadable (needs `--allow-all`). */
function readStatusKiB(pid: number, field: string): number | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text);
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}
