/**
 * Runs the real `ccbt` CLI (cli/main.ts) as a child process, as a user would through `deno task ccbt`.
 *
 * @module
 */

import { ManagedProcess } from "./process.ts";

/** Absolute path of cli/main.ts. */
export const CLI_PATH: string = decodeURIComponent(new URL("../../cli/main.ts", import.meta.url).pathname);
/** Absolute path of the repository root. */
export const ROOT: string = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** Options for {@linkcode runCcbt} and {@linkcode startCcbt}. */
export interface CcbtOptions {
  /** Deno permission flags; default: the same as `deno task ccbt`. */
  permissions?: string[];
  /** Kill the child after this many ms (default 60,000). */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** What a finished CLI run printed. */
export interface CcbtResult {
  code: number;
  stdout: string;
  stderr: string;
}

const DEFAULT_PERMISSIONS = ["--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-sys"];

function denoArgs(args: readonly string[], options: CcbtOptions): string[] {
  return ["run", "--no-prompt", ...(options.permissions ?? DEFAULT_PERMISSIONS), CLI_PATH, ...args];
}

/**
 * The environment of a child: a state directory of its own (so tests never touch `~/.local/share/ccbt` or each
 * other's database; `--state-dir` still wins), the DHT and local service discovery off (on by default, they
 * would reach the public DHT routers and the LAN; tests of them pass `--dht` / `--lsd`, which win), then the
 * caller's variables.
 */
function childEnv(options: CcbtOptions): { env: Record<string, string>; stateDir: string } {
  const stateDir = Deno.makeTempDirSync({ prefix: "ccbt_test_state_" });
  return {
    env: { NO_COLOR: "1", CCBT_STATE_DIR: stateDir, CCBT_DHT: "0", CCBT_LSD: "0", ...options.env },
    stateDir,
  };
}

/** Runs `ccbt ARGS...` to completion (killed after the timeout) and returns its exit code and output. */
export async function runCcbt(args: readonly string[], options: CcbtOptions = {}): Promise<CcbtResult> {
  const { env, stateDir } = childEnv(options);
  const child = ManagedProcess.spawn(Deno.execPath(), {
    args: denoArgs(args, options),
    cwd: ROOT,
    env,
    hardTimeoutMs: options.timeoutMs ?? 60_000,
  });
  const status = await child.status;
  await Deno.remove(stateDir, { recursive: true });
  const text = (stream: "stdout" | "stderr") =>
    child.lines.filter((l) => l.stream === stream).map((l) => l.text).join("\n");
  return { code: status.code, stdout: text("stdout"), stderr: text("stderr") };
}

/** Starts `ccbt ARGS...` in the background (for seeders); close it when done. */
export function startCcbt(args: readonly string[], options: CcbtOptions = {}): ManagedProcess {
  const { env, stateDir } = childEnv(options);
  const child = ManagedProcess.spawn(Deno.execPath(), {
    args: denoArgs(args, options),
    cwd: ROOT,
    env,
    hardTimeoutMs: options.timeoutMs ?? 120_000,
  });
  // Synchronous, so nothing is left running when the test that closed the child ends.
  child.status.finally(() => Deno.removeSync(stateDir, { recursive: true }));
  return child;
}

/** Parses the NDJSON lines a `--json` run printed on stdout. */
export function jsonEvents(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}
