/**
 * What the CLI shows while torrents run: a live progress bar per torrent on a terminal (`bar_reporter.ts`, loaded
 * only then), or NDJSON events on stdout with `--json` (and nothing else on stdout), or plain lines.
 *
 * @module
 */

import type { Alert, TorrentStatus } from "../mod.ts";

/** Receives the session's alerts and periodic status snapshots. */
export interface Reporter {
  /** One alert from the session. */
  alert(alert: Alert): void;
  /** Called about once a second with every torrent's status. */
  update(statuses: readonly TorrentStatus[]): void;
  /** A torrent reached its goal (downloaded, or seeded enough). */
  done(status: TorrentStatus, reason: string): void;
  /** A line for the user (warnings, errors). */
  message(text: string): void;
  /** Final update; stops the bars. */
  stop(): void;
}

/** Formats bytes with binary units: `1.5 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Formats seconds as `1h02m`, `3m07s` or `12s`; `null` as `--`. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "--";
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** NDJSON on stdout: `progress` each second, `piece`, `peer`, `state`, `done` and `error` events. */
export class JsonReporter implements Reporter {
  #encoder = new TextEncoder();
  #pending: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Queues one line; lines are written together every 50 ms (one write per piece cost the main isolate ~7%). */
  #write(object: Record<string, unknown>): void {
    this.#pending.push(JSON.stringify({ time: Date.now(), ...object }));
    this.#timer ??= setTimeout(() => this.#flush(), 50);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const bytes = this.#encoder.encode(this.#pending.join("\n") + "\n");
    this.#pending = [];
    for (let offset = 0; offset < bytes.length;) offset += Deno.stdout.writeSync(bytes.subarray(offset));
  }

  alert(alert: Alert): void {
    switch (alert.type) {
      case "piece_finished":
        this.#write({ event: "piece", infoHash: alert.infoHash, piece: alert.piece });
        return;
      case "peer_connected":
        this.#write({ event: "peer", infoHash: alert.infoHash, peer: alert.peer, connected: true });
        return;
      case "peer_disconnected":
        this.#write({
          event: "peer",
          infoHash: alert.infoHash,
          peer: alert.peer,
          connected: false,
          reason: alert.reason,
        });
        return;
      case "state_changed":
        this.#write({ event: "state", infoHash: alert.infoHash, state: alert.state });
        return;
      case "torrent_finished":
        this.#write({ event: "completed", infoHash: alert.infoHash });
        return;
      case "hash_failed":
      case "tracker_error":
      case "torrent_error":
      case "storage_error":
      case "peer_banned":
      case "state_warning":
        this.#write({ event: "warning", ...alert });
        return;
    }
  }

  update(statuses: readonly TorrentStatus[]): void {
    for (const s of statuses) {
      this.#write({
        event: "progress",
        infoHash: s.infoHash,
        name: s.name,
        state: s.state,
        progress: s.progress,
        checkProgress: s.checkProgress,
        verifiedBytes: s.verifiedBytes,
        totalLength: s.totalLength,
        downloadRate: Math.round(s.downloadRate),
        uploadRate: Math.round(s.uploadRate),
        downloaded: s.downloaded,
        uploaded: s.uploaded,
        peers: s.peers,
        seeds: s.seeds,
        eta: s.eta,
      });
    }
  }

  done(status: TorrentStatus, reason: string): void {
    this.#write({
      event: "done",
      infoHash: status.infoHash,
      name: status.name,
      reason,
      uploaded: status.uploaded,
    });
  }

  message(text: string): void {
    this.#write({ event: "message", text });
  }

  stop(): void {
    this.#flush();
  }
}

/** Plain lines on stderr, for when stderr is not a terminal and `--json` is off. */
export class QuietReporter implements Reporter {
  alert(alert: Alert): void {
    if (alert.type === "state_warning") console.error(`warning: ${alert.message}`);
  }
  update(): void {}
  done(status: TorrentStatus, reason: string): void {
    console.error(`${status.name}: ${reason}`);
  }
  message(text: string): void {
    console.error(text);
  }
  stop(): void {}
}
