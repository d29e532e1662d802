/**
 * Typed alerts (libtorrent-style): a discriminated union on `type`, each with a `category`, read from a bounded
 * queue as an async iterator. Overflow becomes one `alerts_dropped` alert.
 *
 * @module
 */

/** Broad class of an alert, for filtering. */
export type AlertCategory = "status" | "progress" | "peer" | "tracker" | "storage" | "error";

/** Peer address as `host:port` (IPv6 hosts in brackets). */
export type PeerName = string;

/** Every alert a Session emits. `infoHash` is 40 lowercase hex characters. `time` is `Date.now()` (ms). */
export type Alert =
  | { type: "torrent_added"; category: "status"; time: number; infoHash: string; name: string }
  | { type: "torrent_removed"; category: "status"; time: number; infoHash: string }
  | { type: "state_changed"; category: "status"; time: number; infoHash: string; state: TorrentState }
  | { type: "torrent_checked"; category: "status"; time: number; infoHash: string; piecesHave: number }
  | { type: "piece_finished"; category: "progress"; time: number; infoHash: string; piece: number }
  | {
    type: "hash_failed";
    category: "error";
    time: number;
    infoHash: string;
    piece: number;
    peers: PeerName[];
  }
  | { type: "torrent_finished"; category: "status"; time: number; infoHash: string }
  | {
    type: "peer_connected";
    category: "peer";
    time: number;
    infoHash: string;
    peer: PeerName;
    incoming: boolean;
  }
  | {
    type: "peer_disconnected";
    category: "peer";
    time: number;
    infoHash: string;
    peer: PeerName;
    reason: string;
  }
  | { type: "peer_banned"; category: "peer"; time: number; infoHash: string; peer: PeerName; reason: string }
  | { type: "tracker_reply"; category: "tracker"; time: number; infoHash: string; url: string; peers: number }
  | {
    type: "tracker_error";
    category: "tracker";
    time: number;
    infoHash: string;
    url: string;
    message: string;
  }
  | {
    type: "storage_error";
    category: "storage";
    time: number;
    infoHash: string;
    path: string;
    message: string;
  }
  | { type: "torrent_error"; category: "error"; time: number; infoHash: string; message: string }
  | { type: "state_warning"; category: "storage"; time: number; infoHash?: string; message: string }
  | {
    /** A magnet link's BEP 53 `so` named files the torrent does not have; they were ignored. */
    type: "select_only_ignored";
    category: "status";
    time: number;
    infoHash: string;
    /** The indices at or beyond `fileCount`, ascending. */
    indices: number[];
    /** Files in the torrent. */
    fileCount: number;
    message: string;
  }
  | {
    /**
     * A hybrid torrent's file passed its v1 (SHA-1) checks but its data does not lead to the file's v2 pieces root:
     * the torrent's two hash trees describe different data (BEP 52). The file is served to v1 peers only.
     */
    type: "hybrid_mismatch";
    category: "error";
    time: number;
    infoHash: string;
    /** Index in `TorrentInfo.files`. */
    fileIndex: number;
    message: string;
  }
  | { type: "listen_failed"; category: "error"; time: number; message: string }
  | { type: "alerts_dropped"; category: "error"; time: number; count: number };

/** The state of a torrent, as in `TorrentStatus.state`. */
export type TorrentState = "checking" | "downloading" | "seeding" | "paused" | "error";

/** Distributes `Omit<Alert, "time">` over the union so each variant keeps its own fields. */
export type AlertInput = Alert extends infer A ? A extends Alert ? Omit<A, "time"> : never : never;

/**
 * A bounded queue of alerts read by one or more async iterators. When full, new alerts are counted and reported
 * as a single `alerts_dropped` alert once there is room again.
 */
export class AlertQueue {
  #items: Alert[] = [];
  #capacity: number;
  #dropped = 0;
  #waiters: (() => void)[] = [];
  #closed = false;

  /** @param capacity Maximum alerts held before dropping (default 4096). */
  constructor(capacity = 4096) {
    this.#capacity = capacity;
  }

  /** Adds an alert; never throws. */
  push(alert: AlertInput): void {
    if (this.#closed) return;
    if (this.#items.length >= this.#capacity) {
      this.#dropped++;
      return;
    }
    if (this.#dropped > 0) {
      this.#items.push({ type: "alerts_dropped", category: "error", time: Date.now(), count: this.#dropped });
      this.#dropped = 0;
    }
    this.#items.push({ ...alert, time: Date.now() } as Alert);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Ends every iterator once the queued alerts are read. */
  close(): void {
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Reads alerts until the queue is closed. With several readers, each alert goes to one of them. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<Alert> {
    while (true) {
      const next = this.#items.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}
