/**
 * `ccbt create` and `ccbt info`: making and reading .torrent files.
 *
 * @module
 */

import type { Command } from "commander";
import {
  createTorrent,
  MagnetError,
  parseMagnet,
  parseTorrent,
  scrape,
  TrackerError,
  UdpTrackerClient,
} from "../mod.ts";
import { collect, loadTorrents, parseInteger, UsageError } from "./_args.ts";
import { formatBytes } from "./reporter.ts";

/** Adds `create`, `info` and `scrape` to `cli`; `exit` receives an action's exit code. */
export function registerTorrentCommands(cli: Command, exit: (code: number) => void): void {
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

  cli.command("scrape")
    .description(
      "ask each tracker of a torrent or magnet link for its seeders, leechers and completed counts",
    )
    .argument("<torrent-or-magnet>", ".torrent file or magnet URI")
    .option("--json", "one JSON object per tracker")
    .option("--timeout <seconds>", "per tracker (default 15)", parseInteger)
    .action(async (source: string, opts) => {
      let infoHash: Uint8Array;
      let trackers: string[];
      if (source.startsWith("magnet:")) {
        try {
          const link = parseMagnet(source);
          infoHash = link.infoHash;
          trackers = link.trackers;
        } catch (error) {
          if (error instanceof MagnetError) throw new UsageError(error.message);
          throw error;
        }
      } else {
        const [{ bytes }] = await loadTorrents([source]);
        const info = parseTorrent(bytes);
        infoHash = info.infoHash;
        trackers = info.announceList.flat();
      }
      if (trackers.length === 0) throw new UsageError(`Cannot scrape ${source}: it names no tracker`);
      await using udpClient = new UdpTrackerClient();
      const hex = Array.from(infoHash, (b) => b.toString(16).padStart(2, "0")).join("");
      let answered = 0;
      await Promise.all(trackers.map(async (url) => {
        try {
          const counts = (await scrape(url, [infoHash], { udpClient, timeout: (opts.timeout ?? 15) * 1000 }))
            .get(hex);
          answered++;
          const { complete = 0, incomplete = 0, downloaded = 0 } = counts ?? {};
          console.log(
            opts.json
              ? JSON.stringify({
                tracker: url,
                seeders: complete,
                leechers: incomplete,
                completed: downloaded,
              })
              : `${url}  seeders ${complete}  leechers ${incomplete}  completed ${downloaded}`,
          );
        } catch (error) {
          if (!(error instanceof TrackerError)) throw error;
          console.log(
            opts.json ? JSON.stringify({ tracker: url, error: error.message }) : `${url}  ${error.message}`,
          );
        }
      }));
      exit(answered > 0 ? 0 : 1);
    });
}
