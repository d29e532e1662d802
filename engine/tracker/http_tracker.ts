/**
 * Announcing to an HTTP or HTTPS tracker (BEP 3, compact replies per BEP 23, IPv6 `peers6` per BEP 7).
 *
 * @module
 */

import { TrackerError } from "../errors.ts";
import { fetchTracker } from "./_http_fetch.ts";
import { failureReason, parseHttpAnnounceReply } from "./_http_reply.ts";
import { withDeadline } from "./_deadline.ts";
import { checkAnnounceRequest, httpAnnounceUrl } from "./_request.ts";
import { type AnnounceRequest, type AnnounceResponse, MAX_TRACKER_RESPONSE_BYTES } from "./types.ts";

/** Redirects an HTTP announce follows before giving up (HOSTILE_INPUTS.md case 32). */
export const MAX_TRACKER_REDIRECTS = 3;

/** Options of {@link announceHttp}. */
export interface HttpAnnounceOptions {
  /** Aborts the announce; it then rejects with a {@link TrackerError} whose `cause` is the signal's reason. */
  signal?: AbortSignal;
  /** Milliseconds for the whole announce (connect, redirects, body). Default 60,000; `Infinity` for none. */
  timeout?: number;
  /** `User-Agent` header. Default `"ccbt/0.1.0"`. */
  userAgent?: string;
}

/**
 * Announces to an `http:` or `https:` tracker and returns its reply.
 *
 * The request carries `info_hash` and `peer_id` percent-encoded byte by byte, `compact=1`, and the other BEP 3
 * keys. The reply is read as a stream and abandoned past 1 MiB of decoded (gunzipped) bytes; redirects are
 * followed by hand, at most 3, and never to a more local address (public → private or loopback); peers come from
 * compact `peers` (6-byte entries), a BEP 3 list of dicts, and `peers6` (18-byte entries), with unusable entries
 * dropped; `interval` is clamped to [300, 7200] s.
 *
 * @param url The tracker's announce URL (its own query, such as a passkey, is kept).
 * @param request What to announce.
 * @param options Abort signal, timeout, user agent.
 * @returns The tracker's reply.
 * @throws {TrackerError} When the URL is not http(s), the tracker cannot be reached, times out, answers with a
 *   `failure reason`, a non-2xx status, garbage, or too many bytes, or redirects badly; or when aborted.
 * @throws {TypeError} When `request.infoHash` or `request.peerId` is not 20 bytes.
 * @throws {RangeError} When a number in `request` is out of range.
 *
 * @example Announce to a local tracker
 * ```ts ignore
 * const reply = await announceHttp("http://127.0.0.1:6969/announce", {
 *   infoHash, peerId, port: 6881, uploaded: 0, downloaded: 0, left: 1024, event: "started",
 * });
 * console.log(reply.interval, reply.peers);
 * ```
 */
export async function announceHttp(
  url: string,
  request: AnnounceRequest,
  options: HttpAnnounceOptions = {},
): Promise<AnnounceResponse> {
  checkAnnounceRequest(request);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TrackerError(url, "Cannot announce: tracker URL is not a valid URL", { cause });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new TrackerError(url, `Cannot announce: ${parsed.protocol} is not an HTTP tracker URL`);
  }
  return await withDeadline(url, options, async (signal) => {
    const reply = await fetchTracker(url, httpAnnounceUrl(url, request), {
      signal,
      maxBytes: MAX_TRACKER_RESPONSE_BYTES,
      maxRedirects: MAX_TRACKER_REDIRECTS,
      userAgent: options.userAgent ?? "ccbt/0.1.0",
    });
    if (reply.status >= 200 && reply.status < 300) {
      return parseHttpAnnounceReply(url, reply.body, { ownPeerId: request.peerId });
    }
    // Some trackers send their `failure reason` with an error status: prefer that message when present.
    const reason = failureReason(reply.body);
    const detail = reason === undefined
      ? `tracker answered HTTP ${reply.status}`
      : `tracker failure reason: ${reason}`;
    throw new TrackerError(url, `Cannot announce: ${detail}`);
  });
}
