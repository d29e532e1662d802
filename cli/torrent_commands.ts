/**
 * `ccbt create` and `ccbt info`: making and reading .torrent files.
 *
 * @module
 */

import { type Command, Option } from "commander";
import {
  createTorrent,
  MagnetError,
  parseMagnet,
  parseTorrent,
  scrape,
  type TorrentFile,
  type TorrentInfo,
  TrackerError,
  UdpTrackerClient,
} from "../mod.ts";
import { collect, loadTorrents, parseInteger, UsageError } from "./_args.ts";
import { formatBytes } from "./reporter.ts";

const VERSION_TEXT: Record<TorrentInfo["version"], string> = {
  v1: "v1 (BEP 3)",
  v2: "v2 only (BEP 52)",
  hybrid: "hybrid v1 + v2 (BEP 52)",
};

/** A node of the file tree `ccbt info` shows: a directory with children, or a file with its index. */
type TreeNode =
  | { name: string; children: TreeNode[] }
  | { name: string; index: number; length: number; piecesRoot?: string; executable?: true; symlink?: string };

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** BEP 47 attributes and the v2 pieces root of a file, for JSON. */
function fileFlags(file: TorrentFile): Record<string, unknown> {
  return {
    ...(file.padding ? { padding: true } : {}),
    ...(file.executable ? { executable: true } : {}),
    ...(file.hidden ? { hidden: true } : {}),
    ...(file.symlinkPath ? { symlink: file.symlinkPath.join("/") } : {}),
    ...(file.piecesRoot ? { piecesRoot: hex(file.piecesRoot) } : {}),
  };
}

/** The files (padding left out) as a tree of directories, in torrent order. */
function fileTree(files: readonly TorrentFile[]): TreeNode[] {
  const root: TreeNode[] = [];
  files.forEach((file, index) => {
    if (file.padding) return;
    let level = root;
    for (const name of file.path.slice(0, -1)) {
      let dir = level.find((n): n is Extract<TreeNode, { children: TreeNode[] }> =>
        "children" in n && n.name === name
      );
      if (dir === undefined) level.push(dir = { name, children: [] });
      level = dir.children;
    }
    level.push({
      name: file.path[file.path.length - 1],
      index,
      length: file.length,
      ...(file.piecesRoot ? { piecesRoot: hex(file.piecesRoot) } : {}),
      ...(file.executable ? { executable: true as const } : {}),
      ...(file.symlinkPath ? { symlink: file.symlinkPath.join("/") } : {}),
    });
  });
  return root;
}

function treeLines(nodes: readonly TreeNode[], indent: string): string[] {
  return nodes.flatMap((node) => {
    if ("children" in node) return [`${indent}${node.name}/`, ...treeLines(node.children, indent + "  ")];
    const marks = [
      node.executable ? "executable" : "",
      node.symlink === undefined ? "" : `-> ${node.symlink}`,
    ].filter((m) => m !== "").join(", ");
    return [
      `${indent}${node.name}  (${formatBytes(node.length)}${
        marks === "" ? "" : `, ${marks}`
      }) [${node.index}]`,
    ];
  });
}

