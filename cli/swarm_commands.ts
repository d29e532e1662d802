/**
 * `ccbt download`, `seed`, `resume` and `recheck`: the commands that run a session.
 *
 * @module
 */

import { type Command, InvalidArgumentError, Option } from "commander";
import { MagnetError, parseFileSelection, parseMagnet, parseTorrent } from "../mod.ts";
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
    .option("--dht", "find peers through the DHT (BEP 5; default on; private torrents never use it)")
    .option("--no-dht", "do not use the DHT")
    .option("--dht-port <n>", "UDP port of the DHT node (default: the listen port; 0 = any)", parsePort)
    .option(
      "--dht-bootstrap <host:port>",
      "DHT node to bootstrap from (repeatable; replaces the defaults)",
      parsePeer,
    )
    .option("--pex", "exchange peers with peers (BEP 11; default on; never for private torrents)")
    .option("--no-pex", "do not exchange peers")
    .option("--lsd", "find peers on the local network (BEP 14; default on; never for private torrents)")
    .option("--no-lsd", "do not use local service discovery");
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
    dht: opts.dht,
    dhtPort: opts.dhtPort,
    dhtBootstrap: opts.dhtBootstrap,
    pex: opts.pex,
    lsd: opts.lsd,
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
    dht: settings.dht,
    dhtPort: settings.dhtPort ?? settings.port,
    dhtBootstrap: settings.dhtBootstrap,
    pex: settings.pex,
    lsd: settings.lsd,
  };
}

/** Parses `--select` (BEP 53 `so` grammar: `0,2-4`). */
function parseSelect(value: string): number[] {
  try {
    return parseFileSelection(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

/** `--select` for `download`: every index must name a file of every torrent. */
function checkSelect(select: readonly number[] | undefined, torrents: readonly LoadedTorrent[]): void {
  for (const torrent of torrents) {
    const count = parseTorrent(torrent.bytes).files.length;
    const bad = select?.find((i) => i >= count);
    if (bad !== undefined) {
      throw new UsageError(
        `Cannot select file ${bad} of ${torrent.path}: it has ${count} files (0..${
          count - 1
        }; see ccbt info)`,
      );
    }
  }
}

/** Adds `download`, `seed`, `resume` and `recheck` to `cli`; `exit` receives an action's exit code. */
export function registerSwarmCommands(cli: Command, exit: (code: number) => void): void {
  withSwarmOptions(
    cli.command("download")
      .description("download torrents (resuming what is recorded), then seed them")
      .argument("<torrents...>", ".torrent files (several run in parallel in one session)")
      .requiredOption("-o, --output <dir>", "directory to save the files in")
      .option("--no-seed", "exit as soon as all data is verified")
      .option(
        "--select <list>",
        "download only these files, by index as ccbt info shows them: 0,2-4",
        parseSelect,
      ),
  ).action(async (paths: string[], opts) => {
    const torrents = await loadTorrents(paths);
    checkSelect(opts.select, torrents);
    const run = await runOptions(torrents, { savePath: opts.output, seed: opts.seed }, opts);
    exit(await runTorrents({ ...run, select: opts.select }));
  });

  withSwarmOptions(
    cli.command("magnet")
      .description("fetch a magnet link's metadata from peers, download it, then seed it")
      .argument("<magnet>", "magnet URI (BEP 9)")
      .requiredOption("-o, --output <dir>", "directory to save the files in")
      .option("--no-seed", "exit as soon as all data is verified")
      .option("--select <list>", "download only these files (0,2-4); default: the link's so=", parseSelect),
  ).action(async (magnet: string, opts) => {
    try {
      parseMagnet(magnet);
    } catch (error) {
      if (error instanceof MagnetError) throw new UsageError(error.message);
      throw error;
    }
    const run = await runOptions([], { savePath: opts.output, seed: opts.seed }, opts);
    exit(await runTorrents({ ...run, magnets: [magnet], select: opts.select }));
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
      .description("resume a recorded torrent: from TORRENT, else the stored metainfo, else its magnet link")
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
      // Stopped before its metadata arrived (HOSTILE_INPUTS.md case 66): fetch it again from the magnet link.
      const run = await runOptions([], { savePath: record.savePath, seed: opts.seed }, opts);
      exit(await runTorrents({ ...run, magnets: [record.magnet] }));
      return;
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
