/**
 * The shapes of a tracker announce (BEP 3, BEP 15, BEP 23, BEP 7), shared by the HTTP and UDP clients.
 *
 * @module
 */

/**
 * Why we announce (BEP 3 `event`): `started` when a download begins, `completed` when it finishes (not sent if
 * it was complete at start), `stopped` when we leave the swarm, `undefined` for a regular re-announce.
 */
export type AnnounceEvent = "started" | "completed" | "stopped" | undefined;

/** What we tell the tracker (BEP 3 tracker GET request keys; BEP 15 announce request fields). */
export interface AnnounceRequest {
  /** The torrent's info-hash: `Uint8Array` of 20 bytes (SHA-1 of the bencoded `info`, BEP 3). */
  infoHash: Uint8Array;
  /** Our peer id: `Uint8Array` of 20 bytes. */
  peerId: Uint8Array;
  /** TCP port we accept peer connections on, 0–65535. */
  port: number;
  /** Bytes uploaded since the `started` event (non-negative safe integer). */
  uploaded: number;
  /** Bytes downloaded since the `started` event (non-negative safe integer). */
  downloaded: number;
  /** Bytes still missing (non-negative safe integer). */
  left: number;
  /** Why we announce; omitted or `undefined` for a regular re-announce. */
  event?: AnnounceEvent;
  /** How many peers we want (HTTP `numwant`, UDP `num_want`); omitted = the tracker's default. */
  numwant?: number;
  /**
   * Our tracker key (BEP 7: at least 32 bits of entropy, the same for one info-hash during a session), an
   * unsigned 32-bit integer. Sent as 8 hex digits over HTTP, as the `key` field over UDP (0 when omitted).
   */
  key?: number;
  /** The `tracker id` the tracker gave in an earlier reply (HTTP only), echoed back as `trackerid`. */
  trackerId?: string;
}

/** Where to reach a peer. */
export interface PeerAddress {
  /** Dotted IPv4 text (`"192.0.2.7"`) or RFC 5952 IPv6 text (`"2001:db8::7"`), never a DNS name. */
  host: string;
  /** TCP port, 1–65535. */
  port: number;
}

/** What a tracker answered (BEP 3 response keys, BEP 15 announce response fields). */
export interface AnnounceResponse {
  /**
   * Seconds to wait before the next regular announce, clamped to
   * [{@link ANNOUNCE_INTERVAL_FLOOR}, {@link ANNOUNCE_INTERVAL_CEILING}] (DESIGN.md section 8).
   */
  interval: number;
  /** Seconds: the tracker's `min interval` between any two announces, if it sent one (0..`interval`). */
  minInterval?: number;
  /** Peers in the swarm: deduplicated; port 0, unspecified, multicast and reserved addresses dropped. */
  peers: PeerAddress[];
  /** Number of seeders (BEP 3 `complete`, BEP 15 `seeders`), if sent. */
  complete?: number;
  /** Number of leechers (BEP 3 `incomplete`, BEP 15 `leechers`), if sent. */
  incomplete?: number;
  /** The tracker's `warning message` (control characters removed, at most 512 characters), if any. */
  warning?: string;
  /** The tracker's `tracker id` (latin1 text of its raw bytes), to send back as `trackerId` next time. */
  trackerId?: string;
}

/** Shortest regular announce interval we accept from a tracker, in seconds (DESIGN.md section 8). */
export const ANNOUNCE_INTERVAL_FLOOR = 300;

/** Longest regular announce interval we accept from a tracker, in seconds (2 hours; HOSTILE_INPUTS.md 30). */
export const ANNOUNCE_INTERVAL_CEILING = 7200;

/** Interval used when a reply has none, in seconds (opentracker's and libtorrent's usual 30 minutes). */
export const ANNOUNCE_INTERVAL_DEFAULT = 1800;

/** Largest tracker reply we read, in bytes, measured after decompression (DESIGN.md section 8). */
export const MAX_TRACKER_RESPONSE_BYTES = 1024 * 1024;

/** How long one announce may take by default, in milliseconds. */
export const DEFAULT_ANNOUNCE_TIMEOUT = 60_000;
