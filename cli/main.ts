/**
 * The `ccbt` command: download, seed, create and info. Imports only from the library's `mod.ts`.
 *
 * Exit codes: 0 done, 1 runtime failure, 2 bad usage or bad input; 130 when interrupted before finishing.
 *
 * @module
 */

import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import {
  BencodeError,
  createTorrent,
  MetainfoError,
  parseTorrent,
  type PeerAddress,
  StorageError,
  TrackerError,
} from "../mod.ts";
import { formatBytes } from "./reporter.ts";
import { type LoadedTorrent, type RunOptions, runTorrents } from "./run_torrents.ts";

/** Bad usage or bad input: exit code 2. */
class UsageError extends Error {}

const VERSION = "0.1.0";

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError("Expected a port number 0..65535");
  return port;
}

function parsePeer(value: string, previous: PeerAddress[] = []): PeerAddress[] {
  const match = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(value) ?? /^([^:\[\]]+):(\d+)$/.exec(value);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || !(port >= 1 && port <= 65535)) {
    throw new InvalidArgumentError("Expected HOST:PORT (IPv6 as [HOST]:PORT)");
  }
  return [...previous, { host: match[1], port }];
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("Expected a non-negative number");
  return n;
}

function parseInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("Expected a whole number");
  }
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function loadTorrents(paths: readonly string[]): Promise<LoadedTorrent[]> {
  const loaded: LoadedTorrent[] = [];
  for (const path of paths) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw new UsageError(`Cannot read ${path}: no such file`);
      throw error;
    }
    try {
      parseTorrent(bytes);
    } catch (error) {
      if (error instanceof MetainfoError || error instanceof BencodeError) {
        throw new UsageError(`Cannot load ${path}: ${error.message}`);
      }
      throw error;
    }
    loaded.push({ path, bytes });
  }
  return loaded;
}

const hashBackendOption = () =>
  new Option("--hash-backend <backend>", "piece hashing: native (node:crypto) or wasm (hash-wasm)")
    .choices(["native", "wasm"]).default("native");

/** Adds the options `download` and `seed` share. */
function withSwarmOptions(command: Command): Command {
  return command
    .option("--peer <host:port>", "connect to this peer too (repeatable)", parsePeer)
    .option("--port <n>", "listen port (0 = any)", parsePort, 6881)
    .option("--bind <address>", "address to listen on", "0.0.0.0")
    .option("--seed-ratio <r>", "stop seeding at this upload ratio", parsePositive)
    .option("--seed-time <seconds>", "stop seeding after this many seconds", parsePositive)
    .option("--json", "print NDJSON events on stdout instead of progress bars")
    .addOption(hashBackendOption());
}

/** Maps the parsed shared options to what `runTorrents` takes. */
function swarmRunOptions(
  torrents: LoadedTorrent[],
  savePath: string,
  seed: boolean,
  // deno-lint-ignore no-explicit-any
  opts: Record<string, any>,
): RunOptions {
  return {
    torrents,
    savePath,
    seed,
    peers: opts.peer ?? [],
    port: opts.port,
    bind: opts.bind,
    seedRatio: opts.seedRatio,
    seedTime: opts.seedTime,
    json: opts.json === true,
    hashBackend: opts.hashBackend,
  };
}

