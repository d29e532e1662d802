/**
 * CLI settings from, lowest first: built-in defaults < `ccbt.toml` (the current directory's, else
 * `~/.config/ccbt/ccbt.toml`) < `CCBT_*` environment variables < command-line flags (DESIGN.md section 6).
 *
 * `ccbt.toml` keys (all optional):
 * ```toml
 * state_dir = "/var/lib/ccbt"   # where ccbt.db lives
 * port = 6881                   # listen port, 0 = any
 * bind = "0.0.0.0"              # listen address
 * hash_backend = "native"       # or "wasm"
 * ```
 * Environment: `CCBT_STATE_DIR`, `CCBT_PORT`, `CCBT_BIND`, `CCBT_HASH_BACKEND`.
 *
 * A run without `--allow-env` or without read access to a config file simply does without them.
 *
 * @module
 */

import { parse } from "smol-toml";
import { join } from "node:path";

/** Settings the commands take from config, env and flags. */
export interface Settings {
  /** State directory (holds ccbt.db). */
  stateDir?: string;
  /** Listen port. */
  port: number;
  /** Listen address. */
  bind: string;
  /** Piece hashing backend. */
  hashBackend: "native" | "wasm";
}

/** The config file could not be used: exit code 2. */
export class ConfigError extends Error {}

/** Where settings come from besides the flags; tests give their own. */
export interface SettingsSources {
  /** Reads an environment variable (default: `Deno.env`, or nothing without `--allow-env`). */
  env?: (name: string) => string | undefined;
  /** Directory searched first for `ccbt.toml` (default: the current directory). */
  cwd?: string;
}

function processEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** The default state directory: `$XDG_DATA_HOME/ccbt`, else `~/.local/share/ccbt`; undefined without a home. */
export function defaultStateDir(env: (name: string) => string | undefined = processEnv): string | undefined {
  const xdg = env("XDG_DATA_HOME");
  if (xdg) return join(xdg, "ccbt");
  const home = env("HOME");
  return home ? join(home, ".local", "share", "ccbt") : undefined;
}

async function readConfigFile(
  env: (name: string) => string | undefined,
  cwd: string | undefined,
): Promise<{ path: string; text: string } | undefined> {
  const configHome = env("XDG_CONFIG_HOME") ?? (env("HOME") ? join(env("HOME")!, ".config") : undefined);
  const candidates = [cwd === undefined ? "ccbt.toml" : join(cwd, "ccbt.toml")];
  if (configHome) candidates.push(join(configHome, "ccbt", "ccbt.toml"));
  for (const path of candidates) {
    try {
      return { path, text: await Deno.readTextFile(path) };
    } catch {
      // Missing or not readable under the granted permissions: try the next one.
    }
  }
  return undefined;
}

function portOf(value: unknown, where: string): number {
  const port = typeof value === "string" ? Number(value) : value;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`Cannot use port ${JSON.stringify(value)} from ${where}: expected 0..65535`);
  }
  return port;
}

function backendOf(value: unknown, where: string): "native" | "wasm" {
  if (value !== "native" && value !== "wasm") {
    throw new ConfigError(
      `Cannot use hash backend ${JSON.stringify(value)} from ${where}: expected native or wasm`,
    );
  }
  return value;
}

/**
 * Merges defaults, the config file, the environment and the flags.
 * @param flags Values given on the command line (undefined when not given).
 * @param sources The environment and the directory to search for `ccbt.toml`.
 * @throws {ConfigError} When the config file is not valid TOML or a value is out of range.
 */
export async function loadSettings(
  flags: Partial<Settings>,
  sources: SettingsSources = {},
): Promise<Settings> {
  const env = sources.env ?? processEnv;
  const settings: Settings = {
    stateDir: defaultStateDir(env),
    port: 6881,
    bind: "0.0.0.0",
    hashBackend: "native",
  };
  const file = await readConfigFile(env, sources.cwd);
  if (file !== undefined) {
    let table: Record<string, unknown>;
    try {
      table = parse(file.text);
    } catch (error) {
      throw new ConfigError(`Cannot read ${file.path}: ${(error as Error).message.split("\n")[0]}`);
    }
    if (typeof table.state_dir === "string") settings.stateDir = table.state_dir;
    if (table.port !== undefined) settings.port = portOf(table.port, file.path);
    if (typeof table.bind === "string") settings.bind = table.bind;
    if (table.hash_backend !== undefined) settings.hashBackend = backendOf(table.hash_backend, file.path);
  }
  const stateDir = env("CCBT_STATE_DIR");
  if (stateDir) settings.stateDir = stateDir;
  const port = env("CCBT_PORT");
  if (port) settings.port = portOf(port, "CCBT_PORT");
  const bind = env("CCBT_BIND");
  if (bind) settings.bind = bind;
  const backend = env("CCBT_HASH_BACKEND");
  if (backend) settings.hashBackend = backendOf(backend, "CCBT_HASH_BACKEND");
  for (const [key, value] of Object.entries(flags)) {
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  return settings;
}
