/**
 * Scraping a tracker: the swarm counts (seeders, leechers, completed downloads) of torrents without joining their
 * swarms, over HTTP/HTTPS (BEP 48) or UDP (BEP 15).
 *
 * @module
 */

import { TrackerError } from "../errors.ts";
import { withDeadline } from "./_deadline.ts";
import { fetchTracker } from "./_http_fetch.ts";
import { percentEncodeBytes } from "./_request.ts";
import {
  asScrapeError,
  checkScrapeHashes,
  parseHttpScrapeReply,
  scrapeBatches,
  type ScrapeCounts,
  scrapeFailureReason,
} from "./_scrape.ts";
import { MAX_TRACKER_REDIRECTS } from "./http_tracker.ts";
import { MAX_TRACKER_RESPONSE_BYTES } from "./types.ts";
import { UdpTrackerClient } from "./udp_tracker.ts";

export { MAX_SCRAPE_HASHES, type ScrapeCounts } from "./_scrape.ts";

/** Options of {@link scrape}. */
export interface ScrapeOptions {
  /** Aborts the scrape; it then rejects with a {@link TrackerError} whose `cause` is the signal's reason. */
  signal?: AbortSignal;
  /** Milliseconds for the whole scrape (every request, redirects and retransmissions). Default 60,000. */
  timeout?: number;
  /**
   * The UDP client for `udp:` URLs, normally the session's, so that sockets and connection ids are shared.
   * Default: a client made for this one scrape and closed after it.
   */
  udpClient?: UdpTrackerClient;
  /** Milliseconds before the first UDP retransmission, for the client made when `udpClient` is absent. */
  udpBaseTimeout?: number;
  /** HTTP `User-Agent` header. Default `"ccbt/0.1.0"`. */
  userAgent?: string;
}

/**
 * The HTTP scrape URL of an announce URL (BEP 48): the last path segment, when it starts with `announce`, has
 * that word replaced by `scrape` (`/announce` → `/scrape`, `/x/announce.php?pk=1` → `/x/scrape.php?pk=1`); the
 * query is kept and any fragment dropped.
 *
 * @param announceUrl An `http:` or `https:` announce URL.
 * @returns The scrape URL, or `undefined` when the tracker has no scrape URL by this rule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scrapeUrl } from "./scrape.ts";
 *
 * assert.equal(scrapeUrl("http://t.example/announce?pk=1"), "http://t.example/scrape?pk=1");
 * assert.equal(scrapeUrl("http://t.example/a"), undefined);
 * ```
 */
export function scrapeUrl(announceUrl: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(announceUrl);
  } catch {
    return undefined;
  }
  const slash = parsed.pathname.lastIndexOf("/");
  const last = parsed.pathname.slice(slash + 1);
  if (!last.startsWith("announce")) return undefined;
  parsed.pathname = `${parsed.pathname.slice(0, slash + 1)}scrape${last.slice("announce".length)}`;
  parsed.hash = "";
  return parsed.href;
}

/**
 * Scrapes one tracker for the swarm counts of some torrents. `http:`/`https:` trackers are asked at their BEP 48
 * scrape URL with `info_hash` repeated (at most 74 per request), and the reply is read with the same limits as
 * an announce reply (1 MiB after gunzip, at most 3 redirects and never to a more local address); `udp:` trackers
 * are asked with BEP 15 scrape packets (at most 74 hashes each). Repeated hashes are asked once.
 *
 * @param url The tracker's announce URL (BEP 3 `announce`, BEP 12 `announce-list`).
 * @param infoHashes The torrents: `Uint8Array`s of 20 bytes, at least one.
 * @param options Abort signal, timeout, UDP client.
 * @returns Counts keyed by lowercase hex info-hash; a torrent the tracker does not report has no entry.
 * @throws {TrackerError} When the URL's scheme is unsupported, an HTTP announce URL has no scrape URL ("tracker
 *   does not support scrape"), or the tracker fails as an announce would (unreachable, timeout, abort, failure
 *   reason or UDP error, non-2xx, garbage, too many bytes, bad redirect); messages start "Cannot scrape:".
 * @throws {TypeError} When an info-hash is not 20 bytes.
 * @throws {RangeError} When `infoHashes` is empty.
 *
 * @example Scrape a local tracker
 * ```ts ignore
 * const counts = await scrape("udp://127.0.0.1:6969/announce", [infoHash]);
 * const { complete, incomplete } = counts.get(infoHashHex) ?? { complete: 0, incomplete: 0 };
 * ```
 */
export async function scrape(
  url: string,
  infoHashes: readonly Uint8Array[],
  options: ScrapeOptions = {},
): Promise<Map<string, ScrapeCounts>> {
  const hashes = checkScrapeHashes(infoHashes);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1].toLowerCase();
  const deadline = { signal: options.signal, timeout: options.timeout };
  if (scheme === "udp") {
    if (options.udpClient !== undefined) return await options.udpClient.scrape(url, hashes, deadline);
    await using client = new UdpTrackerClient({ baseTimeout: options.udpBaseTimeout });
    return await client.scrape(url, hashes, deadline);
  }
  if (scheme !== "http" && scheme !== "https") {
    throw new TrackerError(
      url,
      `Cannot scrape: unsupported tracker URL scheme ${JSON.stringify(scheme ?? "")}`,
    );
  }
  const target = scrapeUrl(url);
  if (target === undefined) throw new TrackerError(url, "Cannot scrape: tracker does not support scrape");
  try {
    return await withDeadline(url, deadline, async (signal) => {
      const counts = new Map<string, ScrapeCounts>();
      for (const batch of scrapeBatches(hashes)) {
        const reply = await fetchTracker(url, httpScrapeUrl(target, batch), {
          signal,
          maxBytes: MAX_TRACKER_RESPONSE_BYTES,
          maxRedirects: MAX_TRACKER_REDIRECTS,
          userAgent: options.userAgent ?? "ccbt/0.1.0",
        });
        if (reply.status < 200 || reply.status >= 300) {
          // Some trackers send their `failure reason` with an error status: prefer that message when present.
          const reason = scrapeFailureReason(reply.body);
          const detail = reason === undefined
            ? `tracker answered HTTP ${reply.status}`
            : `tracker failure reason: ${reason}`;
          throw new TrackerError(url, `Cannot scrape: ${detail}`);
        }
        parseHttpScrapeReply(url, reply.body, batch, counts);
      }
      return counts;
    });
  } catch (error) {
    throw asScrapeError(error);
  }
}

/** `target` with `info_hash=` appended once per hash, percent-encoded byte by byte (BEP 3, BEP 48). */
function httpScrapeUrl(target: string, infoHashes: readonly Uint8Array[]): string {
  const query = infoHashes.map((hash) => `info_hash=${percentEncodeBytes(hash)}`).join("&");
  const separator = !target.includes("?") ? "?" : target.endsWith("?") || target.endsWith("&") ? "" : "&";
  return target + separator + query;
}
