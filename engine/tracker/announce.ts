/**
 * One announce to one tracker URL, whatever its scheme (BEP 3 HTTP/HTTPS, BEP 15 UDP).
 *
 * @module
 */

import { TrackerError } from "../errors.ts";
import { checkAnnounceRequest } from "./_request.ts";
import { announceHttp } from "./http_tracker.ts";
import type { AnnounceRequest, AnnounceResponse } from "./types.ts";
import { UdpTrackerClient } from "./udp_tracker.ts";

/** Options of {@link announce}. */
export interface AnnounceOptions {
  /** Aborts the announce; it then rejects with a {@link TrackerError} whose `cause` is the signal's reason. */
  signal?: AbortSignal;
  /** Milliseconds for the whole announce (retransmissions and redirects included). Default 60,000. */
  timeout?: number;
  /**
   * The UDP client for `udp:` URLs, normally the session's, so that sockets and connection ids are shared.
   * Default: a client made for this one announce and closed after it.
   */
  udpClient?: UdpTrackerClient;
  /** Milliseconds before the first UDP retransmission, for the client made when `udpClient` is absent. */
  udpBaseTimeout?: number;
}

/**
 * Announces to one tracker URL (`http:`, `https:` or `udp:`) and returns its reply: the interval to wait (clamped
 * to [300, 7200] s), the peers (IPv4 and IPv6, deduplicated, unusable entries dropped) and the swarm counts.
 *
 * @param url The announce URL from the metainfo (BEP 3 `announce`, BEP 12 `announce-list`).
 * @param request What to announce: info-hash, peer id, port, byte counts, event.
 * @param options Abort signal, timeout, UDP client.
 * @returns The tracker's reply.
 * @throws {TrackerError} For every tracker failure: unsupported scheme, unreachable host, timeout, `failure
 *   reason` or UDP error reply, garbage or oversized replies, refused redirects, abort.
 * @throws {TypeError} When `request.infoHash` or `request.peerId` is not 20 bytes.
 * @throws {RangeError} When a number in `request` is out of range.
 *
 * @example Announce that we started downloading
 * ```ts ignore
 * const reply = await announce("udp://tracker.example:6969/announce", {
 *   infoHash, peerId, port: 6881, uploaded: 0, downloaded: 0, left: 1 << 20, event: "started",
 * });
 * for (const { host, port } of reply.peers) console.log(host, port);
 * ```
 */
export async function announce(
  url: string,
  request: AnnounceRequest,
  options: AnnounceOptions = {},
): Promise<AnnounceResponse> {
  checkAnnounceRequest(request);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1].toLowerCase();
  const deadline = { signal: options.signal, timeout: options.timeout };
  if (scheme === "http" || scheme === "https") return await announceHttp(url, request, deadline);
  if (scheme !== "udp") {
    throw new TrackerError(
      url,
      `Cannot announce: unsupported tracker URL scheme ${JSON.stringify(scheme ?? "")}`,
    );
  }
  if (options.udpClient !== undefined) return await options.udpClient.announce(url, request, deadline);
  await using client = new UdpTrackerClient({ baseTimeout: options.udpBaseTimeout });
  return await client.announce(url, request, deadline);
}
