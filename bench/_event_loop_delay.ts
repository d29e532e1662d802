/**
 * Event-loop delay of the isolate it runs in, measured as timer lateness: a `setTimeout` of `intervalMs` is
 * re-armed after each firing, and how late it fired is one sample. (`node:perf_hooks`'
 * `monitorEventLoopDelay` is a stub in Deno 2.9: it never sees a blocked loop.)
 *
 * @module
 */

/** Summary of the samples, in milliseconds. */
export interface EventLoopDelaySummary {
  /** Number of samples. */
  count: number;
  /** Mean lateness, ms. */
  meanMs: number;
  /** 99th percentile lateness, ms. */
  p99Ms: number;
  /** Largest lateness, ms. */
  maxMs: number;
}

/**
 * Samples the event-loop delay until stopped.
 *
 * @example Measure a busy loop
 * ```ts
 * import { EventLoopDelaySampler } from "./_event_loop_delay.ts";
 * const sampler = new EventLoopDelaySampler(5);
 * sampler.start();
 * await new Promise((r) => setTimeout(r, 20));
 * const until = performance.now() + 50;
 * while (performance.now() < until) { }
 * await new Promise((r) => setTimeout(r, 20));
 * if (sampler.stop().maxMs < 40) throw new Error("The busy loop was not seen");
 * ```
 */
export class EventLoopDelaySampler {
  readonly #intervalMs: number;
  readonly #samples: number[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #due = 0;

  /**
   * @param intervalMs Timer period in milliseconds (default 10).
   * @throws {RangeError} When `intervalMs` is not a positive number.
   */
  constructor(intervalMs = 10) {
    if (!(intervalMs > 0)) throw new RangeError(`Cannot sample event-loop delay: bad interval ${intervalMs}`);
    this.#intervalMs = intervalMs;
  }

  /** Starts sampling; the timer is unref'd so it never keeps the process alive. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#arm();
  }

  /**
   * Stops sampling.
   *
   * @returns The summary of every sample taken so far.
   */
  stop(): EventLoopDelaySummary {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return summarise(this.#samples);
  }

  #arm(): void {
    this.#due = performance.now() + this.#intervalMs;
    const timer = setTimeout(() => {
      this.#samples.push(Math.max(0, performance.now() - this.#due));
      this.#arm();
    }, this.#intervalMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}

/**
 * Summarises lateness samples.
 *
 * @param samples Lateness values in milliseconds.
 * @returns Count, mean, 99th percentile (nearest rank) and max; zeros for no samples.
 */
export function summarise(samples: readonly number[]): EventLoopDelaySummary {
  if (samples.length === 0) return { count: 0, meanMs: 0, p99Ms: 0, maxMs: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1);
  return {
    count: sorted.length,
    meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    p99Ms: sorted[rank],
    maxMs: sorted[sorted.length - 1],
  };
}
