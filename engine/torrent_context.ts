/**
 * What a session shares with each of its torrents.
 *
 * @module
 */

import type { AlertQueue } from "./alerts.ts";
import type { ByteTransport } from "./peer_connection.ts";
import type { DiskIo } from "./storage/disk_io.ts";
import type { StateStore } from "./storage/state_store.ts";
import type { DhtClient } from "./torrent_dht.ts";
import type { AnnounceFunction } from "./torrent_announcer.ts";
import type { PeerAddress } from "./tracker/mod.ts";
import type { TorrentInfo } from "./metainfo/mod.ts";
import type { StartMode } from "./torrent_data.ts";

/** Session-wide limits and switches a torrent reads. */
export interface SwarmSettings {
  /** Regular unchoke slots per torrent (BEP 3 choking). */
  uploadSlots: number;
  /** Most connected peers per torrent. */
  maxPeersPerTorrent: number;
  /** Most outgoing connection attempts in flight per torrent. */
  maxHalfOpen: number;
  /** Outgoing connect timeout (ms). */
  connectTimeout: number;
  /** Handshake timeout (ms). */
  handshakeTimeout: number;
  /** Peer exchange (BEP 11) on public torrents (default true). */
  pex?: boolean;
}

/** A shared counter with a limit. */
export interface Budget {
  /** Current use. */
  used: number;
  /** Limit. */
  limit: number;
}

/** Everything a torrent gets from its session. */
export interface TorrentContext {
  /** Our 20-byte peer id. */
  readonly peerId: Uint8Array;
  /** Our tracker key (BEP 7), a uint32. */
  readonly trackerKey: number;
  /** The port we listen on (0 when not listening). */
  listenPort(): number;
  /** The disk and hash jobs. */
  readonly diskIo: DiskIo;
  /** Where alerts go. */
  readonly alerts: AlertQueue;
  /** Announces to one tracker. */
  readonly announce: AnnounceFunction;
  /** Limits. */
  readonly settings: SwarmSettings;
  /** Bytes of piece buffers in flight, session-wide (DESIGN.md section 3: memory is bounded). */
  readonly budget: Budget;
  /** Open peer connections, session-wide. */
  readonly connections: Budget;
  /** The state store, when the session keeps state (DESIGN.md section 5). */
  readonly store?: StateStore;
  /** The session's DHT node (BEP 5), when the DHT is on. */
  readonly dht?: DhtClient;
  /** Opens a byte stream to a peer. */
  connect(peer: PeerAddress, timeoutMs: number): Promise<ByteTransport>;
}

/** Options for a `Torrent`. */
export interface TorrentOptions {
  /** Parsed metainfo. */
  info: TorrentInfo;
  /** Directory the torrent's files are saved under (absolute). */
  savePath: string;
  /** Peers to connect to besides the trackers'. */
  peers?: readonly PeerAddress[];
  /** Start paused. */
  paused?: boolean;
  /** What to do with recorded state: trust it where files are unchanged (default), recheck all, or discard it. */
  mode?: StartMode;
  /** The .torrent bytes, recorded for `ccbt resume`. */
  metainfo?: Uint8Array;
}
