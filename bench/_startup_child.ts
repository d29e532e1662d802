/**
 * The process the start-up bench times (issue 3): a session holding many torrents' recorded state starts and
 * adds every recorded torrent, and we wait until none is `checking` any more.
 *
 * There is no session-level "load every recorded torrent" API yet, so this reads the records with
 * `StateStore` (`list`, then `get` for each one's metainfo), closes it, and adds each torrent with
 * `session.addTorrent({ torrent, savePath })` in the default `resume` mode: what `ccbt resume` does per
 * torrent. Records whose files are unchanged are trusted, so no data is hashed; a `state_warning` alert would
 * mean something was checked after all.
 *
 * Usage: `deno run <perms> bench/_startup_child.ts STATE_DIR`
 *
 * Prints two JSON lines on stdout, times in ms since the process's time origin (`performance.now()`):
 * `{"event":"ready","torrents":N,"mainMs":..,"recordsMs":..,"addedMs":..,"readyMs":..,"piecesHave":..,
 * "pieceCount":..,"stateWarnings":..,"errors":..,"alertsDropped":..,"heapUsedBytes":..,"externalBytes":..}` (the
 * main isolate's heap) once every torrent left `checking`, and
 * `{"event":"closed","closeMs":..}` after `session.close()`.
 *
 * @module
 */

import { Session, StateStore, type TorrentHandle } from "../mod.ts";

const POLL_MS = 250;

async function main(stateDir: string): Promise<void> {
  const mainMs = performance.now();
  const { store, warnings } = StateStore.open(stateDir);
  const records = store.list().map((record) => store.get(record.infoHash) ?? record);
  const setAside = warnings.length + store.takeWarnings().length;
  store.close();
  const recordsMs = performance.now();

  const session = new Session({ stateDir, listen: false, alertQueueSize: 65_536 });
  const checked = new Set<string>();
  let stateWarnings = setAside;
  let errors = 0;
  let alertsDropped = 0;
  let handles: TorrentHandle[] = [];
  let added = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => markReady = resolve);
  // Counting alerts keeps the bench's own work small. Only when alerts were dropped, which makes the count
  // unreliable, does the poll look at every status.
  const counted = () => added && checked.size + errors >= handles.length;
  const polled = () =>
    counted() || (added && alertsDropped > 0 && handles.every((h) => h.status().state !== "checking"));
  const alertsDone = (async () => {
    for await (const alert of session.alerts()) {
      if (alert.type === "torrent_checked") checked.add(alert.infoHash);
      else if (alert.type === "torrent_error") errors++;
      else if (alert.type === "state_warning") stateWarnings++;
      else if (alert.type === "alerts_dropped") alertsDropped += alert.count;
      if (counted()) markReady();
    }
  })();
  const poll = setInterval(() => {
    if (polled()) markReady();
  }, POLL_MS);

  const list: TorrentHandle[] = [];
  for (const record of records) {
    if (record.metainfo === undefined) throw new Error(`Cannot add ${record.infoHash}: no metainfo recorded`);
    list.push(await session.addTorrent({ torrent: record.metainfo, savePath: record.savePath }));
  }
  handles = list;
  added = true;
  const addedMs = performance.now();
  if (counted()) markReady();
  await ready;
  const readyMs = performance.now();
  clearInterval(poll);

  const memory = Deno.memoryUsage();
  const statuses = handles.map((h) => h.status());
  console.log(JSON.stringify({
    event: "ready",
    torrents: handles.length,
    mainMs,
    recordsMs,
    addedMs,
    readyMs,
    piecesHave: statuses.reduce((sum, s) => sum + s.piecesHave, 0),
    pieceCount: statuses.reduce((sum, s) => sum + s.pieceCount, 0),
    stateWarnings,
    errors: statuses.filter((s) => s.state === "error").length,
    alertsDropped,
    heapUsedBytes: memory.heapUsed,
    externalBytes: memory.external,
  }));
  const closing = performance.now();
  await session.close();
  await alertsDone;
  console.log(JSON.stringify({ event: "closed", closeMs: performance.now() - closing }));
}

if (import.meta.main) {
  if (Deno.args.length !== 1) {
    console.error("Usage: _startup_child.ts STATE_DIR");
    Deno.exit(2);
  }
  await main(Deno.args[0]);
}
