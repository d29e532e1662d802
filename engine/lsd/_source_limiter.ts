/**
 * A per-source message budget for the LSD socket: at most `perSecond` messages from one address per 1 s window,
 * and at most `maxSources` addresses tracked at once (new ones are refused while the table is full of live
 * entries). Pure: time is passed in.
 *
 * @module
 */

const WINDOW = 1000;

interface Window {
  start: number;
  count: number;
}

/** Counts messages per source address in 1 s windows. */
export class SourceLimiter {
  readonly #perSecond: number;
  readonly #maxSources: number;
  readonly #windows = new Map<string, Window>();

  /**
   * Makes a limiter.
   * @param perSecond Messages allowed from one source per second.
   * @param maxSources Sources tracked at once.
   */
  constructor(perSecond: number, maxSources = 1024) {
    this.#perSecond = perSecond;
    this.#maxSources = maxSources;
  }

  /**
   * Counts one message from `source` and says whether to handle it.
   * @param source The sender's address text.
   * @param now Current time in ms.
   * @returns `false` when the source is over its budget, or the table is full.
   */
  allow(source: string, now: number): boolean {
    let window = this.#windows.get(source);
    if (window === undefined) {
      if (this.#windows.size >= this.#maxSources) this.#sweep(now);
      if (this.#windows.size >= this.#maxSources) return false;
      window = { start: now, count: 0 };
      this.#windows.set(source, window);
    } else if (now - window.start >= WINDOW) {
      window.start = now;
      window.count = 0;
    }
    window.count++;
    return window.count <= this.#perSecond;
  }

  #sweep(now: number): void {
    for (const [source, window] of this.#windows) {
      if (now - window.start >= WINDOW) this.#windows.delete(source);
    }
  }
}
