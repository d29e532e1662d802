/**
 * Fetches a magnet link's metadata (the bencoded `info` dictionary) from peers: the BEP 10 extension handshake,
 * then ut_metadata pieces (BEP 9) from several peers in parallel, checked against the info-hash: SHA-1 against
 * `urn:btih`, SHA-256 against `urn:btmh` (BEP 52), both for a hybrid link.
 *
 * @module
 */

import type { AlertInput } from "./alerts.ts";
import { decode, encode } from "./bencode/mod.ts";
import { PeerProtocolError } from "./errors.ts";
import { type MagnetLink, parseTorrent } from "./metainfo/mod.ts";
import { MetadataFetcher } from "./metadata/mod.ts";
import { type ByteTransport, readHandshake, writeAll } from "./peer_handshake.ts";
import { selectOnlyPriorities } from "./torrent_files.ts";
import { peerName } from "./torrent_peers.ts";
import { parseIp } from "./tracker/_ip.ts";
import type { PeerAddress } from "./tracker/mod.ts";
import {
  decodeExtensionHandshake,
  decodeUtMetadata,
  encodeExtensionHandshake,
  encodeHandshake,
  encodeUtMetadata,
  makeReserved,
  MessageWriter,
  supportsExtensionProtocol,
  WireDecoder,
} from "./wire/mod.ts";

/** The id peers send our ut_metadata messages under (our extension handshake's `m`). */
const OUR_UT_METADATA = 1;
/** Milliseconds after a peer's attempt ended before it may be asked again, when discovery names it again. */
const RETRY_PEER_MS = 15_000;

/** Peers asked at once. */
const PARALLEL_PEERS = 8;

/** What the fetch needs from the session. */
export interface MagnetFetchContext {
  /** Our 20-byte peer id. */
  peerId: Uint8Array;
  /** Opens a byte stream to a peer. */
  connect(peer: PeerAddress, timeoutMs: number): Promise<ByteTransport>;
  /** Handshake timeout (ms). */
  handshakeTimeout: number;
  /** Connect timeout (ms). */
  connectTimeout: number;
}

/**
 * Builds .torrent bytes around raw `info` bytes (kept byte for byte, so the info-hash is unchanged) with the
 * magnet link's trackers as `announce` and `announce-list` tiers (BEP 12).
 */
export function torrentFromMetadata(infoBytes: Uint8Array, trackers: readonly string[]): Uint8Array {
  const head = trackers.length === 0 ? new TextEncoder().encode("d") : (() => {
    const dict = encode({ announce: trackers[0], "announce-list": trackers.map((t) => [t]) });
    return dict.subarray(0, dict.length - 1);
  })();
  const key = new TextEncoder().encode("4:info");
  const out = new Uint8Array(head.length + key.length + infoBytes.length + 1);
  out.set(head);
  out.set(key, head.length);
  out.set(infoBytes, head.length + key.length);
  out[out.length - 1] = 0x65; // "e"
  return out;
}

/**
 * Adds BEP 52 `piece layers` (fetched from peers for a torrent added by magnet) to .torrent bytes, so that a later
 * start has them without asking peers again. The info dictionary is kept byte for byte.
 * @param torrent .torrent bytes without piece layers (e.g. from {@linkcode torrentFromMetadata}).
 * @param layers Piece layers keyed by pieces root in lowercase hex (32 bytes per piece), as
 *   `TorrentInfo.pieceLayers`.
 * @returns The new .torrent bytes, or `undefined` when they would not parse with the same info-hash and these
 *   layers (e.g. a non-canonical original that re-encoding would change).
 */
export function torrentWithPieceLayers(
  torrent: Uint8Array,
  layers: ReadonlyMap<string, Uint8Array>,
): Uint8Array | undefined {
  try {
    const root = decode(torrent);
    if (!(root instanceof Map)) return undefined;
    const byRoot = new Map<string, Uint8Array>();
    for (const [hex, layer] of layers) {
      byRoot.set(String.fromCharCode(...hex.match(/../g)!.map((pair) => parseInt(pair, 16))), layer);
    }
    root.set("piece layers", byRoot);
    const bytes = encode(root);
    const before = parseTorrent(torrent);
    const after = parseTorrent(bytes);
    if (after.infoHashHex !== before.infoHashHex || after.pieceLayers?.size !== layers.size) return undefined;
    return bytes;
  } catch {
    return undefined;
  }
}

/** What a magnet link's BEP 53 `so` asks of the fetched torrent: see {@linkcode magnetSelection}. */
export interface MagnetSelection {
  /** One file priority per file (listed files 4, others 0), or `undefined` when the link has no `so`. */
  priorities?: number[];
  /** A `select_only_ignored` alert when `so` named files the torrent does not have. */
  warning?: AlertInput;
}

