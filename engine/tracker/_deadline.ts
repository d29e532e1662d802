/**
 * The abort/timeout frame around one announce: every way it can end badly becomes a {@link TrackerError}.
 *
 * @module
 */

import { TrackerError } from "../errors.ts";
import { DEFAULT_ANNOUNCE_TIMEOUT } from "./types.ts";

/** Abort signal and whole-announce timeout (milliseconds; default 60,000; `Infinity` for none). */
export interface DeadlineOptions {
  signal?: AbortSignal;
  timeout?: number;
}

/**
 * Runs `run` with a signal that aborts when `options.signal` aborts or `options.timeout` passes.
 * @throws {TrackerError} "aborted" (cause: the caller's reason), "no reply within N ms", whatever `run` threw
 *   if it was a TrackerError, or any other error wrapped with its message.
 */
export async function withDeadline<T>(
  url: string,
  options: DeadlineOptions,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { signal } = options;
  if (signal?.aborted) throw new TrackerError(url, "Cannot announce: aborted", { cause: signal.reason });
  const timeout = options.timeout ?? DEFAULT_ANNOUNCE_TIMEOUT;
  const controller = new AbortController();
  const onAbort = () =>
    controller.abort(new TrackerError(url, "Cannot announce: aborted", { cause: signal?.reason }));
  signal?.addEventListener("abort", onAbort, { once: true });
  const timer = Number.isFinite(timeout)
    ? setTimeout(
      () => controller.abort(new TrackerError(url, `Cannot announce: no reply within ${timeout} ms`)),
      timeout,
    )
    : undefined;
  // Settle as soon as the signal fires, even if `run` is still waiting on something that ignores it.
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
  });
  const running = run(controller.signal);
  running.catch(() => {});
  try {
    return await Promise.race([running, aborted]);
  } catch (error) {
    if (controller.signal.aborted && controller.signal.reason instanceof TrackerError) {
      throw controller.signal.reason;
    }
    if (error instanceof TrackerError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new TrackerError(url, `Cannot announce: ${detail}`, { cause: error });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}