/** Builds the command tree; `exit` receives the exit code of an action. */
function program(exit: (code: number) => void): Command {
  const cli = new Command("ccbt")
    .description("ccbt: a BitTorrent client")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)) });

  withSwarmOptions(
    cli.command("download")
      .description("download torrents, then seed them")
      .argument("<torrents...>", ".torrent files (several run in parallel in one session)")
      .requiredOption("-o, --output <dir>", "directory to save the files in")
      .option("--no-seed", "exit as soon as all data is verified"),
  ).action(async (paths: string[], opts) => {
    exit(await runTorrents(swarmRunOptions(await loadTorrents(paths), opts.output, opts.seed, opts)));
  });

  withSwarmOptions(
    cli.command("seed")
      .description("check existing data and seed it")
      .argument("<torrent>", ".torrent file")
      .requiredOption("-d, --dir <dir>", "directory holding the torrent's files"),
  ).action(async (path: string, opts) => {
    exit(await runTorrents(swarmRunOptions(await loadTorrents([path]), opts.dir, true, opts)));
  });

  cli.command("create")
    .description("make a v1 .torrent of a file or directory")
    .argument("<path>", "file or directory")
    .requiredOption("-o, --output <file>", "where to write the .torrent")
    .option("-t, --tracker <url>", "announce URL (repeatable; each is its own tier)", collect)
    .option("--piece-length <bytes>", "piece length (default: chosen from the size)", parseInteger)
    .option("--private", "set the private flag (BEP 27)")
    .option("--comment <text>", "comment")
    .option("--json", "print the result as JSON")
    .action(async (path: string, opts) => {
      let result;
      try {
        result = await createTorrent(path, {
          trackers: (opts.tracker ?? []).map((url: string) => [url]),
          pieceLength: opts.pieceLength,
          private: opts.private === true,
          comment: opts.comment,
        });
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          throw new UsageError(`Cannot create a torrent of ${path}: no such file or directory`);
        }
        if (error instanceof RangeError || error instanceof TypeError) throw new UsageError(error.message);
        throw error;
      }
      await Deno.writeFile(opts.output, result.bytes);
      const { info } = result;
      if (opts.json) {
        console.log(JSON.stringify({ infoHash: info.infoHashHex, name: info.name, output: opts.output }));
      } else {
        console.log(
          `Created ${opts.output}: ${info.name}, ${formatBytes(info.totalLength)}, ` +
            `${info.pieceCount} pieces of ${formatBytes(info.pieceLength)}, info-hash ${info.infoHashHex}`,
        );
      }
      exit(0);
    });

  cli.command("info")
    .description("show what a .torrent holds")
    .argument("<torrent>", ".torrent file")
    .option("--json", "print as JSON")
    .action(async (path: string, opts) => {
      const [{ bytes }] = await loadTorrents([path]);
      const info = parseTorrent(bytes);
      if (opts.json) {
        console.log(JSON.stringify({
          name: info.name,
          infoHash: info.infoHashHex,
          totalLength: info.totalLength,
          pieceLength: info.pieceLength,
          pieceCount: info.pieceCount,
          private: info.private,
          files: info.files.map((f) => ({ path: f.path.join("/"), length: f.length })),
          trackers: info.announceList,
          comment: info.comment,
          createdBy: info.createdBy,
          creationDate: info.creationDate,
        }));
      } else {
        const lines = [
          `Name:         ${info.name}`,
          `Info-hash:    ${info.infoHashHex}`,
          `Size:         ${formatBytes(info.totalLength)} (${info.totalLength} bytes)`,
          `Piece length: ${formatBytes(info.pieceLength)} (${info.pieceCount} pieces)`,
          `Private:      ${info.private ? "yes" : "no"}`,
        ];
        if (info.comment) lines.push(`Comment:      ${info.comment}`);
        if (info.createdBy) lines.push(`Created by:   ${info.createdBy}`);
        if (info.creationDate) {
          lines.push(`Created:      ${new Date(info.creationDate * 1000).toISOString()}`);
        }
        lines.push(`Files (${info.files.length}):`);
        for (const file of info.files) lines.push(`  ${file.path.join("/")}  (${formatBytes(file.length)})`);
        lines.push(`Trackers:`);
        info.announceList.forEach((tier, i) => tier.forEach((url) => lines.push(`  tier ${i}: ${url}`)));
        console.log(lines.join("\n"));
      }
      exit(0);
    });
  return cli;
}

/** Runs the CLI with `args` and resolves to the exit code. Never throws. */
export async function main(args: readonly string[]): Promise<number> {
  let code = 0;
  try {
    await program((c) => code = c).parseAsync([...args], { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander already printed its message.
      return error.exitCode === 0 ? 0 : 2;
    }
    console.error(`ccbt: ${describe(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

function describe(error: unknown): string {
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return `Permission denied: ${firstLine(error.message)}`;
  }
  if (error instanceof Deno.errors.AddrInUse) {
    return `Cannot listen: ${firstLine(error.message)} (try --port 0)`;
  }
  if (error instanceof StorageError || error instanceof TrackerError) return error.message;
  if (error instanceof Error) return firstLine(error.message);
  return String(error);
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}

if (import.meta.main) Deno.exit(await main(Deno.args));
