/**
 * Runs the real `ccbt` CLI (`cli/main.ts`'s `main`) in this process with an event-loop delay sampler beside
 * it, then writes the sampler's summary as JSON to the file named by `CCBT_BENCH_ELD_FILE` (if set). The
 * bench spawns this instead of `cli/main.ts` so the engine needs no bench hook; the sampler's 10 ms timer is
 * the only difference.
 *
 * Usage: `deno run <perms> bench/ccbt_with_eld.ts <ccbt args...>`
 *
 * @module
 */

import { main } from "../cli/main.ts";
import { EventLoopDelaySampler } from "./_event_loop_delay.ts";

if (import.meta.main) {
  const sampler = new EventLoopDelaySampler(10);
  sampler.start();
  const code = await main(Deno.args);
  const summary = sampler.stop();
  const out = Deno.env.get("CCBT_BENCH_ELD_FILE");
  if (out) await Deno.writeTextFile(out, JSON.stringify(summary));
  Deno.exit(code);
}
