/**
 * Transmission 3 (`transmission-cli`) leechers for interop tests.
 *
 * Transmission 3 ignores 127.x peers that come from a tracker but accepts incoming connections, so the
 * seeder under test must dial Transmission's port. It waits about 10 s before its first request: keep
 * payloads small. By default it is configured to stop at seed ratio 0, so `transmission-cli` exits by
 * itself (flushing its write cache) once the download is complete.
 *
 * @module
 */

import { freeTcpPort, ManagedProcess, waitForTcpPort } from "./process.ts";

/** Options for {@linkcode startTransmissionLeecher} and {@linkcode runTransmissionLeecher}. */
export interface TransmissionLeecherOptions {
  /** The .torrent file. */
  torrentPath: string;
  /** Directory to download into. */
  saveDir: string;
  /** Peer port to listen on at 127.0.0.1 (default: a free port; Transmission cannot report a port 0 choice). */
  port?: number;
  /** Milliseconds after which Transmission is stopped and `finished` resolves `false`. */
  timeoutMs: number;
  /** Keep seeding after the download completes, until closed (default: exit when complete). */
  stay?: boolean;
  /** Extra `settings.json` entries, overriding the test defaults. */
  settings?: Record<string, unknown>;
}

/** A running Transmission leecher. */
export interface TransmissionLeecher {
  /** The peer port it accepts connections on. */
  readonly port: number;
  /** Resolves `true` once Transmission reports the torrent complete, `false` on timeout or exit before. */
  readonly finished: Promise<boolean>;
  /** Recent output lines, for assertion messages. */
  readonly output: string;
  /** Stops Transmission (SIGINT: it saves and flushes its cache), removes its config dir, waits for exit. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const COMPLETE_LINE = /State changed from "Incomplete" to "Complete"|^Seeding, /;

/**
 * Starts `transmission-cli` on `torrentPath` and resolves once the torrent is added and the peer port accepts
 * connections (so a seeder may dial it right away).
 *
 * @param options Torrent, save directory, port, timeout.
 * @returns The running leecher; close it (or `await using`) when done.
 * @throws {Error} If Transmission exits or does not listen within 30 s.
 */
export async function startTransmissionLeecher(
  options: TransmissionLeecherOptions,
): Promise<TransmissionLeecher> {
  const port = options.port ?? freeTcpPort();
  await Deno.mkdir(options.saveDir, { recursive: true });
  const configDir = await Deno.makeTempDir({ prefix: "ccbt_transmission_" });
  const settings = {
    "dht-enabled": false,
    "lpd-enabled": false,
    "pex-enabled": false,
    "utp-enabled": false,
    "port-forwarding-enabled": false,
    "blocklist-enabled": false,
    "speed-limit-down-enabled": false,
    "speed-limit-up-enabled": false,
    "alt-speed-enabled": false,
    "incomplete-dir-enabled": false,
    "bind-address-ipv4": "127.0.0.1",
    "bind-address-ipv6": "::1",
    "peer-port": port,
    "peer-port-random-on-start": false,
    "ratio-limit-enabled": !options.stay,
    "ratio-limit": 0,
    "message-level": 2,
    ...options.settings,
  };
  await Deno.writeTextFile(`${configDir}/settings.json`, JSON.stringify(settings, null, 2));
  let settle: (value: boolean) => void = () => {};
  const finished = new Promise<boolean>((resolve) => settle = resolve);
  // stdbuf: transmission-cli prints its progress line with printf and no newline; unbuffered, it arrives live.
  const process = ManagedProcess.spawn("stdbuf", {
    args: [
      "-o0",
      "transmission-cli",
      "-w",
      options.saveDir,
      "-p",
      String(port),
      "-g",
      configDir,
      options.torrentPath,
    ],
    hardTimeoutMs: options.timeoutMs + 15_000,
    onLine: (line) => {
      if (COMPLETE_LINE.test(line.text)) settle(true);
    },
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      clearTimeout(timer);
      await process.close({ signal: "SIGINT", graceMs: 10_000 });
      settle(false);
      await Deno.remove(configDir, { recursive: true });
    })();
  const timer = setTimeout(() => {
    settle(false);
    close();
  }, options.timeoutMs);
  process.status.then(() => {
    clearTimeout(timer);
    settle(false);
  });
  try {
    await process.waitForLine((l) => /^(Progress|Seeding)/.test(l.text), {
      timeoutMs: 30_000,
      stream: "stdout",
    });
    await waitForTcpPort(port, { timeoutMs: 10_000, process });
  } catch (error) {
    await close();
    throw error;
  }
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
 * Downloads with Transmission until it reports the torrent complete or `timeoutMs` passes, then stops it
 * cleanly (its cache is flushed to disk before this resolves).
 *
 * @param options Torrent, save directory, port, timeout.
 * @returns Whether the download completed, the port used, and Transmission's output.
 * @throws {Error} If Transmission cannot start.
 */
export async function runTransmissionLeecher(
  options: TransmissionLeecherOptions,
): Promise<{ finished: boolean; port: number; output: string }> {
  const leecher = await startTransmissionLeecher(options);
  try {
    const finished = await leecher.finished;
    await leecher.close();
    return { finished, port: leecher.port, output: leecher.output };
  } finally {
    await leecher.close();
  }
}
