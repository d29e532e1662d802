/**
 * Tracker clients: announce over HTTP/HTTPS (BEP 3, compact peers per BEP 23, IPv6 `peers6` per BEP 7) and UDP
 * (BEP 15), scrape (BEP 48, BEP 15) and tier shuffling (BEP 12), with the hostile-reply limits of DESIGN.md
 * section 8.
 *
 * @module
 */

export { announce, type AnnounceOptions } from "./announce.ts";
export { announceHttp, type HttpAnnounceOptions, MAX_TRACKER_REDIRECTS } from "./http_tracker.ts";
export { MAX_SCRAPE_HASHES, scrape, type ScrapeCounts, type ScrapeOptions, scrapeUrl } from "./scrape.ts";
export { shuffleTiers } from "./tiers.ts";
export { type UdpAnnounceOptions, UdpTrackerClient, type UdpTrackerClientOptions } from "./udp_tracker.ts";
export {
  ANNOUNCE_INTERVAL_CEILING,
  ANNOUNCE_INTERVAL_DEFAULT,
  ANNOUNCE_INTERVAL_FLOOR,
  type AnnounceEvent,
  type AnnounceRequest,
  type AnnounceResponse,
  DEFAULT_ANNOUNCE_TIMEOUT,
  MAX_TRACKER_RESPONSE_BYTES,
  type PeerAddress,
} from "./types.ts";
