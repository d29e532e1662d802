/**
 * Times `bench/create_floor.ts` (the least a Deno program can do to make v1 piece hashes) on the create bench's
 * payload, warm page cache, under the same conditions as the create runs: the floor no Deno program can go below
 * on this machine, printed next to ccbt and mktorrent.
 *
 * @module
 */

import type { CreateBenchOptions } from "./_create.ts";
import { benchPath } from "./_ccbt_command.ts";
import { waitForIdle } from "./_cpu_usage.ts";
import { readThrough } from "./_payload.ts";
import { fixed, median } from "./_report.ts";
import { runTimed } from "./_timed_process.ts";
import { warmMemory } from "./_warm_memory.ts";

/** The floor script. */
export const CREATE_FLOOR_SCRIPT: string = benchPath("./create_floor.ts");

/** Options of {@linkcode runCreateFloor}: the create bench's own. */
export type CreateFloorOptions = Pick<
  CreateBenchOptions,
  "path" | "pieceLength" | "runs" | "workDir" | "timeoutMs" | "warmBytes" | "idleWaitMs" | "track"
>;

/**
 * Runs the floor script `runs` times.
 *
 * @returns Wall seconds of each run that exited 0.
 */
export async function runCreateFloor(options: CreateFloorOptions): Promise<number[]> {
  const seconds: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    await readThrough(options.path);
    await waitForIdle({ maxWaitMs: options.idleWaitMs });
    await warmMemory(options.warmBytes);
    const timed = await runTimed(Deno.execPath(), {
      args: ["run", "-A", CREATE_FLOOR_SCRIPT, options.path, String(options.pieceLength)],
      timeFile: `${options.workDir}/time.txt`,
      timeoutMs: options.timeoutMs,
      stdoutFile: `${options.workDir}/create-floor-stdout.txt`,
      track: options.track,
    });
    if (!timed.timedOut && timed.exitCode === 0) seconds.push(timed.wallSeconds);
  }
  return seconds;
}

/**
 * The report line of the floor runs.
 *
 * @param seconds Wall seconds of the runs that succeeded.
 * @param sizeBytes Payload size, bytes.
 */
export function formatCreateFloor(seconds: readonly number[], sizeBytes: number): string {
  const label = "Deno floor (bench/create_floor.ts: two workers, read + SHA-1 only, no torrent), v1 warm";
  if (seconds.length === 0) return `${label}: no run succeeded`;
  const wall = median(seconds);
  const mibPerSecond = sizeBytes / (1024 * 1024) / wall;
  return `${label}: median ${fixed(wall, 2)} s (${fixed(mibPerSecond, 0)} MiB/s) of ${seconds.length} run(s)`;
}
