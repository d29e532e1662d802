/**
 * libtorrent 2.0 peers for interop tests, driven through `lt_peer.py` (python3-libtorrent, run with
 * Debian's `/usr/bin/python3`). Peers listen on 127.0.0.1 with LSD, UPnP, NAT-PMP and uTP off, and the DHT off unless asked for.
 *
 * @module
 */

import { ManagedProcess } from "./process.ts";

/** The Python that python3-libtorrent is installed for (a different `python3` may come first on PATH). */
export const LT_PYTHON = "/usr/bin/python3";

/** Absolute path of the `lt_peer.py` script. */
export const LT_PEER_SCRIPT: string = decodeURIComponent(new URL("./lt_peer.py", import.meta.url).pathname);

/** One JSON line printed by `lt_peer.py` (`{"event":"progress","progress":0.5,...}`). */
export interface LtEvent {
  /** `listening`, `progress`, `finished`, `error` (fatal), `torrent_error`, `tracker_reply`, `peer_connected`, ... */
  event?: string;
  [key: string]: unknown;
}

/** A torrent as libtorrent sees it (`create` and `infohash` subcommands). */
export interface LtTorrentSummary {
  /**
   * The info-hash used on the wire and with trackers, 40 lowercase hex characters: the v1 info-hash, or the
   * v2 info-hash truncated to 20 bytes for a v2-only torrent (BEP 52).
   */
  infoHash: string;
  /** v2 info-hash, 64 lowercase hex characters, or `null` for a v1-only torrent. */
  infoHashV2: string | null;
  /** The `name` of the info dictionary. */
  name: string;
  /** Sum of all file lengths (pad files included), in bytes. */
  totalSize: number;
  /** Piece length in bytes. */
  pieceLength: number;
  /** Number of pieces. */
  numPieces: number;
  /** Number of files (pad files included). */
  numFiles: number;
  /** Every file as libtorrent lays it out, pad files included. */
  files: LtFile[];
}

/** One file of a torrent as libtorrent sees it. */
export interface LtFile {
  /** Path with the torrent's directory first, `/`-separated. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Offset in the torrent's piece space, in bytes. */
  offset: number;
  /** Whether it is a BEP 47 padding file. */
  pad: boolean;
  /** v2 pieces root, 64 lowercase hex characters, or `null` (v1-only torrent, empty or pad file). */
  root: string | null;
}

/** Options for {@linkcode startLibtorrentSeeder}. */
export interface LibtorrentSeederOptions {
  /** The .torrent file. */
  torrentPath: string;
  /** Directory that holds the torrent's content (the parent of a multi-file torrent's `name` folder). */
  dataDir: string;
  /** Listen port on 127.0.0.1 (default 0: any free port, reported back). */
  port?: number;
  /** `HOST:PORT` peers to dial, retried every 2 s while none is connected (for Transmission). */
  connect?: string[];
  /** Resolve only after a tracker announce succeeded (for tracker-only leechers such as aria2). */
  waitForTracker?: boolean;
  /** Trust the data without checking it first (libtorrent seed mode; for large bench payloads). */
  seedMode?: boolean;
  /** Milliseconds to wait for the check, the listen socket and (if asked) the tracker; default 30,000. */
  readyTimeoutMs?: number;
  /**
   * Upload cap of the torrent in bytes/s (default: none). Set per torrent, because libtorrent's session-wide
   * limits skip local peers; lets crash tests catch a download half-way.
   */
  uploadLimit?: number;
  /**
   * DHT nodes (`HOST:PORT`) to join (BEP 5): the seeder then runs libtorrent's DHT, waits for a non-empty
   * routing table before it reports ready, and announces the torrent there every 2 s.
   */
  dhtNodes?: string[];
}

