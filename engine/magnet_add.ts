/**
 * Turns a magnet link into .torrent bytes for the session (BEP 9): the stored metainfo when a record of the
 * torrent has it, else the metadata fetched from peers found through the link, its trackers and the DHT, asked
 * again every few seconds until a peer sends it. The magnet is recorded before the fetch, so a process killed
 * during it fetches again on `ccbt resume` (HOSTILE_INPUTS.md case 66).
 *
 * @module
 */

import {
  fetchMagnetMetadata,
  type MagnetFetchContext,
  type MagnetFetchOptions,
  torrentFromMetadata,
} from "./magnet_metadata.ts";
import { formatMagnet, type MagnetLink, parseTorrent } from "./metainfo/mod.ts";
import type { StateStore } from "./storage/state_store.ts";
import type { AnnounceFunction } from "./torrent_announcer.ts";
import type { AnnounceRequest, PeerAddress } from "./tracker/mod.ts";
import { wireInfoHashes } from "./torrent_peers.ts";

/** Shortest wait before announcing to the same tracker again during one fetch, in ms (30 s). */
const TRACKER_REANNOUNCE_MS = 30_000;

/** What {@linkcode resolveMagnet} uses of the session. */
export interface MagnetSources extends MagnetFetchContext {
  /** The state store, when the session has one. */
  store?: StateStore;
  /** Announces to a tracker (HTTP or UDP). */
  announce: AnnounceFunction;
  /** The session's DHT node, when it is on. */
  dht?: { getPeers(infoHash: Uint8Array): Promise<PeerAddress[]> };
  /** The announce fields besides the info-hash: peer id, port, key. */
  request: Omit<AnnounceRequest, "infoHash" | "uploaded" | "downloaded" | "left">;
}

/** The torrent a magnet link stands for, and the peers seen while fetching it. */
export interface ResolvedMagnet {
  /** .torrent bytes (the verified `info` wrapped with the link's trackers, or the stored metainfo). */
  torrent: Uint8Array;
  /** Every peer the link, the trackers and the DHT named: handed to the torrent so it need not ask again. */
  peers: PeerAddress[];
  /** Whether the metainfo came from the store rather than from peers. */
  stored: boolean;
}

/**
 * Finds the metainfo of `link`: from the store when a record for the same save path holds it, else from peers.
 * Without a record, one is written first (no pieces, the magnet URI) so that a restart knows to fetch again.
 * @param link The parsed magnet link.
 * @param savePath Absolute directory the torrent is saved under.
 * @param peers Peers to ask besides the link's `x.pe` (e.g. `--peer`).
 * @param sources Store, trackers, DHT and how to reach peers.
 * @param options `timeoutMs`: give up fetching after this many ms (default 60 s); `discoverDelaysMs`: pauses
 *   between rounds of tracker and DHT lookups (see {@linkcode MagnetFetchOptions}).
 * @throws {Error} When no peer provides the metadata within `timeoutMs`.
 */
export async function resolveMagnet(
  link: MagnetLink,
  savePath: string,
  peers: readonly PeerAddress[],
  sources: MagnetSources,
  options: Pick<MagnetFetchOptions, "timeoutMs" | "discoverDelaysMs"> = {},
): Promise<ResolvedMagnet> {
  const seen: PeerAddress[] = [...link.peers, ...peers];
  const record = sources.store?.get(link.infoHashHex);
  if (record?.metainfo !== undefined && record.savePath === savePath) {
    try {
      if (parseTorrent(record.metainfo).infoHashHex === link.infoHashHex) {
        return { torrent: record.metainfo, peers: seen, stored: true };
      }
    } catch {
      // A stored metainfo that no longer parses: fetch it again.
    }
  }
  if (record === undefined && sources.store !== undefined) {
    sources.store.put({
      infoHash: link.infoHashHex,
      name: link.name ?? link.infoHashHex,
      magnet: formatMagnet(link),
      savePath,
      state: "metadata",
      pieceCount: 0,
      totalLength: 0,
      have: new Uint8Array(0),
      files: [],
      uploaded: 0,
      downloaded: 0,
      addedAt: Date.now(),
      lastActiveAt: Date.now(),
    });
  }
  const discover = discoverer(link, sources);
  const infoBytes = await fetchMagnetMetadata(link, seen, sources, {
    ...options,
    discover: async () => {
      const found = await discover();
      seen.push(...found);
      return found;
    },
  });
  return { torrent: torrentFromMetadata(infoBytes, link.trackers), peers: seen, stored: false };
}

/** One round of peer discovery: every tracker not asked in the last 30 s, and the DHT. */
function discoverer(link: MagnetLink, sources: MagnetSources): () => Promise<PeerAddress[]> {
  const nextAnnounce = new Map<string, number>();
  const request: AnnounceRequest = {
    ...sources.request,
    infoHash: link.infoHash,
    uploaded: 0,
    downloaded: 0,
    left: 1,
  };
  return async () => {
    const found: PeerAddress[] = [];
    const now = Date.now();
    const trackers = link.trackers.filter((url) => (nextAnnounce.get(url) ?? 0) <= now);
    for (const url of trackers) nextAnnounce.set(url, now + TRACKER_REANNOUNCE_MS);
    await Promise.all([
      ...trackers.map((url) =>
        sources.announce(url, request, { timeout: 10_000 }).then((reply) => {
          found.push(...reply.peers);
          // Honour the tracker's `min interval` when it is longer than our 30 s.
          const wait = Math.max(reply.minInterval ?? 0, 0) * 1000;
          if (wait > TRACKER_REANNOUNCE_MS) nextAnnounce.set(url, now + wait);
        }, () => {})
      ),
      // A hybrid's swarm is split between its v1 and v2 info-hashes (BEP 52): ask the DHT for both.
      ...wireInfoHashes(link).map((key) =>
        sources.dht?.getPeers(key).then((peers) => found.push(...peers), () => {})
      ),
    ]);
    return found;
  };
}
