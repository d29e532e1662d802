/**
 * ccbt: a BitTorrent engine, command-line client and library for Deno.
 *
 * Supported specifications:
 * - BEP 3: the BitTorrent protocol (metainfo, HTTP trackers, peer wire, choking, rarest-first)
 * - BEP 12: multitracker metadata (announce-list tiers)
 * - BEP 15: UDP tracker protocol
 * - BEP 23: compact tracker peer lists
 * - BEP 7: IPv6 tracker peers (`peers6`)
 * - BEP 27: private torrents (no DHT, PEX or LSD for them)
 * - BEP 6: the fast extension (have all/none, reject, allowed fast)
 * - BEP 9: magnet links and metadata exchange (ut_metadata), fetching and serving
 * - BEP 10: the extension protocol
 * - BEP 11: peer exchange (ut_pex)
 * - BEP 5: the DHT (a full node; its nodes kept in the state database)
 * - BEP 14: local service discovery (IPv4 and IPv6 groups)
 * - BEP 53: magnet `so` file selection, and file priorities
 * - BEP 48: scrape (HTTP), and BEP 15 scrape over UDP
 * - BEP 52: BitTorrent v2 and hybrid torrents: metainfo parsed and created, SHA-256 Merkle verification,
 *   hash request / hashes / hash reject, v2 magnets (`urn:btmh`)
 * - BEP 47: padding files (never written) and file attributes (executable, symlinks kept inside)
 *
 * State: with `SessionOptions.stateDir`, each torrent's progress is kept in a SQLite database and a piece is
 * recorded only after its data is durable, so restarts resume without losing or re-downloading verified data.
 *
 * @example Download a torrent and wait for it
 * ```ts ignore
 * import { Session } from "./mod.ts";
 *
 * await using session = new Session();
 * const handle = await session.addTorrent({
 *   torrent: await Deno.readFile("ubuntu.torrent"),
 *   savePath: "downloads",
 * });
 * for await (const alert of session.alerts()) {
 *   if (alert.type === "torrent_finished" && alert.infoHash === handle.infoHash) break;
 * }
 * ```
 *
 * @module
 */

export {
  type AddMagnetParams,
  type AddTorrentParams,
  Session,
  type SessionOptions,
} from "./engine/session.ts";
export { TorrentHandle } from "./engine/torrent_handle.ts";
export type { TorrentStatus } from "./engine/torrent_status.ts";
export type { Alert, AlertCategory, PeerName, TorrentState } from "./engine/alerts.ts";
export {
  BencodeError,
  MetainfoError,
  PeerProtocolError,
  StorageError,
  TrackerError,
} from "./engine/errors.ts";
export {
  type CreatedTorrent,
  createTorrent,
  type CreateTorrentOptions,
  formatMagnet,
  MagnetError,
  type MagnetLink,
  parseFileSelection,
  parseMagnet,
  parseTorrent,
  type TorrentFile,
  type TorrentInfo,
  type TorrentVersion,
} from "./engine/metainfo/mod.ts";
export {
  type FileMerkle,
  fileMerkle,
  FileMerkleHasher,
  type HashesRange,
  merkleRoot,
  type MerkleRootOptions,
  MerkleTree,
  type MerkleTreeOptions,
  pieceLayerRoot,
  proofRoot,
  type ProvenNode,
} from "./engine/merkle/mod.ts";
export {
  type AnnounceEvent,
  type AnnounceRequest,
  type AnnounceResponse,
  type PeerAddress,
  scrape,
  type ScrapeCounts,
  type ScrapeOptions,
  type UdpAnnounceOptions,
  UdpTrackerClient,
  type UdpTrackerClientOptions,
} from "./engine/tracker/mod.ts";
export {
  type DhtState,
  type FileStamp,
  type OpenedStateStore,
  type ProgressUpdate,
  type SavedDhtNode,
  StateStore,
  type TorrentRecord,
} from "./engine/storage/state_store.ts";
export { type CheckpointJson, exportCheckpoint, importCheckpoint } from "./engine/storage/checkpoint_json.ts";
export type {
  DiskIo,
  HashBackend,
  PieceHashes,
  PieceHashRequest,
  PieceVerdict,
  StorageFile,
  StorageSpec,
  WriteResult,
} from "./engine/storage/disk_io.ts";
