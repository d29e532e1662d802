import assert from "node:assert/strict";
import dgram from "node:dgram";
import { TrackerError } from "../errors.ts";
import type { AnnounceRequest } from "./types.ts";
import { UdpTrackerClient } from "./udp_tracker.ts";

const request: AnnounceRequest = {
  infoHash: new Uint8Array(20).fill(0x11),
  peerId: new Uint8Array(20).fill(0x22),
  port: 6881,
  uploaded: 1000,
  downloaded: 2000,
  left: 3000,
  event: "started",
  key: 0xcafe,
  numwant: 30,
};

const CONNECTION_ID = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function connectReply(transactionId: number, connectionId = CONNECTION_ID): Uint8Array {
  const packet = new Uint8Array(16);
  view(packet).setUint32(4, transactionId);
  packet.set(connectionId, 8);
  return packet;
}

function announceReply(transactionId: number, interval: number, peers: number[]): Uint8Array {
  const packet = new Uint8Array(20 + peers.length);
  const v = view(packet);
  v.setUint32(0, 1);
  v.setUint32(4, transactionId);
  v.setInt32(8, interval);
  v.setUint32(12, 3);
  v.setUint32(16, 5);
  packet.set(peers, 20);
  return packet;
}

function errorReply(transactionId: number, message: string): Uint8Array {
  const text = new TextEncoder().encode(message);
  const packet = new Uint8Array(8 + text.length);
  view(packet).setUint32(0, 3);
  view(packet).setUint32(4, transactionId);
  packet.set(text, 8);
  return packet;
}

/** What a well-behaved tracker answers to `packet`. */
function standardReply(packet: Uint8Array): Uint8Array {
  const action = view(packet).getUint32(8);
  const transactionId = view(packet).getUint32(12);
  if (action === 0) return connectReply(transactionId);
  return announceReply(transactionId, 1800, [127, 0, 0, 1, 0x1a, 0xe1, 127, 0, 0, 2, 0, 0, 9, 9]);
}

interface Exchange {
  packet: Uint8Array;
  /** Index of this packet among all the tracker received. */
  index: number;
  action: number;
  transactionId: number;
  /** Sends `bytes` to the client from the tracker socket, or from `other` (a second socket) when asked. */
  send(bytes: Uint8Array, from?: "tracker" | "other"): void;
}

/** An in-process BEP 15 tracker on 127.0.0.1 (or ::1) whose behaviour is `handle`. */
async function fakeTracker(
  handle: (exchange: Exchange) => void,
  host = "127.0.0.1",
): Promise<{ url: string; received: Uint8Array[] } & AsyncDisposable> {
  const type = host.includes(":") ? "udp6" : "udp4";
  const bind = async (socket: dgram.Socket) => {
    await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
    return socket;
  };
  const socket = await bind(dgram.createSocket(type));
  const other = await bind(dgram.createSocket(type));
  const received: Uint8Array[] = [];
  socket.on("message", (message, remote) => {
    const packet = new Uint8Array(message);
    received.push(packet);
    handle({
      packet,
      index: received.length - 1,
      action: view(packet).getUint32(8),
      transactionId: view(packet).getUint32(12),
      send: (bytes, from = "tracker") =>
        (from === "tracker" ? socket : other).send(bytes, remote.port, remote.address),
    });
  });
  const close = (s: dgram.Socket) => new Promise<void>((resolve) => s.close(() => resolve()));
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `udp://${shownHost}:${socket.address().port}/announce`,
    received,
    [Symbol.asyncDispose]: async () => {
      await close(socket);
      await close(other);
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<TrackerError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TrackerError, `expected a TrackerError, got ${error}`);
    return error;
  }
  assert.fail("expected the announce to fail");
}

Deno.test("UdpTrackerClient.announce() connects, announces and reads the reply", async () => {
  await using tracker = await fakeTracker((x) => x.send(standardReply(x.packet)));
  await using client = new UdpTrackerClient();
  const reply = await client.announce(tracker.url, request);
  assert.deepEqual(reply, {
    interval: 1800,
    peers: [{ host: "127.0.0.1", port: 6881 }],
    incomplete: 3,
    complete: 5,
  });
  const [connect, announce] = tracker.received;
  assert.equal(connect.length, 16);
  assert.equal(view(connect).getBigUint64(0), 0x41727101980n);
  assert.equal(view(connect).getUint32(8), 0);
  assert.equal(announce.length, 98);
  assert.deepEqual(announce.subarray(0, 8), CONNECTION_ID);
  assert.equal(view(announce).getUint32(8), 1);
  assert.deepEqual(announce.subarray(16, 36), request.infoHash);
  assert.deepEqual(announce.subarray(36, 56), request.peerId);
  assert.equal(view(announce).getBigUint64(56), 2000n);
  assert.equal(view(announce).getBigUint64(64), 3000n);
  assert.equal(view(announce).getBigUint64(72), 1000n);
  assert.equal(view(announce).getUint32(80), 2);
  assert.equal(view(announce).getUint32(88), 0xcafe);
  assert.equal(view(announce).getInt32(92), 30);
  assert.equal(view(announce).getUint16(96), 6881);
  assert.notEqual(view(connect).getUint32(12), view(announce).getUint32(12));
});