/** Adds `create`, `info` and `scrape` to `cli`; `exit` receives an action's exit code. */
export function registerTorrentCommands(cli: Command, exit: (code: number) => void): void {
  cli.command("create")
    .description("make a .torrent of a file or directory: v1 (default), v2 or hybrid (BEP 52)")
    .argument("<path>", "file or directory")
    .requiredOption("-o, --output <file>", "where to write the .torrent")
    .addOption(new Option("--v2", "v2 only: SHA-256 Merkle trees and piece layers").conflicts("hybrid"))
    .addOption(new Option("--hybrid", "v1 and v2 in one torrent, files padded to piece boundaries (BEP 47)"))
    .option(
      "-t, --tracker <urls>",
      "announce URL; repeat for more tiers, separate URLs of one tier with commas (BEP 12)",
      collect,
    )
    .option("-w, --web-seed <url>", "web seed URL (BEP 19, repeatable)", collect)
    .option(
      "--piece-length <bytes>",
      "piece length (default: chosen from the size; v2 and hybrid: a power of two, at least 16384)",
      parseInteger,
    )
    .option("--private", "set the private flag (BEP 27)")
    .option("--comment <text>", "comment")
    .option("--creator <name>", "created by (default ccbt/0.1.0)")
    .option("--json", "print the result as JSON")
    .action(async (path: string, opts) => {
      const version = opts.v2 ? "v2" : opts.hybrid ? "hybrid" : "v1";
      const trackers = (opts.tracker ?? []).map((tier: string) =>
        tier.split(",").map((url) => url.trim()).filter((url) => url !== "")
      );
      const progress = opts.json || !Deno.stderr.isTerminal()
        ? undefined
        : (await import("./bar_reporter.ts")).hashingBar();
      let result;
      try {
        result = await createTorrent(path, {
          version,
          trackers,
          webSeeds: opts.webSeed,
          pieceLength: opts.pieceLength,
          private: opts.private === true,
          comment: opts.comment,
          createdBy: opts.creator,
          onProgress: progress?.update,
        });
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          throw new UsageError(`Cannot create a torrent of ${path}: no such file or directory`);
        }
        if (error instanceof RangeError || error instanceof TypeError) throw new UsageError(error.message);
        throw error;
      } finally {
        progress?.stop();
      }
      await Deno.writeFile(opts.output, result.bytes);
      const { info } = result;
      if (opts.json) {
        console.log(JSON.stringify({
          infoHash: info.infoHashHex,
          infoHashV2: info.infoHashV2Hex,
          version: info.version,
          name: info.name,
          output: opts.output,
        }));
      } else {
        const v2 = info.infoHashV2Hex === undefined ? "" : `, v2 info-hash ${info.infoHashV2Hex}`;
        console.log(
          `Created ${opts.output} (${info.version}): ${info.name}, ${formatBytes(info.totalLength)}, ` +
            `${info.pieceCount} pieces of ${
              formatBytes(info.pieceLength)
            }, info-hash ${info.infoHashHex}${v2}`,
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
          version: info.version,
          infoHash: info.infoHashHex,
          infoHashV2: info.infoHashV2Hex,
          totalLength: info.totalLength,
          pieceLength: info.pieceLength,
          pieceCount: info.pieceCount,
          private: info.private,
          files: info.files.map((f, index) => ({
            index,
            path: f.path.join("/"),
            length: f.length,
            ...fileFlags(f),
          })),
          fileTree: fileTree(info.files),
          trackers: info.announceList,
          webSeeds: info.urlList,
          comment: info.comment,
          createdBy: info.createdBy,
          creationDate: info.creationDate,
        }));
      } else {
        const contentLength = info.files.reduce((sum, f) => sum + (f.padding ? 0 : f.length), 0);
        const lines = [
          `Name:         ${info.name}`,
          `Version:      ${VERSION_TEXT[info.version]}`,
          `Info-hash:    ${info.infoHashHex}${info.version === "v2" ? " (v2, truncated)" : ""}`,
          ...(info.infoHashV2Hex === undefined ? [] : [`Info-hash v2: ${info.infoHashV2Hex}`]),
          `Size:         ${formatBytes(contentLength)} (${contentLength} bytes${
            contentLength === info.totalLength ? "" : `; ${info.totalLength} with padding`
          })`,
          `Piece length: ${formatBytes(info.pieceLength)} (${info.pieceCount} pieces)`,
          `Private:      ${info.private ? "yes" : "no"}`,
        ];
        if (info.comment) lines.push(`Comment:      ${info.comment}`);
        if (info.createdBy) lines.push(`Created by:   ${info.createdBy}`);
        if (info.creationDate) {
          lines.push(`Created:      ${new Date(info.creationDate * 1000).toISOString()}`);
        }
        // Indices as --select and magnet so= take them (BEP 53); padding files (BEP 47) count but are not shown.
        const shown = info.files.filter((file) => !file.padding).length;
        lines.push(`Files (${shown}; index for --select):`);
        const width = String(Math.max(0, info.files.length - 1)).length;
        info.files.forEach((file, i) => {
          if (file.padding) return;
          lines.push(`  ${String(i).padStart(width)}  ${file.path.join("/")}  (${formatBytes(file.length)})`);
        });
        lines.push(`File tree:`, ...treeLines(fileTree(info.files), "  "));
        lines.push(`Trackers:`);
        info.announceList.forEach((tier, i) => tier.forEach((url) => lines.push(`  tier ${i}: ${url}`)));
        if (info.urlList.length > 0) lines.push(`Web seeds:`, ...info.urlList.map((url) => `  ${url}`));
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
