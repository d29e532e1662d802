import assert from "node:assert/strict";
import { AlertQueue } from "./alerts.ts";
import { TrackerError } from "./errors.ts";
import { TorrentAnnouncer } from "./torrent_announcer.ts";
import type { AnnounceEvent, AnnounceRequest, PeerAddress } from "./tracker/mod.ts";

interface Call {
  url: string;
  event: AnnounceEvent;
}

/**
 * An announcer over a fake announce function: URLs in `failing` throw a TrackerError, the others answer with
 * one peer. `random` is 0.999 by default, which leaves every tier in its given order.
 */
function harness(tiers: string[][], options: { random?: () => number } = {}) {
  const calls: Call[] = [];
  const failing = new Set<string>();
  const peers: PeerAddress[] = [];
  const alerts = new AlertQueue();
  let settled = 0;
  const announcer = new TorrentAnnouncer({
    tiers,
    random: options.random ?? (() => 0.999),
    announce: (url, request) => {
      calls.push({ url, event: request.event });
      settled++;
      if (failing.has(url)) return Promise.reject(new TrackerError(url, "Cannot announce: refused"));
      return Promise.resolve({ interval: 1800, peers: [{ host: "127.0.0.1", port: calls.length }] });
    },
    request: (event): AnnounceRequest => ({
      infoHash: new Uint8Array(20),
      peerId: new Uint8Array(20),
      port: 6881,
      uploaded: 0,
      downloaded: 0,
      left: 1,
      event,
    }),
    onPeers: (found) => peers.push(...found),
    alerts,
    infoHash: "00".repeat(20),
  });
  /** Runs `action`, then waits until the announce round it started has made `count` calls. */
  const round = async (action: () => void, count: number) => {
    const target = settled + count;
    action();
    for (let i = 0; i < 100 && settled < target; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(settled, target, "announce round did not make the expected calls");
    // Let the round finish (alerts, rescheduling) after its last call.
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  const alertTypes = async () => {
    alerts.close();
    const types: string[] = [];
    for await (const alert of alerts) types.push(`${alert.type} ${"url" in alert ? alert.url : ""}`);
    return types;
  };
  return { announcer, calls, failing, peers, round, alertTypes };
}

Deno.test("TorrentAnnouncer() tries tiers in order and falls back to the next URL and tier", async () => {
  const h = harness([["http://a1/announce", "http://a2/announce"], [], ["http://b1/announce"]]);
  h.failing.add("http://a1/announce").add("http://a2/announce");
  assert.equal(h.announcer.hasTrackers, true);
  await h.round(() => h.announcer.start(), 3);
  assert.deepEqual(h.calls, [
    { url: "http://a1/announce", event: "started" },
    { url: "http://a2/announce", event: "started" },
    { url: "http://b1/announce", event: "started" },
  ]);
  assert.deepEqual(h.peers, [{ host: "127.0.0.1", port: 3 }]);
  await h.announcer.stop();
  assert.deepEqual(h.calls.slice(3).map((call) => `${call.url} ${call.event}`).toSorted(), [
    "http://a1/announce stopped",
    "http://b1/announce stopped",
  ]);
  assert.deepEqual(await h.alertTypes(), [
    "tracker_error http://a1/announce",
    "tracker_error http://a2/announce",
    "tracker_reply http://b1/announce",
  ]);
});

Deno.test("TorrentAnnouncer() shuffles each tier once at construction (BEP 12)", async () => {
  // random() = 0 takes index 0 at every Fisher-Yates step: [a, b, c] becomes [b, c, a].
  const h = harness([["http://a/", "http://b/", "http://c/"]], { random: () => 0 });
  await h.round(() => h.announcer.start(), 1);
  assert.deepEqual(h.calls, [{ url: "http://b/", event: "started" }]);
  await h.round(() => h.announcer.reannounce(), 1);
  assert.deepEqual(h.calls[1], { url: "http://b/", event: undefined });
  await h.announcer.stop();
});

Deno.test("TorrentAnnouncer() moves a tracker that answers to the front of its tier", async () => {
  const h = harness([["http://a/", "http://b/", "http://c/"]]);
  h.failing.add("http://a/").add("http://b/");
  await h.round(() => h.announcer.start(), 3);
  h.failing.clear();
  await h.round(() => h.announcer.reannounce(), 1);
  assert.deepEqual(h.calls[3], { url: "http://c/", event: undefined });
  // c fails now: the order is c, a, b, and a never heard `started`.
  h.failing.add("http://c/");
  await h.round(() => h.announcer.reannounce(), 2);
  assert.deepEqual(h.calls.slice(4), [
    { url: "http://c/", event: undefined },
    { url: "http://a/", event: "started" },
  ]);
  await h.announcer.stop();
  assert.deepEqual(h.calls.at(-1), { url: "http://a/", event: "stopped" });
});

Deno.test("TorrentAnnouncer() sends started again while no tracker has answered", async () => {
  const h = harness([["http://a/"], ["http://b/"]]);
  h.failing.add("http://a/").add("http://b/");
  await h.round(() => h.announcer.start(), 2);
  h.failing.delete("http://b/");
  await h.round(() => h.announcer.reannounce(), 2);
  assert.deepEqual(h.calls.slice(2), [
    { url: "http://a/", event: "started" },
    { url: "http://b/", event: "started" },
  ]);
  // b knows us now: a re-announce to it carries no event, but a (first tier, still unheard) gets `started`.
  h.failing.delete("http://a/");
  await h.round(() => h.announcer.reannounce(), 1);
  assert.deepEqual(h.calls[4], { url: "http://a/", event: "started" });
  await h.announcer.stop();
});

Deno.test("TorrentAnnouncer() passes completed through and announces nothing without trackers", async () => {
  const h = harness([["http://a/"]]);
  await h.round(() => h.announcer.start(), 1);
  await h.round(() => h.announcer.completed(), 1);
  assert.deepEqual(h.calls[1], { url: "http://a/", event: "completed" });
  await h.announcer.stop();
  await h.announcer.stop();
  assert.equal(h.calls.length, 3);

  const empty = harness([[], []]);
  assert.equal(empty.announcer.hasTrackers, false);
  empty.announcer.start();
  await empty.announcer.stop();
  assert.deepEqual(empty.calls, []);
});
