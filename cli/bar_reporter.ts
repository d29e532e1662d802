/**
 * Progress bars on a terminal (cli-progress, on stderr). Its own module so that cli-progress is loaded only when a
 * terminal shows bars (~8 ms of start-up otherwise, for every scripted or `--json` run).
 *
 * @module
 */

import cliProgress from "cli-progress";
import type { Alert, TorrentHandle, TorrentStatus } from "../mod.ts";
import { formatBytes, formatEta, type Reporter } from "./reporter.ts";

/** Progress bars on a terminal (stderr), one per torrent. */
export class BarReporter implements Reporter {
  #bars: cliProgress.MultiBar;
  #byHash = new Map<string, cliProgress.SingleBar>();

  constructor(handles: readonly TorrentHandle[]) {
    this.#bars = new cliProgress.MultiBar({
      format:
        " {name} |{bar}| {percentage}% | {state} | ↓ {down}/s ↑ {up}/s | {peers} peers | ETA {timeLeft}",
      barCompleteChar: "█",
      barIncompleteChar: "░",
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      etaBuffer: 1,
    }, cliProgress.Presets.shades_classic);
    for (const handle of handles) {
      const name = handle.name.length > 24 ? handle.name.slice(0, 23) + "…" : handle.name.padEnd(24);
      this.#byHash.set(handle.infoHash, this.#bars.create(100, 0, this.#payload(handle.status(), name)));
    }
  }

  #payload(s: TorrentStatus, name?: string): Record<string, string | number> {
    const payload: Record<string, string | number> = {
      state: s.state === "checking" ? `checking ${Math.floor(s.checkProgress * 100)}%` : s.state,
      down: formatBytes(s.downloadRate),
      up: formatBytes(s.uploadRate),
      peers: s.peers,
      timeLeft: formatEta(s.eta),
    };
    if (name !== undefined) payload.name = name;
    return payload;
  }

  alert(alert: Alert): void {
    if (alert.type === "state_warning") this.message(`warning: ${alert.message}`);
  }

  update(statuses: readonly TorrentStatus[]): void {
    for (const s of statuses) {
      this.#byHash.get(s.infoHash)?.update(Math.floor(s.progress * 1000) / 10, this.#payload(s));
    }
  }

  done(status: TorrentStatus, reason: string): void {
    this.#byHash.get(status.infoHash)?.update(Math.floor(status.progress * 1000) / 10, {
      ...this.#payload(status),
      state: reason,
    });
  }

  message(text: string): void {
    this.#bars.log(text + "\n");
  }

  stop(): void {
    this.#bars.stop();
  }
}

/**
 * A single bar on stderr while `ccbt create` hashes.
 *
 * @returns `update(hashed, total)` in bytes, and `stop()`.
 */
export function hashingBar(): { update: (hashed: number, total: number) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar({
    format: " hashing |{bar}| {percentage}% | {done} of {size}",
    barCompleteChar: "█",
    barIncompleteChar: "░",
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(hashed, total) {
      const payload = { done: formatBytes(hashed), size: formatBytes(total) };
      if (!started) bar.start(total, hashed, payload);
      else bar.update(hashed, payload);
      started = true;
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
