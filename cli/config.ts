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
 * dht = true                    # find peers through the DHT (BEP 5)
 * dht_port = 6881               # UDP port of the DHT node (default: the listen port; 0 = any)
 * dht_bootstrap = ["router.bittorrent.com:6881"]   # replaces the default routers; [] = saved nodes only
 * pex = true                    # peer exchange (BEP 11)
 * lsd = true                    # local service discovery (BEP 14)
 * ```
 * Environment: `CCBT_STATE_DIR`, `CCBT_PORT`, `CCBT_BIND`, `CCBT_HASH_BACKEND`, `CCBT_DHT`, `CCBT_DHT_PORT`,
 * `CCBT_PEX`, `CCBT_LSD` (switches take `1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off`).
 *
 * A run without `--allow-env` or without read access to a config file simply does without them.
 *
 * @module
 */

import { parse } from "smol-toml";
import { join } from "node:path";
import type { PeerAddress } from "../mod.ts";
import { parsePeer } from "./_args.ts";

/**
 * The DHT routers bootstrapped from when none is configured: the ones libtorrent and Transmission use. Host
 * names, resolved at start.
 */
export const DEFAULT_DHT_BOOTSTRAP: readonly PeerAddress[] = [
  { host: "router.bittorrent.com", port: 6881 },
  { host: "dht.transmissionbt.com", port: 6881 },
  { host: "router.utorrent.com", port: 6881 },
  { host: "dht.libtorrent.org", port: 25401 },
];

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
  /** Find peers through the DHT (BEP 5); private torrents never do. Default on. */
  dht: boolean;
  /** UDP port of the DHT node; absent: the listen port, as libtorrent and Transmission do. */
  dhtPort?: number;
  /** DHT nodes to bootstrap from (host names allowed); default {@linkcode DEFAULT_DHT_BOOTSTRAP}. */
  dhtBootstrap: readonly PeerAddress[];
  /** Peer exchange (BEP 11); private torrents never do it. Default on. */
  pex: boolean;
  /** Local service discovery (BEP 14); private torrents never use it. Default on. */
  lsd: boolean;
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

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);

function switchOf(value: unknown, name: string, where: string): boolean {
  if (typeof value === "boolean") return value;
  const word = typeof value === "string" ? value.trim().toLowerCase() : undefined;
  if (word !== undefined && TRUE_WORDS.has(word)) return true;
  if (word !== undefined && FALSE_WORDS.has(word)) return false;
  throw new ConfigError(`Cannot use ${name} ${JSON.stringify(value)} from ${where}: expected true or false`);
}

function bootstrapOf(value: unknown, where: string): PeerAddress[] {
  if (!Array.isArray(value)) {
    throw new ConfigError(`Cannot use dht_bootstrap from ${where}: expected an array of "HOST:PORT" strings`);
  }
  return value.map((entry) => {
    try {
      if (typeof entry !== "string") throw new TypeError("not a string");
      return parsePeer(entry)[0];
    } catch {
      throw new ConfigError(
        `Cannot use DHT bootstrap node ${JSON.stringify(entry)} from ${where}: expected HOST:PORT`,
      );
    }
  });
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
    dht: true,
    dhtBootstrap: DEFAULT_DHT_BOOTSTRAP,
    pex: true,
    lsd: true,
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
    if (table.dht !== undefined) settings.dht = switchOf(table.dht, "dht", file.path);
    if (table.dht_port !== undefined) settings.dhtPort = portOf(table.dht_port, file.path);
    if (table.dht_bootstrap !== undefined) {
      settings.dhtBootstrap = bootstrapOf(table.dht_bootstrap, file.path);
    }
    if (table.pex !== undefined) settings.pex = switchOf(table.pex, "pex", file.path);
    if (table.lsd !== undefined) settings.lsd = switchOf(table.lsd, "lsd", file.path);
  }
  const stateDir = env("CCBT_STATE_DIR");
  if (stateDir) settings.stateDir = stateDir;
  const port = env("CCBT_PORT");
  if (port) settings.port = portOf(port, "CCBT_PORT");
  const bind = env("CCBT_BIND");
  if (bind) settings.bind = bind;
  const backend = env("CCBT_HASH_BACKEND");
  if (backend) settings.hashBackend = backendOf(backend, "CCBT_HASH_BACKEND");
  const dhtPort = env("CCBT_DHT_PORT");
  if (dhtPort) settings.dhtPort = portOf(dhtPort, "CCBT_DHT_PORT");
  for (const [name, key] of [["CCBT_DHT", "dht"], ["CCBT_PEX", "pex"], ["CCBT_LSD", "lsd"]] as const) {
    const value = env(name);
    if (value) settings[key] = switchOf(value, key, name);
  }
  for (const [key, value] of Object.entries(flags)) {
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  return settings;
}
