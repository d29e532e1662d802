/**
 * Runs torrents in one session until each reaches its goal: downloaded (`--no-seed`), seeded to a ratio or for a
 * time, or interrupted. Shared by `ccbt download` and `ccbt seed`.
 *
 * @module
 */

import {
  parseMagnet,
  parseTorrent,
  type PeerAddress,
  Session,
  type TorrentHandle,
  type TorrentStatus,
} from "../mod.ts";
import type { LoadedTorrent } from "./_args.ts";
import { JsonReporter, QuietReporter, type Reporter } from "./reporter.ts";

/** What `runTorrents` needs. */
export interface RunOptions {
  torrents: readonly LoadedTorrent[];
  /** Save directory. */
  savePath: string;
  /** Extra peers (`--peer`). */
  peers: readonly PeerAddress[];
  /** Listen port (0 = any). */
  port: number;
  /** Listen address (default 0.0.0.0). */
  bind?: string;
  /** Keep seeding after the download (false: `--no-seed`). */
  seed: boolean;
  /** Stop seeding at this upload ratio (uploaded / size). */
  seedRatio?: number;
  /** Stop seeding after this many seconds. */
  seedTime?: number;
  /** NDJSON on stdout instead of bars. */
  json: boolean;
  /** Hash backend for the workers. */
  hashBackend?: "native" | "wasm";
  /** State directory (resume data); none: nothing is recorded. */
  stateDir?: string;
  /** Recorded state: trust it (`resume`), hash everything (`recheck`), or discard it (`fresh`). */
  mode?: "resume" | "recheck" | "fresh";
  /** Only check the data and record the result (`ccbt recheck`): no peers, no trackers. */
  checkOnly?: boolean;
  /** Magnet URIs to fetch the metadata of, then run like the torrents (`ccbt magnet`). */
  magnets?: readonly string[];
  /**
   * `--select`: the file indices to download (the others get priority 0); for magnets it replaces the link's
   * BEP 53 `so`. Absent: magnets use `so`, torrents their recorded priorities, else every file.
   */
  select?: readonly number[];
  /** Join the DHT (BEP 5). */
  dht?: boolean;
  /** UDP port of the DHT node. */
  dhtPort?: number;
  /** DHT nodes to bootstrap from. */
  dhtBootstrap?: readonly PeerAddress[];
  /** Local service discovery (BEP 14). */
  lsd?: boolean;
  /** Peer exchange (BEP 11; default on). */
  pex?: boolean;
}

/**
 * Runs the torrents and resolves to the process exit code: 0 when every torrent reached its goal (or, when
 * interrupted, was complete), 1 when a torrent failed, 130 when interrupted before the downloads finished.
 */
export async function runTorrents(options: RunOptions): Promise<number> {
  const session = new Session({
    listenPort: options.port,
    listenHost: options.bind,
    hashBackend: options.hashBackend,
    stateDir: options.stateDir,
    listen: !options.checkOnly,
    dht: options.dht && !options.checkOnly,
    dhtPort: options.dhtPort,
    dhtBootstrap: options.dhtBootstrap,
    lsd: options.lsd && !options.checkOnly,
    pex: options.pex,
  });
  await session.start();
  const handles: TorrentHandle[] = [];
  const selected = new Set(options.select);
  for (const torrent of options.torrents) {
    handles.push(
      await session.addTorrent({
        torrent: torrent.bytes,
        savePath: options.savePath,
        peers: options.peers,
        mode: options.mode,
        paused: options.checkOnly,
        filePriorities: options.select === undefined
          ? undefined
          : parseTorrent(torrent.bytes).files.map((_, i) => selected.has(i) ? 4 : 0),
      }),
    );
  }
  for (const magnet of options.magnets ?? []) {
    if (!options.json) console.error("Fetching the metadata of the magnet link from peers");
    handles.push(
      await session.addMagnet({
        magnet: options.select === undefined
          ? magnet
          : { ...parseMagnet(magnet), selectOnly: [...options.select] },
        savePath: options.savePath,
        peers: options.peers,
        mode: options.mode,
      }),
    );
  }
  const reporter: Reporter = options.json
    ? new JsonReporter()
    : Deno.stderr.isTerminal()
    ? new (await import("./bar_reporter.ts")).BarReporter(handles)
    : new QuietReporter();
  if (options.json && !options.checkOnly) reporter.message(`listening on port ${session.listenPort}`);

  const pending = new Map(handles.map((h) => [h.infoHash, h]));
  let failed = false;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => finish = resolve);

  const evaluate = () => {
    for (const [infoHash, handle] of pending) {
      const status = handle.status();
      const reason = goalReached(status, options);
      if (reason === null) continue;
      pending.delete(infoHash);
      if (status.state === "error") failed = true;
      reporter.done(status, reason);
      session.removeTorrent(handle);
    }
    if (pending.size === 0) finish(failed ? 1 : 0);
  };

  const timer = setInterval(() => {
    reporter.update(handles.map((h) => h.status()));
    evaluate();
  }, 1000);
  const alertsDone = (async () => {
    for await (const alert of session.alerts()) {
      reporter.alert(alert);
      if (alert.type === "select_only_ignored" || alert.type === "hybrid_mismatch") {
        reporter.message(`warning: ${alert.message}`);
      }
      if (
        alert.type === "torrent_finished" || alert.type === "torrent_error" || alert.type === "state_changed"
      ) {
        evaluate();
      }
    }
  })();

  // The first signal stops gracefully (last checkpoint, `stopped` announces). The listeners stay until the
  // process exits: a signal sent to the whole process group can arrive twice at once, and the default action
  // would kill the process in the middle of its last checkpoint. A second signal more than a second later is
  // a user insisting (a second Ctrl-C): exit at once.
  let stoppingSince = 0;
  const onSignal = () => {
    if (stoppingSince > 0) {
      if (performance.now() - stoppingSince > 1000) Deno.exit(130);
      return;
    }
    stoppingSince = performance.now();
    const complete = handles.every((h) => h.status().progress === 1);
    finish(complete && !failed ? 0 : 130);
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);

  const code = await finished;
  clearInterval(timer);
  reporter.update(handles.map((h) => h.status()));
  await session.close();
  // Closing ends the alert stream; report what is left in it before the last lines go out.
  await alertsDone;
  reporter.stop();
  return code;
}

/** Why a torrent is done, or `null` while it should keep running. */
function goalReached(status: TorrentStatus, options: RunOptions): string | null {
  if (status.state === "error") return `failed: ${status.error}`;
  if (options.checkOnly) {
    if (status.state !== "paused") return null;
    return `checked: ${status.piecesHave} of ${status.pieceCount} pieces verified (${
      (status.progress * 100).toFixed(1)
    }%)`;
  }
  if (status.state !== "seeding") return null;
  if (!options.seed) return "downloaded";
  if (options.seedRatio !== undefined && status.uploaded >= options.seedRatio * status.totalLength) {
    return `seed ratio ${options.seedRatio} reached`;
  }
  if (options.seedTime !== undefined && (status.seedingSeconds ?? 0) >= options.seedTime) {
    return `seeded for ${options.seedTime} s`;
  }
  return null;
}
