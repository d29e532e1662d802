/**
 * Opening the state database and finding records in it, for the commands that read it.
 *
 * @module
 */

import { StateStore, type TorrentRecord } from "../mod.ts";
import { UsageError } from "./_args.ts";
import { loadSettings } from "./config.ts";

/** Opens the state database of `--state-dir` (or the configured / default one), printing its warnings. */
export async function openStore(stateDir: string | undefined): Promise<StateStore> {
  const dir = (await loadSettings({ stateDir })).stateDir;
  if (dir === undefined) {
    throw new UsageError("Cannot open the state database: no state directory (use --state-dir)");
  }
  const { store, warnings } = StateStore.open(dir);
  for (const warning of warnings) console.error(`ccbt: warning: ${warning}`);
  return store;
}

/**
 * The one record whose info-hash is `key` or starts with it (at least 6 hex digits), with its metainfo.
 * @throws {UsageError} When `key` is not hex, or matches no record or several.
 */
export function findRecord(store: StateStore, key: string): TorrentRecord {
  if (!/^[0-9a-fA-F]{6,40}$/.test(key)) {
    throw new UsageError(`Cannot find ${key}: expected an info-hash in hex`);
  }
  const matches = store.list().filter((r) => r.infoHash.startsWith(key.toLowerCase()));
  if (matches.length !== 1) {
    throw new UsageError(
      `Cannot find ${key}: it matches ${matches.length} recorded torrents in ${store.path}`,
    );
  }
  return store.get(matches[0].infoHash) ?? matches[0];
}

/** Prints the warnings the store gathered while reading (records it set aside), then closes it. */
export function closeStore(store: StateStore): void {
  for (const warning of store.takeWarnings()) console.error(`ccbt: warning: ${warning}`);
  store.close();
}
