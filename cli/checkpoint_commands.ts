/**
 * `ccbt checkpoints list|delete|clean|export|import`: the recorded state of torrents, for people and tools.
 *
 * @module
 */

import type { Command } from "commander";
import { exportCheckpoint, importCheckpoint, type TorrentRecord } from "../mod.ts";
import { parsePositive, UsageError } from "./_args.ts";
import { closeStore, findRecord, openStore } from "./_store.ts";
import { formatBytes } from "./reporter.ts";

/** Fraction of pieces set in a record's bitfield, 0..1. */
function progressOf(record: TorrentRecord): number {
  let count = 0;
  for (const byte of record.have) {
    for (let v = byte; v !== 0; v &= v - 1) count++;
  }
  return record.pieceCount === 0 ? 1 : count / record.pieceCount;
}

/** Adds `checkpoints` and its subcommands to `cli`; `exit` receives an action's exit code. */
export function registerCheckpointCommands(cli: Command, exit: (code: number) => void): void {
  const checkpoints = cli.command("checkpoints").description(
    "list, delete, clean, export and import recorded state",
  );

  checkpoints.command("list")
    .description("recorded torrents: name, info-hash, progress, size, last active")
    .option("--state-dir <dir>", "state directory (default ~/.local/share/ccbt)")
    .option("--json", "one JSON object per torrent")
    .action(async (opts) => {
      const store = await openStore(opts.stateDir);
      try {
        for (const record of store.list().sort((a, b) => b.lastActiveAt - a.lastActiveAt)) {
          const progress = progressOf(record);
          if (opts.json) {
            console.log(JSON.stringify({
              name: record.name,
              infoHash: record.infoHash,
              progress,
              totalLength: record.totalLength,
              state: record.state,
              savePath: record.savePath,
              lastActiveAt: new Date(record.lastActiveAt).toISOString(),
            }));
          } else {
            console.log(
              [
                record.infoHash,
                `${(progress * 100).toFixed(1).padStart(5)}%`,
                formatBytes(record.totalLength).padStart(10),
                new Date(record.lastActiveAt).toISOString().slice(0, 19).replace("T", " "),
                record.state.padEnd(11),
                record.name,
              ].join("  "),
            );
          }
        }
      } finally {
        closeStore(store);
      }
      exit(0);
    });

  checkpoints.command("delete")
    .description("forget a torrent's recorded state (its files stay)")
    .argument("<info-hash>", "info-hash (hex, or a unique prefix of at least 6 digits)")
    .option("--state-dir <dir>", "state directory")
    .action(async (key: string, opts) => {
      const store = await openStore(opts.stateDir);
      try {
        const record = findRecord(store, key);
        store.delete(record.infoHash);
        console.log(`Deleted the record of ${record.name} (${record.infoHash})`);
      } finally {
        closeStore(store);
      }
      exit(0);
    });

  checkpoints.command("clean")
    .description("forget torrents not active for N days")
    .requiredOption("--days <n>", "inactive for at least this many days", parsePositive)
    .option("--state-dir <dir>", "state directory")
    .action(async (opts) => {
      const store = await openStore(opts.stateDir);
      try {
        const removed = store.clean(opts.days);
        console.log(`Deleted ${removed.length} record${removed.length === 1 ? "" : "s"}`);
        for (const infoHash of removed) console.log(`  ${infoHash}`);
      } finally {
        closeStore(store);
      }
      exit(0);
    });

  checkpoints.command("export")
    .description("print a torrent's recorded state as JSON (format ccbt-checkpoint, version 1)")
    .argument("<info-hash>", "info-hash (hex, or a unique prefix of at least 6 digits)")
    .option("--format <format>", "output format", "json")
    .option("--state-dir <dir>", "state directory")
    .action(async (key: string, opts) => {
      if (opts.format !== "json") {
        throw new UsageError(`Cannot export as ${opts.format}: only json is supported`);
      }
      const store = await openStore(opts.stateDir);
      try {
        console.log(JSON.stringify(exportCheckpoint(findRecord(store, key)), null, 2));
      } finally {
        closeStore(store);
      }
      exit(0);
    });

  checkpoints.command("import")
    .description("record a torrent's state from a JSON export")
    .argument("<file>", "a file written by `ccbt checkpoints export`")
    .option("--state-dir <dir>", "state directory")
    .action(async (file: string, opts) => {
      let record: TorrentRecord;
      try {
        record = importCheckpoint(JSON.parse(await Deno.readTextFile(file)));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) throw new UsageError(`Cannot read ${file}: no such file`);
        if (error instanceof SyntaxError || error instanceof TypeError || error instanceof RangeError) {
          throw new UsageError(`Cannot import ${file}: ${error.message}`);
        }
        throw error;
      }
      const store = await openStore(opts.stateDir);
      try {
        store.put(record);
        console.log(`Imported ${record.name} (${record.infoHash})`);
      } finally {
        closeStore(store);
      }
      exit(0);
    });
}