/** A running libtorrent seeder. */
export interface LibtorrentSeeder {
  /** The TCP port it listens on at 127.0.0.1. */
  readonly port: number;
  /** The v1 info-hash it serves, 40 lowercase hex characters. */
  readonly infoHash: string;
  /** The most recent event named `name` (e.g. `progress` with `total_upload` in bytes), if any. */
  lastEvent(name: string): LtEvent | undefined;
  /** Recent output lines, for assertion messages. */
  readonly output: string;
  /** Stops the seeder (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options for {@linkcode startLibtorrentLeecher} and {@linkcode runLibtorrentLeecher}. */
export interface LibtorrentLeecherOptions {
  /** The .torrent file (omit it when `magnet` is given). */
  torrentPath?: string;
  /** Directory to download into. */
  saveDir: string;
  /** `HOST:PORT` peers to dial, retried every 2 s while none is connected. */
  peers?: string[];
  /** A magnet URI to download instead of `torrentPath` (BEP 9). */
  magnet?: string;
  /** Listen port on 127.0.0.1 (default 0: any free port, reported back). */
  port?: number;
  /** Keep seeding after finishing, until closed. */
  stay?: boolean;
  /** Milliseconds after which the leecher is killed and `finished` resolves `false`. */
  timeoutMs: number;
}

/** A running libtorrent leecher. */
export interface LibtorrentLeecher {
  /** The TCP port it listens on at 127.0.0.1. */
  readonly port: number;
  /** Resolves `true` once every piece is verified, `false` on timeout, error exit or close. Never rejects. */
  readonly finished: Promise<boolean>;
  /** The most recent event named `name`, if any. */
  lastEvent(name: string): LtEvent | undefined;
  /** Recent output lines, for assertion messages. */
  readonly output: string;
  /** Stops the leecher and waits for it to exit. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options for {@linkcode libtorrentCreate}. */
export interface LibtorrentCreateOptions {
  /** Piece length in bytes (a power of two, at least 16 KiB); default: libtorrent chooses. */
  pieceLength?: number;
  /** Announce URLs, one tier each. */
  trackers?: string[];
  /** `v1` (default, BEP 3), `hybrid` (v1 + v2, with pad files) or `v2` (BEP 52). */
  kind?: "v1" | "hybrid" | "v2";
  /** Milliseconds before giving up (default 60,000). */
  timeoutMs?: number;
}

/**
 * Starts a libtorrent seeder and resolves once it has checked `dataDir`, listens, and can serve every piece.
 *
 * @param options Torrent, data directory, port, peers to dial.
 * @returns The running seeder; close it (or `await using`) when done.
 * @throws {Error} If the data is incomplete, the torrent is unreadable, or it is not ready within the timeout.
 *
 * @example Seed a torrent to a libtorrent leecher
 * ```ts ignore
 * await using seeder = await startLibtorrentSeeder({ torrentPath, dataDir });
 * const result = await runLibtorrentLeecher({ torrentPath, saveDir, peers: [`127.0.0.1:${seeder.port}`], timeoutMs: 20_000 });
 * ```
 */
export async function startLibtorrentSeeder(options: LibtorrentSeederOptions): Promise<LibtorrentSeeder> {
  const args = ["seed", options.torrentPath, options.dataDir, "--port", String(options.port ?? 0)];
  for (const peer of options.connect ?? []) args.push("--connect", peer);
  if (options.waitForTracker) args.push("--tracker-ok");
  if (options.seedMode) args.push("--seed-mode");
  if (options.uploadLimit !== undefined) args.push("--upload-limit", String(options.uploadLimit));
  for (const node of options.dhtNodes ?? []) args.push("--dht-node", node);
  const peer = spawnLtPeer(args);
  const ready = await peer.waitForEvent(["listening"], options.readyTimeoutMs ?? 30_000);
  return {
    port: Number(ready.port),
    infoHash: String(ready.info_hash),
    lastEvent: (name) => peer.last.get(name),
    get output() {
      return peer.process.output;
    },
    close: () => peer.close(),
    [Symbol.asyncDispose]: () => peer.close(),
  };
}

/**
 * Starts a libtorrent leecher; `finished` resolves when the download is complete and verified.
 *
 * @param options Torrent or magnet, save directory, peers, timeout.
 * @returns The running leecher; close it (or `await using`) when done.
 * @throws {Error} If it cannot start listening within the timeout.
 */
export async function startLibtorrentLeecher(options: LibtorrentLeecherOptions): Promise<LibtorrentLeecher> {
  if ((options.torrentPath === undefined) === (options.magnet === undefined)) {
    throw new TypeError("Cannot start libtorrent leecher: give exactly one of torrentPath and magnet");
  }
  const args = ["leech", options.torrentPath ?? "-", options.saveDir, "--port", String(options.port ?? 0)];
  for (const peer of options.peers ?? []) args.push("--peer", peer);
  if (options.magnet !== undefined) args.push("--magnet", options.magnet);
  if (options.stay) args.push("--stay");
  const peer = spawnLtPeer(args, options.timeoutMs + 10_000);
  const ready = await peer.waitForEvent(["listening"], Math.min(options.timeoutMs, 30_000));
  let settle: (value: boolean) => void = () => {};
  const finished = new Promise<boolean>((resolve) => settle = resolve);
  const timer = setTimeout(() => {
    settle(false);
    peer.close();
  }, options.timeoutMs);
  peer.onEvent = (event) => {
    if (event.event === "finished") settle(true);
  };
  if (peer.last.has("finished")) settle(true);
  peer.process.status.then(() => {
    clearTimeout(timer);
    settle(false);
  });
  const close = async () => {
    clearTimeout(timer);
    await peer.close();
    settle(false);
  };
  return {
    port: Number(ready.port),
    finished,
    lastEvent: (name) => peer.last.get(name),
    get output() {
      return peer.process.output;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A running libtorrent DHT node (BEP 5) with no torrents. */
export interface LibtorrentDhtNode {
  /** Its UDP port on 127.0.0.1 (libtorrent runs the DHT on its listen port). */
  readonly port: number;
  /** Size of its routing table at the last report (every 0.5 s). */
  readonly nodes: number;
  /** `HOST:PORT` of the peers announced to it so far (`announce_peer` queries it accepted). */
  readonly announced: readonly string[];
  /** Resolves once `test` holds for the node, checked at each report; rejects after `timeoutMs`. */
  waitFor(test: (node: LibtorrentDhtNode) => boolean, what: string, timeoutMs: number): Promise<void>;
  /** Recent output lines, for assertion messages. */
  readonly output: string;
  /** Stops the node and waits for it to exit. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a libtorrent session that is only a DHT node, on 127.0.0.1, with libtorrent's loopback restrictions
 * lifted (several nodes per IP) and `nodes` added to its routing table as ordinary nodes.
 *
 * @param nodes `HOST:PORT` of DHT nodes to bootstrap from.
 * @returns The running node; close it (or `await using`) when done.
 * @throws {Error} If it cannot listen within 30 s.
 */
export async function startLibtorrentDhtNode(nodes: string[] = []): Promise<LibtorrentDhtNode> {
  const args = ["dht", "--port", "0"];
  for (const node of nodes) args.push("--dht-node", node);
  const peer = spawnLtPeer(args);
  const ready = await peer.waitForEvent(["listening"], 30_000);
  let size = 0;
  const announced: string[] = [];
  const waiters = new Set<() => void>();
  peer.onEvent = (event) => {
    if (event.event === "dht") size = Number(event.nodes);
    if (event.event === "dht_announce") announced.push(String(event.peer));
    for (const check of waiters) check();
  };
  const node: LibtorrentDhtNode = {
    port: Number(ready.port),
    get nodes() {
      return size;
    },
    announced,
    waitFor(test, what, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `libtorrent DHT node on ${node.port}: no ${what} after ${timeoutMs} ms\n${node.output}`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (!test(node)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    get output() {
      return peer.process.output;
    },
    close: () => peer.close(),
    [Symbol.asyncDispose]: () => peer.close(),
  };
  return node;
}

/**
 * Downloads with a libtorrent leecher until it finishes or `timeoutMs` passes, then stops it.
 *
 * @param options Torrent or magnet, save directory, peers, timeout.
 * @returns Whether every piece was downloaded and verified, and the leecher's output.
 * @throws {Error} If the leecher cannot start.
 */
export async function runLibtorrentLeecher(
  options: LibtorrentLeecherOptions,
): Promise<{ finished: boolean; output: string }> {
  const leecher = await startLibtorrentLeecher({ ...options, stay: false });
  try {
    const finished = await leecher.finished;
    return { finished, output: leecher.output };
  } finally {
    await leecher.close();
  }
}

/**
 * Creates a .torrent of `path` (a file or a directory) with libtorrent's `create_torrent`.
 *
 * @param path File or directory to describe; the torrent's `name` is its last component.
 * @param outPath Where to write the .torrent.
 * @param options Piece length, trackers, torrent kind (v1 by default).
 * @returns libtorrent's view of the new torrent (info-hash in hex).
 * @throws {Error} If `path` does not exist or libtorrent fails.
 */
export async function libtorrentCreate(
  path: string,
  outPath: string,
  options: LibtorrentCreateOptions = {},
): Promise<LtTorrentSummary> {
  const args = [
    "create",
    path,
    outPath,
    `--${options.kind === undefined ? "v1-only" : kindFlag(options.kind)}`,
  ];
  if (options.pieceLength !== undefined) args.push("--piece-length", String(options.pieceLength));
  for (const tracker of options.trackers ?? []) args.push("--tracker", tracker);
  return summary(await runOnce(args, options.timeoutMs ?? 60_000));
}

/**
 * Reads a .torrent with libtorrent and returns its info-hash as used on the wire.
 *
 * @param torrentPath The .torrent file.
 * @returns The v1 info-hash (the truncated v2 one for a v2-only torrent), 40 lowercase hex characters.
 * @throws {Error} If libtorrent cannot parse the file.
 */
export async function libtorrentInfoHash(torrentPath: string): Promise<string> {
  return summary(await runOnce(["infohash", torrentPath], 30_000)).infoHash;
}

/**
 * Reads a .torrent with libtorrent and returns how libtorrent sees it: both info-hashes, sizes, and every file
 * with its offset and v2 pieces root.
 *
 * @param torrentPath The .torrent file.
 * @returns libtorrent's summary of the torrent.
 * @throws {Error} If libtorrent cannot parse the file.
 */
export async function libtorrentDescribe(torrentPath: string): Promise<LtTorrentSummary> {
  return summary(await runOnce(["infohash", torrentPath], 30_000));
}

function kindFlag(kind: "v1" | "hybrid" | "v2"): string {
  return { v1: "v1-only", hybrid: "hybrid", v2: "v2-only" }[kind];
}

function summary(event: LtEvent): LtTorrentSummary {
  return {
    infoHash: String(event.info_hash),
    infoHashV2: event.info_hash_v2 as string | null,
    name: String(event.name),
    totalSize: Number(event.total_size),
    pieceLength: Number(event.piece_length),
    numPieces: Number(event.num_pieces),
    numFiles: Number(event.num_files),
    files: Array.isArray(event.files) ? event.files as LtFile[] : [],
  };
}

/** Runs a short subcommand and returns its last JSON line. */
async function runOnce(args: string[], timeoutMs: number): Promise<LtEvent> {
  const peer = spawnLtPeer(args, timeoutMs);
  const status = await peer.process.status;
  const events = peer.process.lines.filter((l) => l.stream === "stdout").map((l) => parseEvent(l.text));
  const last = events.at(-1);
  if (!status.success || last === undefined || last.event === "error") {
    const message = typeof last?.message === "string" ? last.message : `exit code ${status.code}`;
    throw new Error(`Cannot run lt_peer.py ${args[0]}: ${message}\n${peer.process.output}`);
  }
  return last;
}

function parseEvent(text: string): LtEvent {
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null ? value : {};
  } catch {
    return {};
  }
}

interface LtPeer {
  process: ManagedProcess;
  last: Map<string, LtEvent>;
  onEvent?: (event: LtEvent) => void;
  waitForEvent(names: string[], timeoutMs: number): Promise<LtEvent>;
  close(): Promise<void>;
}

function spawnLtPeer(args: string[], hardTimeoutMs?: number): LtPeer {
  const last = new Map<string, LtEvent>();
  const peer: LtPeer = {
    last,
    process: ManagedProcess.spawn(LT_PYTHON, {
      args: ["-u", LT_PEER_SCRIPT, ...args],
      hardTimeoutMs,
      onLine: (line) => {
        if (line.stream !== "stdout") return;
        const event = parseEvent(line.text);
        if (event.event === undefined) return;
        last.set(event.event, event);
        peer.onEvent?.(event);
      },
    }),
    async waitForEvent(names, timeoutMs) {
      try {
        const line = await peer.process.waitForLine((l) => {
          const event = parseEvent(l.text).event;
          return event !== undefined && (names.includes(event) || event === "error");
        }, { timeoutMs, stream: "stdout" });
        const event = parseEvent(line.text);
        if (event.event === "error") throw new Error(`Cannot start lt_peer.py ${args[0]}: ${event.message}`);
        return event;
      } catch (error) {
        await peer.close();
        throw new Error(`${(error as Error).message}\n${peer.process.output}`, { cause: error });
      }
    },
    async close() {
      await peer.process.close();
    },
  };
  return peer;
}