Deno.test("UdpTrackerClient.announce() reuses the connection id until it expires", async () => {
  await using tracker = await fakeTracker((x) => x.send(standardReply(x.packet)));
  await using client = new UdpTrackerClient();
  await client.announce(tracker.url, request);
  await client.announce(tracker.url, { ...request, event: undefined });
  assert.deepEqual(tracker.received.map((p) => view(p).getUint32(8)), [0, 1, 1]);
  assert.equal(view(tracker.received[2]).getUint32(80), 0);

  await using expiring = new UdpTrackerClient({ connectionIdLifetime: 0 });
  await expiring.announce(tracker.url, request);
  await expiring.announce(tracker.url, request);
  assert.deepEqual(tracker.received.slice(3).map((p) => view(p).getUint32(8)), [0, 1, 0, 1]);
});

Deno.test("UdpTrackerClient.announce() reports an error reply and drops the connection id", async () => {
  await using tracker = await fakeTracker((x) => {
    if (x.action === 1) x.send(errorReply(x.transactionId, "Torrent not registered\n"));
    else x.send(standardReply(x.packet));
  });
  await using client = new UdpTrackerClient();
  const error = await rejection(client.announce(tracker.url, request));
  assert.equal(error.message, "Cannot announce: tracker error: Torrent not registered");
  assert.equal(error.url, tracker.url);
  await rejection(client.announce(tracker.url, request));
  assert.deepEqual(tracker.received.map((p) => view(p).getUint32(8)), [0, 1, 0, 1]);

  await using refusing = await fakeTracker((x) => x.send(errorReply(x.transactionId, "")));
  assert.equal(
    (await rejection(client.announce(refusing.url, request))).message,
    "Cannot announce: tracker error: ",
  );
});

Deno.test("UdpTrackerClient.announce() ignores short, mismatched and foreign replies", async () => {
  await using tracker = await fakeTracker((x) => {
    const good = standardReply(x.packet);
    x.send(new Uint8Array(7));
    x.send(good.slice(0, x.action === 0 ? 15 : 19));
    const wrongId = good.slice();
    view(wrongId).setUint32(4, x.transactionId ^ 1);
    x.send(wrongId);
    const wrongAction = good.slice();
    view(wrongAction).setUint32(0, 2);
    x.send(wrongAction);
    const forged = x.action === 0
      ? connectReply(x.transactionId, new Uint8Array(8).fill(0xee))
      : announceReply(x.transactionId, 60, [6, 6, 6, 6, 0, 6]);
    x.send(forged, "other");
    setTimeout(() => x.send(good), 20);
  });
  await using client = new UdpTrackerClient();
  const reply = await client.announce(tracker.url, request);
  assert.deepEqual(reply.peers, [{ host: "127.0.0.1", port: 6881 }]);
  assert.equal(reply.interval, 1800);
  assert.deepEqual(tracker.received[1].subarray(0, 8), CONNECTION_ID);
});

Deno.test("UdpTrackerClient.announce() retransmits after a lost packet", async () => {
  await using tracker = await fakeTracker((x) => {
    if (x.index !== 0 && x.index !== 2) x.send(standardReply(x.packet));
  });
  await using client = new UdpTrackerClient({ baseTimeout: 100 });
  const reply = await client.announce(tracker.url, request);
  assert.equal(reply.complete, 5);
  assert.deepEqual(tracker.received.map((p) => view(p).getUint32(8)), [0, 0, 1, 1]);
});

Deno.test("UdpTrackerClient.announce() gives up after the last retransmission or the timeout", async () => {
  await using silent = await fakeTracker(() => {});
  await using client = new UdpTrackerClient({ baseTimeout: 5, maxRetransmits: 2 });
  const error = await rejection(client.announce(silent.url, request));
  assert.equal(error.message, "Cannot announce: no reply after 3 attempts");
  assert.equal(silent.received.length, 3);

  await using slow = new UdpTrackerClient({ baseTimeout: 10_000 });
  assert.equal(
    (await rejection(slow.announce(silent.url, request, { timeout: 30 }))).message,
    "Cannot announce: no reply within 30 ms",
  );
});

Deno.test("UdpTrackerClient.announce() honours abort signals and close()", async () => {
  await using silent = await fakeTracker(() => {});
  const client = new UdpTrackerClient({ baseTimeout: 10_000 });
  const controller = new AbortController();
  const aborted = client.announce(silent.url, request, { signal: controller.signal });
  controller.abort(new Error("Session stopping"));
  const error = await rejection(aborted);
  assert.equal(error.message, "Cannot announce: aborted");
  assert.equal((error.cause as Error).message, "Session stopping");

  const sent = silent.received.length;
  const pending = rejection(client.announce(silent.url, request));
  while (silent.received.length === sent) await new Promise((resolve) => setTimeout(resolve, 1));
  await client.close();
  assert.equal((await pending).message, "Cannot announce: the UDP tracker client was closed");
  assert.equal(
    (await rejection(client.announce(silent.url, request))).message,
    "Cannot announce: the UDP tracker client is closed",
  );
  await client.close();
});