/**
 * The file priorities a magnet link selects (BEP 53 `so`), now that its metadata is known. Indices at or beyond
 * the file count are ignored with a warning (BEP 53 says nothing of them); the other files are not downloaded.
 * @param link The magnet link.
 * @param torrent The .torrent bytes made from its metadata.
 * @throws {MetainfoError} When `torrent` is not valid metainfo.
 */
export function magnetSelection(link: MagnetLink, torrent: Uint8Array): MagnetSelection {
  if (link.selectOnly === undefined) return {};
  const fileCount = parseTorrent(torrent).files.length;
  const { priorities, ignored } = selectOnlyPriorities(fileCount, link.selectOnly);
  if (ignored.length === 0) return { priorities };
  return {
    priorities,
    warning: {
      type: "select_only_ignored",
      category: "status",
      infoHash: link.infoHashHex,
      indices: ignored,
      fileCount,
      message: `Ignoring so= file ${ignored.length === 1 ? "index" : "indices"} ` +
        `${ignored.slice(0, 10).join(",")}${ignored.length > 10 ? ",..." : ""} of ${link.infoHashHex}: ` +
        `the torrent has ${fileCount} files (0..${fileCount - 1})`,
    },
  };
}

/** Milliseconds between rounds of `discover` while the metadata is missing: 5 s, 10 s, 15 s, then every 30 s. */
const DISCOVER_DELAYS_MS = [5_000, 10_000, 15_000, 30_000];

/** Options of {@linkcode fetchMagnetMetadata}. */
export interface MagnetFetchOptions {
  /** Give up after this many ms (default 60 000). */
  timeoutMs?: number;
  /** Give up when aborted (rejects with the signal's reason). */
  signal?: AbortSignal;
  /**
   * Finds more peers (trackers, DHT); called at once and again after 5, 10, 15 and then every 30 s until the
   * metadata is in. A peer found again is asked again only when its last attempt ended 15 s ago or more (it
   * may have been checking its data, or busy). Without it, the fetch fails as soon as every peer in `peers`
   * has been asked.
   */
  discover?: () => Promise<readonly PeerAddress[]>;
  /** Milliseconds between `discover` rounds, the last repeated (default 5 s, 10 s, 15 s, then 30 s). */
  discoverDelaysMs?: readonly number[];
}

/**
 * Fetches the metadata of `link` from `peers` (and those `options.discover` finds), several in parallel, until
 * one full copy matches the info-hash. The handshake carries `link.infoHash` (for a v2-only link the truncated v2
 * info-hash, BEP 52); a copy whose SHA-1 differs from the v1 info-hash, or whose SHA-256 differs from the v2
 * info-hash when the link has one, is discarded and its senders blamed (see `MetadataFetcher`).
 * @param peers Peers to ask (the magnet's `x.pe`, `--peer`).
 * @param options Timeout, abort signal, and where to find more peers.
 * @returns The verified bencoded `info` dictionary.
 * @throws {Error} When no peer provides the metadata in time.
 */
