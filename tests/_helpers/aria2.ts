/**
 * aria2 (`aria2c`) leechers for interop tests.
 *
 * aria2 cannot be handed a peer for a .torrent: it finds peers through the torrent's tracker only (start
 * the seeder first and let it announce). With `--seed-time=0` it exits as soon as the download is verified.
 *
 * @module
 */

import { freeTcpPort, ManagedProcess } from "./process.ts";

/** Options for {@linkcode startAria2Leecher} and {@linkcode runAria2Leecher}. */
export interface Aria2LeecherOptions {
  /** The .torrent file; its announce URL must lead to the seeder. */
  torrentPath: string;
  /** Directory to download into. */
  saveDir: string;
  /** Milliseconds after which aria2 is stopped and the download counts as unfinished. */
  timeoutMs: number;
  /** BitTorrent listen port (default: a free port). */
  port?: number;
  /** Seconds between announces, so a seeder that registers late is still found (default 2). */
  announceIntervalS?: number;
  /** Extra `aria2c` arguments, e.g. `--max-download-limit=1M`. */
  extraArgs?: string[];
}

/** A running aria2 leecher. */
export interface Aria2Leecher {
  /** The BitTorrent port it listens on. */
  readonly port: number;
  /** Resolves `true` when aria2 exits with code 0 (download complete), `false` otherwise. Never rejects. */
  readonly finished: Promise<boolean>;
  /** Recent output lines, for assertion messages. */
  readonly output: string;
  /** Stops aria2 and waits for it to exit. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts `aria2c` on `torrentPath` with DHT, LPD and PEX off, no seeding after completion, short tracker
 * timeouts and frequent announces. It dies with the test process (`--stop-with-process`).
 *
 * @param options Torrent, save directory, timeout.
 * @returns The running leecher.
 * @throws {Deno.errors.NotFound} If `aria2c` is not installed.
 */
export function startAria2Leecher(options: Aria2LeecherOptions): Aria2Leecher {
  const port = options.port ?? freeTcpPort();
  const interval = options.announceIntervalS ?? 2;
  const process = ManagedProcess.spawn("aria2c", {
    args: [
      "--no-conf=true",
      `--dir=${options.saveDir}`,
      `--listen-port=${port}`,
      "--interface=127.0.0.1",
      "--disable-ipv6=true",
      "--seed-time=0",
      "--enable-dht=false",
      "--enable-dht6=false",
      "--bt-enable-lpd=false",
      "--enable-peer-exchange=false",
      "--allow-overwrite=true",
      "--file-allocation=none",
      "--bt-tracker-connect-timeout=5",
      "--bt-tracker-timeout=5",
      `--bt-tracker-interval=${interval}`,
      "--bt-save-metadata=false",
      "--auto-save-interval=0",
      "--summary-interval=0",
      "--show-console-readout=false",
      "--console-log-level=notice",
      "--enable-color=false",
      `--stop-with-process=${Deno.pid}`,
      ...options.extraArgs ?? [],
      options.torrentPath,
    ],
    hardTimeoutMs: options.timeoutMs + 15_000,
  });
  let settle: (value: boolean) => void = () => {};
  const finished = new Promise<boolean>((resolve) => settle = resolve);
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      clearTimeout(timer);
      await process.close({ graceMs: 5_000 });
      settle(false);
    })();
  const timer = setTimeout(() => {
    settle(false);
    close();
  }, options.timeoutMs);
  process.status.then((status) => {
    clearTimeout(timer);
    settle(status.success);
  });
  return {
    port,
    finished,
    get output() {
      return process.output;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Downloads with aria2 until it exits or `timeoutMs` passes.
 *
 * @param options Torrent, save directory, timeout.
 * @returns Whether aria2 completed the download (exit code 0), and its output.
 * @throws {Deno.errors.NotFound} If `aria2c` is not installed.
 */
export async function runAria2Leecher(
  options: Aria2LeecherOptions,
): Promise<{ finished: boolean; output: string }> {
  const leecher = startAria2Leecher(options);
  try {
    const finished = await leecher.finished;
    return { finished, output: leecher.output };
  } finally {
    await leecher.close();
  }
}
