/**
 * Summarises V8 `.cpuprofile` files (as written by `deno run --cpu-prof`, e.g. via `deno task bench
 * --cpu-prof DIR`): per file, the functions with the most self time and the most total (inclusive) time.
 *
 * Usage: `deno run --allow-read bench/summarise_cpuprofile.ts [--top N] FILE.cpuprofile...`
 *
 * @module
 */

/** The parts of a V8 CPU profile we read. */
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

/** Time of one function, microseconds. */
export interface FunctionTime {
  /** `name (file:line)`. */
  name: string;
  /** Time in the function itself, µs. */
  selfUs: number;
  /** Time in the function and its callees (counted once per sample even when recursive), µs. */
  totalUs: number;
}

/**
 * Aggregates a profile by function.
 *
 * @param profile A parsed `.cpuprofile`.
 * @returns Every function with self and total time, and the profile's wall span, µs.
 */
export function aggregate(profile: CpuProfile): { functions: FunctionTime[]; spanUs: number } {
  const parent = new Map<number, number>();
  const key = new Map<number, string>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, "");
    key.set(node.id, `${functionName || "(anonymous)"} (${file || "native"}:${lineNumber + 1})`);
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const name = key.get(id) ?? "?";
    self.set(name, (self.get(name) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = key.get(at) ?? "?";
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
    }
  });
  const functions = [...total.keys()].map((name) => ({
    name,
    selfUs: self.get(name) ?? 0,
    totalUs: total.get(name) ?? 0,
  }));
  return { functions, spanUs: profile.endTime - profile.startTime };
}

function report(path: string, profile: CpuProfile, top: number): string {
  const { functions, spanUs } = aggregate(profile);
  const busy = functions.filter((f) => !/^\((idle|program|garbage collector)\)/.test(f.name))
    .reduce((sum, f) => sum + f.selfUs, 0);
  const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
  const pct = (us: number) => `${(100 * us / spanUs).toFixed(1).padStart(5)}%`;
  const lines = [`${path}: span ${ms(spanUs).trim()} ms, busy (not idle/program/gc) ${ms(busy).trim()} ms`];
  lines.push("  self ms   self%  function");
  for (const f of [...functions].sort((a, b) => b.selfUs - a.selfUs).slice(0, top)) {
    lines.push(`  ${ms(f.selfUs)} ${pct(f.selfUs)}  ${f.name}`);
  }
  lines.push("  total ms  total%  function");
  for (const f of [...functions].sort((a, b) => b.totalUs - a.totalUs).slice(0, top)) {
    lines.push(`  ${ms(f.totalUs)}  ${pct(f.totalUs)}  ${f.name}`);
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const args = [...Deno.args];
  let top = 25;
  const at = args.indexOf("--top");
  if (at >= 0) {
    top = Number(args[at + 1]);
    args.splice(at, 2);
  }
  for (const path of args) {
    const profile = JSON.parse(await Deno.readTextFile(path)) as CpuProfile;
    console.log(report(path, profile, top), "\n");
  }
}
