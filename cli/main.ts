/**
 * The `ccbt` command: download, seed, resume, recheck, checkpoints, create and info. Imports only from the
 * library's `mod.ts`.
 *
 * Exit codes: 0 done, 1 runtime failure, 2 bad usage or bad input; 130 when interrupted before finishing.
 *
 * @module
 */

import { Command, CommanderError } from "commander";
import { StorageError, TrackerError } from "../mod.ts";
import { UsageError } from "./_args.ts";
import { registerCheckpointCommands } from "./checkpoint_commands.ts";
import { ConfigError } from "./config.ts";
import { registerSwarmCommands } from "./swarm_commands.ts";
import { registerTorrentCommands } from "./torrent_commands.ts";

const VERSION = "0.1.0";

/** Builds the command tree; `exit` receives the exit code of an action. */
function program(exit: (code: number) => void): Command {
  const cli = new Command("ccbt")
    .description("ccbt: a BitTorrent client")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)) });
  registerSwarmCommands(cli, exit);
  registerTorrentCommands(cli, exit);
  registerCheckpointCommands(cli, exit);
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
    return error instanceof UsageError || error instanceof ConfigError ? 2 : 1;
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
