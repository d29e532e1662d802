/**
 * Announce scheduling for one torrent: `started` at start, regular re-announces at the tracker's interval,
 * `completed` when the download finishes, `stopped` when we leave (BEP 3). The URLs of each tier are shuffled once
 * at construction; trackers are tried tier by tier, and a tracker that answers moves to the front of its tier
 * (BEP 12).
 *
 * @module
 */

import type { AlertQueue } from "./alerts.ts";
import {
  type AnnounceEvent,
  type AnnounceRequest,
  type AnnounceResponse,
  type PeerAddress,
  shuffleTiers,
} from "./tracker/mod.ts";

/** Announces once to one tracker URL; throws `TrackerError` on failure. */
export type AnnounceFunction = (
  url: string,
  request: AnnounceRequest,
  options?: { signal?: AbortSignal; timeout?: number },
) => Promise<AnnounceResponse>;

/** Options for a {@linkcode TorrentAnnouncer}. */
export interface TorrentAnnouncerOptions {
  /** Announce URL tiers (BEP 12); copied, each tier's URLs shuffled, empty tiers dropped. */
  tiers: readonly (readonly string[])[];
  /** Source of numbers in [0, 1) for the tier shuffle (default `Math.random`); tests pass a fixed one. */
  random?: () => number;
  /** Does the network call. */
  announce: AnnounceFunction;
  /** Builds the request for an event from the torrent's current counters. */
  request: (event: AnnounceEvent) => AnnounceRequest;
  /** Peers from a tracker reply. */
  onPeers: (peers: PeerAddress[]) => void;
  /** Where `tracker_reply` and `tracker_error` alerts go. */
  alerts: AlertQueue;
  /** The torrent's info-hash (hex), for the alerts. */
  infoHash: string;
  /** Per-announce timeout in ms (default 15 000). */
  timeout?: number;
  /** Seconds to wait before retrying after every tracker failed (default 60, doubling to 30 minutes). */
  retrySeconds?: number;
}

/** Runs one torrent's announces on a timer. */
export class TorrentAnnouncer {
  #tiers: string[][];
  #options: TorrentAnnouncerOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #failures = 0;
  /** Trackers that answered an announce, so know us: the others get `started` instead of a re-announce. */
  #known = new Set<string>();
  #abort = new AbortController();

  constructor(options: TorrentAnnouncerOptions) {
    this.#tiers = shuffleTiers(options.tiers, options.random).filter((tier) => tier.length > 0);
    this.#options = options;
  }

  /** Whether there is any tracker to announce to. */
  get hasTrackers(): boolean {
    return this.#tiers.length > 0;
  }

  /** Sends `started` now and schedules re-announces. */
  start(): void {
    this.#announceNow("started");
  }

  /** Sends `completed` now (BEP 3: only when the download finishes while we run). */
  completed(): void {
    this.#announceNow("completed");
  }

  /** Re-announces now (forced re-announce), keeping the schedule afterwards. */
  reannounce(): void {
    this.#announceNow(undefined);
  }

  /**
   * Stops the schedule and sends `stopped`, waiting at most `timeoutMs` for it.
   * @param timeoutMs Time to wait for the `stopped` announce (ms).
   */
  async stop(timeoutMs = 3000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#running?.catch(() => {});
    if (!this.hasTrackers) return;
    const request = this.#options.request("stopped");
    await Promise.all(
      this.#tiers.map((tier) =>
        this.#options.announce(tier[0], request, { timeout: timeoutMs }).catch(() => {})
      ),
    );
  }

  #announceNow(event: AnnounceEvent): void {
    if (this.#stopped || !this.hasTrackers) return;
    clearTimeout(this.#timer);
    const previous = this.#running ?? Promise.resolve();
    this.#running = previous.then(() => this.#announceTiers(event));
  }

  async #announceTiers(event: AnnounceEvent): Promise<void> {
    if (this.#stopped) return;
    let interval: number | undefined;
    for (const tier of this.#tiers) {
      for (let i = 0; i < tier.length && !this.#stopped; i++) {
        const url = tier[i];
        // A tracker that never answered us (it failed, or is a fallback) gets `started` first (BEP 3).
        const sent = event === undefined && !this.#known.has(url) ? "started" : event;
        try {
          const reply = await this.#options.announce(url, this.#options.request(sent), {
            signal: this.#abort.signal,
            timeout: this.#options.timeout ?? 15_000,
          });
          tier.splice(i, 1);
          tier.unshift(url);
          interval = reply.interval;
          this.#known.add(url);
          const { alerts, infoHash } = this.#options;
          alerts.push({
            type: "tracker_reply",
            category: "tracker",
            infoHash,
            url,
            peers: reply.peers.length,
          });
          this.#options.onPeers(reply.peers);
          break;
        } catch (error) {
          if (this.#stopped) return;
          const message = error instanceof Error ? error.message : String(error);
          const { alerts, infoHash } = this.#options;
          alerts.push({ type: "tracker_error", category: "tracker", infoHash, url, message });
        }
      }
      if (interval !== undefined) break;
    }
    if (this.#stopped) return;
    let delaySeconds: number;
    if (interval !== undefined) {
      this.#failures = 0;
      delaySeconds = interval;
    } else {
      delaySeconds = Math.min(1800, (this.#options.retrySeconds ?? 60) * 2 ** this.#failures++);
    }
    this.#timer = setTimeout(() => this.#announceNow(undefined), delaySeconds * 1000);
  }
}
