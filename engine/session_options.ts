/**
 * What a {@linkcode Session} takes: its settings and the parameters of `addTorrent` / `addMagnet`.
 *
 * @module
 */

import type { DiskIo, HashBackend } from "./storage/disk_io.ts";
import type { MagnetLink, TorrentInfo } from "./metainfo/mod.ts";
import type { PeerAddress } from "./tracker/mod.ts";

/** Settings of a {@linkcode Session}. Every field is optional. */
export interface SessionOptions {
  /** TCP port to accept peers on; 0 picks a free one (default 0). */
  listenPort?: number;
  /** Address to listen on (default `0.0.0.0`). */
  listenHost?: string;
  /** Whether to accept incoming connections at all (default true). */
  listen?: boolean;
  /** Disk and hash jobs; default: a `WorkerDiskIo` made with `hashBackend` and `workers`, closed with the session. */
  diskIo?: DiskIo;
  /** Hash implementation for the default disk I/O (default `native`: node:crypto, the faster one measured). */
  hashBackend?: HashBackend;
  /** Worker count for the default disk I/O (default: cores, 1..4). */
  workers?: number;
  /** Regular unchoke slots per torrent (default 4). */
  uploadSlots?: number;
  /** Most peers per torrent (default 50). */
  maxPeersPerTorrent?: number;
  /** Most peer connections in the session (default 200; HOSTILE_INPUTS.md case 69). */
  maxConnections?: number;
  /**
   * Bytes of piece buffers in flight to the disk, session-wide (default 32 MiB); at least four pieces of a torrent
   * may always be in flight, so torrents with 8-16 MiB pieces are not starved.
   */
  memoryBudget?: number;
  /** Outgoing connect timeout in ms (default 15 000). */
  connectTimeout?: number;
  /** Handshake timeout in ms (default 10 000). */
  handshakeTimeout?: number;
  /** Alerts held before dropping (default 4096). */
  alertQueueSize?: number;
  /**
   * Directory of the state database (`ccbt.db`, SQLite in WAL mode): each torrent's metainfo, save path,
   * have-bitfield, stats and state, so a restart resumes where it stopped (DESIGN.md section 5). Without it,
   * nothing is recorded and every start checks existing data.
   */
  stateDir?: string;
  /**
   * Join the DHT (BEP 5) to find peers without trackers; private torrents never use it (default false). With
   * `stateDir`, the node id and the good nodes are saved (every 5 minutes and at close) and reused at the next
   * start. A DHT that cannot start (no permission, port taken) is a `state_warning` alert, not an error.
   */
  dht?: boolean;
  /** UDP port of the DHT node (default 0: any free port). */
  dhtPort?: number;
  /**
   * DHT nodes to bootstrap from (`{ host, port }`): IP addresses or host names, resolved (A and AAAA) at start;
   * a name that does not resolve is a `state_warning` alert.
   */
  dhtBootstrap?: readonly PeerAddress[];
  /** Peer exchange (BEP 11, ut_pex) with peers of public torrents (default true). */
  pex?: boolean;
  /**
   * Local service discovery (BEP 14): announce public torrents on the LAN multicast groups and connect to the
   * peers heard there (default false). `true` uses the IPv4 group and, when it can be joined, the IPv6 group. An
   * object sets the IPv4 group, UDP port and interface (tests use their own), and IPv6 only when `ipv6` is given.
   */
  lsd?: boolean | {
    group?: string;
    port?: number;
    interface?: string;
    minAnnounceGap?: number;
    ipv6?: boolean | { group?: string; port?: number; interface?: string };
  };
}

/** What to add: a .torrent's bytes or parsed metainfo, and where to save it. */
export interface AddTorrentParams {
  /** Bencoded .torrent bytes or a parsed `TorrentInfo`. */
  torrent: Uint8Array | TorrentInfo;
  /** Directory to save the files under; created when missing. */
  savePath: string;
  /** Peers to connect to besides the trackers' (`{ host, port }`). */
  peers?: readonly PeerAddress[];
  /** Add paused: the data is checked, then nothing is transferred until `resume()`. */
  paused?: boolean;
  /**
   * What to do with the torrent's recorded state: `resume` (default) trusts recorded pieces whose files are
   * unchanged and checks the rest; `recheck` hashes all existing data; `fresh` discards the record first.
   */
  mode?: "resume" | "recheck" | "fresh";
  /**
   * One priority per file of the torrent (metainfo order, padding files included): 0 = do not download, 1..7
   * (default 4 for every file). Recorded in the state store; without it, recorded priorities are used. See
   * `TorrentHandle.setFilePriorities` for what a selection downloads and writes.
   */
  filePriorities?: readonly number[];
}

/** What to add from a magnet link. */
export interface AddMagnetParams extends Omit<AddTorrentParams, "torrent"> {
  /** A magnet URI, or a parsed link. */
  magnet: string | MagnetLink;
  /** Give up fetching the metadata after this many ms (default 60 000). */
  timeoutMs?: number;
}
