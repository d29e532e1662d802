/**
 * CPU time of the whole machine and of single processes, from `/proc` (Linux; reading `/proc/PID` needs
 * `--allow-all` in Deno). The bench uses it to report how much CPU the seeder and everything else on the
 * machine (other people's test runs, say) used while a client was timed: on a 2-core VM that competition
 * shows up directly in the client's wall time.
 *
 * @module
 */

/** Clock ticks per second of `/proc` CPU counters (`getconf CLK_TCK`; 100 on Linux everywhere we run). */
const CLK_TCK = 100;

/**
 * Busy CPU seconds of the whole machine since boot, summed over all cores (everything but idle and iowait).
 *
 * @returns Seconds, or NaN when `/proc/stat` cannot be read.
 */
export function machineBusySeconds(): number {
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
    const [user, nice, system, , , irq, softirq, steal] = ticks;
    return (user + nice + system + irq + softirq + steal) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/**
 * User + system CPU seconds of process `pid` (all its threads, not its children).
 *
 * @param pid Process id.
 * @returns Seconds, or NaN when the process is gone or unreadable.
 */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/**
 * Finds a child of this process whose command line contains `needle`.
 *
 * @param needle Text to look for in the child's command line (arguments joined by spaces).
 * @returns Its pid, or `undefined`.
 */
export function findChildPid(needle: string): number | undefined {
  let tasks: string[] = [];
  try {
    tasks = [...Deno.readDirSync(`/proc/${Deno.pid}/task`)].map((entry) => entry.name);
  } catch {
    return undefined;
  }
  for (const task of tasks) {
    let children: string[] = [];
    try {
      children = Deno.readTextFileSync(`/proc/${Deno.pid}/task/${task}/children`).trim().split(" ");
    } catch {
      continue;
    }
    for (const child of children.filter((c) => c !== "")) {
      try {
        const cmdline = Deno.readTextFileSync(`/proc/${child}/cmdline`).replaceAll("\0", " ");
        if (cmdline.includes(needle)) return Number(child);
      } catch {
        // Gone already.
      }
    }
  }
  return undefined;
}

/** Options for {@linkcode waitForIdle}. */
export interface WaitForIdleOptions {
  /** Give up and go on after this many milliseconds. */
  maxWaitMs: number;
  /** Length of one measuring window, ms (default 500). */
  windowMs?: number;
  /** The machine counts as idle when it used less than this many cores over a window (default 0.25). */
  maxBusyCores?: number;
}

/**
 * Waits until the machine is nearly idle (other people's test runs share these 2-core VMs), or until
 * `maxWaitMs` passed.
 *
 * @param options Longest wait, window length, idle threshold in cores.
 * @returns Whether the machine was idle when it returned.
 */
export async function waitForIdle(options: WaitForIdleOptions): Promise<boolean> {
  const windowMs = options.windowMs ?? 500;
  const maxBusyCores = options.maxBusyCores ?? 0.25;
  const deadline = performance.now() + options.maxWaitMs;
  while (true) {
    const before = machineBusySeconds();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const cores = (machineBusySeconds() - before) / (windowMs / 1000);
    if (!(cores >= maxBusyCores)) return true;
    if (performance.now() >= deadline) return false;
  }
}