export async function fetchMagnetMetadata(
  link: MagnetLink,
  peers: readonly PeerAddress[],
  ctx: MagnetFetchContext,
  options: MagnetFetchOptions = {},
): Promise<Uint8Array> {
  const fetcher = new MetadataFetcher({
    infoHash: link.v2Only ? undefined : link.infoHash,
    infoHashV2: link.infoHashV2,
  });
  const queue: PeerAddress[] = [];
  /** Peer name -> when its last attempt ended (ms, `performance.now()`); `Infinity` while queued or asked. */
  const asked = new Map<string, number>();
  const idle: (() => void)[] = [];
  let ended = false;
  const offer = (found: readonly PeerAddress[]) => {
    for (const peer of found) {
      const name = peerName(peer);
      if (performance.now() - (asked.get(name) ?? -Infinity) < RETRY_PEER_MS) continue;
      asked.set(name, Infinity);
      queue.push(peer);
    }
    for (const wake of idle.splice(0)) wake();
  };
  offer(peers);
  const open = new Set<ByteTransport>();
  let done: (metadata: Uint8Array) => void;
  const finished = new Promise<Uint8Array>((resolve) => done = resolve);
  let key = 0;
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `Cannot fetch the metadata of ${link.infoHashHex}: no peer sent it in ${timeoutMs} ms ` +
              `(${asked.size} ${asked.size === 1 ? "peer" : "peers"} found)`,
          ),
        ),
      timeoutMs,
    );
    options.signal?.addEventListener("abort", () => reject(options.signal!.reason), { once: true });
  });

  const askNext = async (): Promise<void> => {
    while (!ended && fetcher.metadata === undefined) {
      const peer = queue.shift();
      if (peer === undefined) {
        if (options.discover === undefined) return;
        await new Promise<void>((resolve) => idle.push(resolve));
        continue;
      }
      try {
        await askPeer(peer, key++);
      } catch {
        // That peer could not help: try the next one.
      }
      asked.set(peerName(peer), performance.now());
    }
  };

  const askPeer = async (peer: PeerAddress, id: number): Promise<void> => {
    const transport = await ctx.connect(peer, ctx.connectTimeout);
    open.add(transport);
    try {
      // BEP 52: a v2-only torrent's peers expect the v2 bit; a hybrid's are asked through its v1 side.
      const reserved = makeReserved({ extensionProtocol: true, fast: true, v2: link.v2Only === true });
      await writeAll(transport, encodeHandshake({ reserved, infoHash: link.infoHash, peerId: ctx.peerId }));
      const decoder = new WireDecoder({ bufferSize: 64 * 1024 });
      const handshake = await readHandshake(transport, decoder, ctx.handshakeTimeout);
      if (!supportsExtensionProtocol(handshake.reserved)) return;
      const writer = new MessageWriter();
      writer.extended(
        0,
        encodeExtensionHandshake({
          m: new Map([["ut_metadata", OUR_UT_METADATA]]),
          v: "ccbt/0.1.0",
          yourip: parseIp(peer.host),
        }),
      );
      await writeAll(transport, writer.take());
      let theirs = 0;
      const request = async () => {
        for (const piece of fetcher.requests(id, performance.now())) {
          writer.extended(theirs, encodeUtMetadata({ type: "request", piece }));
        }
        if (writer.length > 0) await writeAll(transport, writer.take());
      };
      // The bytes after the peer's handshake may already hold its extension handshake: handle them first.
      while (fetcher.metadata === undefined) {
        for (let message = decoder.next(); message !== null; message = decoder.next()) {
          if (message.type !== "extended") continue;
          if (message.id === 0) {
            const ext = decodeExtensionHandshake(message.payload);
            theirs = ext.m.get("ut_metadata") ?? 0;
            if (theirs === 0 || ext.metadataSize === undefined || !fetcher.addPeer(id, ext.metadataSize)) {
              return;
            }
          } else if (message.id === OUR_UT_METADATA) {
            let reply;
            try {
              reply = decodeUtMetadata(message.payload);
            } catch (error) {
              // BEP 9: unknown message types are ignored; malformed ones end this peer's part.
              if (error instanceof PeerProtocolError && error.code === "unknown_ut_metadata") continue;
              throw error;
            }
            if (reply.type === "data") {
              const result = fetcher.received(id, reply.piece, reply.totalSize, reply.data);
              if (result.result === "complete") done(fetcher.metadata!);
              if (result.result === "corrupt" && result.blame?.includes(id)) return;
            } else if (reply.type === "reject") {
              fetcher.rejected(id, reply.piece, performance.now());
            }
          }
        }
        if (fetcher.metadata !== undefined) return;
        if (theirs !== 0) await request();
        const n = await transport.read(decoder.writable());
        if (n === null) return;
        decoder.commit(n);
      }
    } finally {
      fetcher.removePeer(id);
      if (open.delete(transport)) closeQuietly(transport);
    }
  };

  let pause: ReturnType<typeof setTimeout> | undefined;
  let endPause = () => {};
  const discovering = (async () => {
    for (let round = 0; options.discover !== undefined && !ended && fetcher.metadata === undefined; round++) {
      offer(await options.discover().catch(() => []));
      const delays = options.discoverDelaysMs ?? DISCOVER_DELAYS_MS;
      const ms = delays[Math.min(round, delays.length - 1)];
      await new Promise<void>((resolve) => {
        endPause = resolve;
        pause = setTimeout(resolve, ms);
      });
    }
  })();
  const workers = Promise.all(Array.from({ length: PARALLEL_PEERS }, askNext)).then(() => {
    if (fetcher.metadata === undefined) {
      throw new Error(`Cannot fetch the metadata of ${link.infoHashHex}: no peer had it`);
    }
    return fetcher.metadata;
  });
  try {
    return await Promise.race([finished, workers, deadline]);
  } finally {
    ended = true;
    clearTimeout(timer);
    clearTimeout(pause);
    endPause();
    for (const wake of idle.splice(0)) wake();
    for (const transport of open) closeQuietly(transport);
    queue.length = 0;
    discovering.catch(() => {});
    workers.catch(() => {});
    deadline.catch(() => {});
  }
}

function closeQuietly(transport: ByteTransport): void {
  try {
    transport.close();
  } catch {
    // Already closed (a handshake timeout closes it).
  }
}
