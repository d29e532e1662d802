/**
 * `ccbt download`, `seed`, `resume` and `recheck`: the commands that run a session.
 *
 * @module
 */

import { type Command, Option } from "commander";
import { MagnetError, parseMagnet, parseTorrent } from "../mod.ts";
import {
  type LoadedTorrent,
  loadTorrents,
  parsePeer,
  parsePort,
  parsePositive,
  UsageError,
} from "./_args.ts";
import { loadSettings } from "./config.ts";
import { closeStore, findRecord, openStore } from "./_store.ts";
import { type RunOptions, runTorrents } from "./run_torrents.ts";

/** Adds the options every session command shares. */
function withSessionOptions(command: Command): Command {
  return command
    .option("--state-dir <dir>", "where the resume database lives (default ~/.local/share/ccbt)")
    .option("--json", "print NDJSON events on stdout instead of progress bars")
    .addOption(
      new Option("--hash-backend <backend>", "piece hashing: native (node:crypto) or wasm (hash-wasm)")
        .choices(["native", "wasm"]),
    );
}

/** Adds the options of commands that join the swarm. */
function withSwarmOptions(command: Command): Command {
  return withSessionOptions(command)
    .option("--peer <host:port>", "connect to this peer too (repeatable)", parsePeer)
    .option("--port <n>", "listen port (0 = any; default 6881)", parsePort)
    .option("--bind <address>", "address to listen on (default 0.0.0.0)")
    .option("--seed-ratio <r>", "stop seeding at this upload ratio", parsePositive)
    .option("--seed-time <seconds>", "stop seeding after this many seconds", parsePositive)
    .option("--fresh", "discard the recorded state of the torrents and check their data again")
    .option("--dht", "find peers through the DHT (BEP 5; private torrents never use it)")
    .option("--dht-port <n>", "UDP port of the DHT node (0 = any)", parsePort)
    .option("--dht-bootstrap <host:port>", "DHT node to bootstrap from (repeatable)", parsePeer)
    .option("--lsd", "find peers on the local network (BEP 14 local service discovery)");
}

/** Merges flags with config and environment into what `runTorrents` takes. */
async function runOptions(
  torrents: LoadedTorrent[],
  run: { savePath: string; seed: boolean; checkOnly?: boolean },
  // deno-lint-ignore no-explicit-any
  opts: Record<string, any>,
): Promise<RunOptions> {
  const settings = await loadSettings({
    stateDir: opts.stateDir,
    port: opts.port,
    bind: opts.bind,
    hashBackend: opts.hashBackend,
  });
  return {
    torrents,
    savePath: run.savePath,
    seed: run.seed,
    checkOnly: run.checkOnly,
    peers: opts.peer ?? [],
    port: settings.port,
    bind: settings.bind,
    seedRatio: opts.seedRatio,
    seedTime: opts.seedTime,
    json: opts.json === true,
    hashBackend: settings.hashBackend,
    stateDir: settings.stateDir,
    mode: run.checkOnly ? "recheck" : opts.fresh ? "fresh" : "resume",
    dht: opts.dht === true,
    dhtPort: opts.dhtPort,
    dhtBootstrap: opts.dhtBootstrap,
    lsd: opts.lsd === true,
  };
}

/** Adds `download`, `seed`, `resume` and `recheck` to `cli`; `exit` receives an action's exit code. */
export function registerSwarmCommands(cli: Command, exit: (code: number) => void): void {
  withSwarmOptions(
    cli.command("download")
      .description("download torrents (resuming what is recorded), then seed them")
      .argument("<torrents...>", ".torrent files (several run in parallel in one session)")
      .requiredOption("-o, --output <dir>", "directory to save the files in")
      .option("--no-seed", "exit as soon as all data is verified"),
  ).action(async (paths: string[], opts) => {
    const torrents = await loadTorrents(paths);
    exit(await runTorrents(await runOptions(torrents, { savePath: opts.output, seed: opts.seed }, opts)));
  });

  withSwarmOptions(
    cli.command("magnet")
      .description("fetch a magnet link's metadata from peers, download it, then seed it")
      .argument("<magnet>", "magnet URI (BEP 9)")
      .requiredOption("-o, --output <dir>", "directory to save the files in")
      .option("--no-seed", "exit as soon as all data is verified"),
  ).action(async (magnet: string, opts) => {
    try {
      parseMagnet(magnet);
    } catch (error) {
      if (error instanceof MagnetError) throw new UsageError(error.message);
      throw error;
    }
    const run = await runOptions([], { savePath: opts.output, seed: opts.seed }, opts);
    exit(await runTorrents({ ...run, magnets: [magnet] }));
  });

  withSwarmOptions(
    cli.command("seed")
      .description("check existing data and seed it")
      .argument("<torrent>", ".torrent file")
      .requiredOption("-d, --dir <dir>", "directory holding the torrent's files"),
  ).action(async (path: string, opts) => {
    const torrents = await loadTorrents([path]);
    exit(await runTorrents(await runOptions(torrents, { savePath: opts.dir, seed: true }, opts)));
  });

  withSwarmOptions(
    cli.command("resume")
      .description("resume a recorded torrent: from TORRENT, else the stored metainfo")
      .argument("<info-hash>", "info-hash (hex, or a unique prefix of at least 6 digits)")
      .argument("[torrent]", ".torrent file to use instead of the stored metainfo")
      .option("--no-seed", "exit as soon as all data is verified"),
  ).action(async (key: string, path: string | undefined, opts) => {
    const store = await openStore(opts.stateDir);
    let record;
    try {
      record = findRecord(store, key);
    } finally {
      closeStore(store);
    }
    let torrent: LoadedTorrent;
    if (path !== undefined) {
      [torrent] = await loadTorrents([path]);
      const infoHash = parseTorrent(torrent.bytes).infoHashHex;
      if (infoHash !== record.infoHash) {
        throw new UsageError(`Cannot resume ${record.infoHash} with ${path}: its info-hash is ${infoHash}`);
      }
    } else if (record.metainfo !== undefined) {
      torrent = { path: `${record.infoHash} (stored metainfo)`, bytes: record.metainfo };
    } else if (record.magnet !== undefined) {
      throw new UsageError(
        `Cannot resume ${record.infoHash} from its magnet link: fetching metadata from peers is not supported ` +
          `yet; give the .torrent file: ccbt resume ${record.infoHash} FILE.torrent`,
      );
    } else {
      throw new UsageError(`Cannot resume ${record.infoHash}: no metainfo is stored; give the .torrent file`);
    }
    exit(
      await runTorrents(await runOptions([torrent], { savePath: record.savePath, seed: opts.seed }, opts)),
    );
  });

  withSessionOptions(
    cli.command("recheck")
      .description("hash all data of a torrent and record what is there")
      .argument("<torrent>", ".torrent file")
      .requiredOption("-d, --dir <dir>", "directory holding the torrent's files"),
  ).action(async (path: string, opts) => {
    const torrents = await loadTorrents([path]);
    exit(
      await runTorrents(
        await runOptions(torrents, { savePath: opts.dir, seed: false, checkOnly: true }, opts),
      ),
    );
  });
}
