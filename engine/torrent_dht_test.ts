import { deepEqual, equal } from "node:assert/strict";
import { type DhtClient, type TimerApi, TorrentDht } from "./torrent_dht.ts";
import type { PeerAddress } from "./tracker/mod.ts";

/** A DHT that finds nobody for the first `emptyRounds` lookups, then one peer. */
function fakeDht(emptyRounds: number): DhtClient & { lookups: number; announces: number[] } {
  const dht = {
    lookups: 0,
    announces: [] as number[],
    getPeers(): Promise<PeerAddress[]> {
      dht.lookups++;
      return Promise.resolve(dht.lookups > emptyRounds ? [{ host: "127.0.0.1", port: 6881 }] : []);
    },
    announcePeer(_infoHash: Uint8Array, port: number): Promise<number> {
      dht.announces.push(port);
      return Promise.resolve(1);
    },
  };
  return dht;
}

/** Timers fired by hand: `pending` holds the live ones with their delays. */
function fakeTimers(): TimerApi & { pending: Map<number, { fn: () => void; ms: number }>; fire(): number } {
  let next = 1;
  const pending = new Map<number, { fn: () => void; ms: number }>();
  return {
    pending,
    setTimeout(fn, ms) {
      pending.set(next, { fn, ms });
      return next++;
    },
    clearTimeout(handle) {
      if (handle !== undefined) pending.delete(handle);
    },
    /** Fires the only live timer and returns its delay. */
    fire() {
      equal(pending.size, 1, "one timer is live");
      const [[handle, timer]] = pending;
      pending.delete(handle);
      timer.fn();
      return timer.ms;
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("TorrentDht.start() retries an empty lookup after 1, 2, 4, 8 minutes, then every 15", async () => {
  const dht = fakeDht(100);
  const timers = fakeTimers();
  const lookups = new TorrentDht(dht, new Uint8Array(20), () => 7000, () => {}, timers);
  lookups.start();
  const delays = [];
  for (let round = 0; round < 6; round++) {
    await settle();
    delays.push(timers.fire() / 60_000);
  }
  deepEqual(delays, [1, 2, 4, 8, 15, 15]);
  equal(dht.lookups, 7);
  deepEqual(dht.announces, Array(7).fill(7000));
  lookups.stop();
  equal(timers.pending.size, 0);
});

Deno.test("TorrentDht.start() hands found peers over and goes back to the 15-minute interval", async () => {
  const dht = fakeDht(1);
  const timers = fakeTimers();
  const found: PeerAddress[][] = [];
  const lookups = new TorrentDht(dht, new Uint8Array(20), () => 0, (peers) => found.push(peers), timers);
  lookups.start();
  await settle();
  equal(timers.fire(), 60_000, "the empty first lookup is retried after a minute");
  await settle();
  deepEqual(found, [[{ host: "127.0.0.1", port: 6881 }]]);
  equal(timers.fire(), 15 * 60_000);
  equal(dht.announces.length, 0, "no announce without a listen port");
  lookups.stop();
});

Deno.test("TorrentDht.stop() ends the retries, also with a lookup in flight", async () => {
  const dht = fakeDht(100);
  const timers = fakeTimers();
  const lookups = new TorrentDht(dht, new Uint8Array(20), () => 0, () => {}, timers);
  lookups.start();
  lookups.stop();
  await settle();
  equal(timers.pending.size, 0);
  equal(dht.lookups, 1);
});