Deno.test("UdpTrackerClient.announce() rejects bad URLs and bad requests", async () => {
  await using client = new UdpTrackerClient();
  await rejection(client.announce("udp://127.0.0.1/announce", request));
  await rejection(client.announce("udp://127.0.0.1:0", request));
  await rejection(client.announce("http://127.0.0.1:6969/announce", request));
  await rejection(client.announce("udp://no-such-host.invalid:6969", request, { timeout: 5_000 }));
  await assert.rejects(
    client.announce("udp://127.0.0.1:1", { ...request, peerId: new Uint8Array(0) }),
    TypeError,
  );
  assert.throws(() => new UdpTrackerClient({ baseTimeout: -1 }), RangeError);
});

const hasIpv6Loopback = await new Promise<boolean>((resolve) => {
  const socket = dgram.createSocket("udp6");
  socket.once("error", () => resolve(false));
  socket.bind(0, "::1", () => socket.close(() => resolve(true)));
});

Deno.test({
  name: "UdpTrackerClient.announce() reads 18-byte peers from an IPv6 tracker",
  ignore: !hasIpv6Loopback,
  async fn() {
    const peer = [0x20, 0x01, 0x0d, 0xb8, ...new Uint8Array(11), 1, 0x1a, 0xe1];
    await using tracker = await fakeTracker((x) => {
      x.send(
        x.action === 0 ? connectReply(x.transactionId) : announceReply(x.transactionId, 900, [...peer, 1, 2]),
      );
    }, "::1");
    await using client = new UdpTrackerClient();
    const reply = await client.announce(tracker.url, request);
    assert.deepEqual(reply.peers, [{ host: "2001:db8::1", port: 6881 }]);
    assert.equal(reply.interval, 900);
  },
});

/** A BEP 15 scrape reply giving hash i the counts (i, 100 + i, 200 + i) for seeders, completed, leechers. */
function scrapeReply(transactionId: number, count: number): Uint8Array {
  const packet = new Uint8Array(8 + 12 * count);
  const v = view(packet);
  v.setUint32(0, 2);
  v.setUint32(4, transactionId);
  for (let i = 0; i < count; i++) {
    v.setUint32(8 + 12 * i, i);
    v.setUint32(12 + 12 * i, 100 + i);
    v.setUint32(16 + 12 * i, 200 + i);
  }
  return packet;
}

const hexOf = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("UdpTrackerClient.scrape() connects once and asks at most 74 hashes per packet", async () => {
  await using tracker = await fakeTracker((x) => {
    x.send(
      x.action === 0
        ? connectReply(x.transactionId)
        : scrapeReply(x.transactionId, (x.packet.length - 16) / 20),
    );
  });
  await using client = new UdpTrackerClient();
  const hashes = Array.from({ length: 76 }, (_, i) => new Uint8Array(20).fill(i));
  const counts = await client.scrape(tracker.url, [...hashes, hashes[0]]);
  assert.deepEqual(tracker.received.map((packet) => [view(packet).getUint32(8), packet.length]), [
    [0, 16],
    [2, 16 + 20 * 74],
    [2, 16 + 20 * 2],
  ]);
  const [, first, second] = tracker.received;
  assert.deepEqual(first.subarray(0, 8), CONNECTION_ID);
  assert.deepEqual(first.subarray(16, 36), hashes[0]);
  assert.deepEqual(second.subarray(36, 56), hashes[75]);
  assert.equal(counts.size, 76);
  assert.deepEqual(counts.get(hexOf(hashes[1])), { complete: 1, downloaded: 101, incomplete: 201 });
  assert.deepEqual(counts.get(hexOf(hashes[75])), { complete: 1, downloaded: 101, incomplete: 201 });
});

Deno.test("UdpTrackerClient.scrape() retransmits, and words its errors as a scrape", async () => {
  let scrapes = 0;
  let silent = false;
  await using tracker = await fakeTracker((x) => {
    if (silent) return;
    if (x.action === 0) return x.send(connectReply(x.transactionId));
    // The first scrape packet is lost; the tracker then rejects the torrent.
    if (scrapes++ === 0) return;
    x.send(errorReply(x.transactionId, "unknown torrent"));
  });
  await using client = new UdpTrackerClient({ baseTimeout: 20 });
  const hash = new Uint8Array(20).fill(7);
  const error = await rejection(client.scrape(tracker.url, [hash]));
  assert.equal(error.message, "Cannot scrape: tracker error: unknown torrent");
  assert.equal(scrapes, 2);
  silent = true;
  const late = await rejection(client.scrape(tracker.url, [hash], { timeout: 50 }));
  assert.equal(late.message, "Cannot scrape: no reply within 50 ms");
  assert.match(
    (await rejection(client.scrape("http://t/announce", [hash]))).message,
    /^Cannot scrape: http:/,
  );
  await assert.rejects(client.scrape(tracker.url, []), RangeError);
  await client.close();
  const closed = await rejection(client.scrape(tracker.url, [hash]));
  assert.equal(closed.message, "Cannot scrape: the UDP tracker client is closed");
});
