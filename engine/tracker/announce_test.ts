import assert from "node:assert/strict";
import dgram from "node:dgram";
import { encode } from "../bencode/mod.ts";
import { TrackerError } from "../errors.ts";
import { startOpentracker } from "../../tests/_helpers/opentracker.ts";
import { announce } from "./announce.ts";
import type { AnnounceRequest } from "./types.ts";
import { UdpTrackerClient } from "./udp_tracker.ts";

function request(peerByte: number, port: number, left: number): AnnounceRequest {
  return {
    infoHash: Uint8Array.from({ length: 20 }, (_, i) => (i * 7 + 1) & 0xff),
    peerId: new Uint8Array(20).fill(peerByte),
    port,
    uploaded: 0,
    downloaded: 0,
    left,
    event: "started",
    key: peerByte,
  };
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("announce() sends http URLs to the HTTP client", async () => {
  const body = encode({ interval: 1800, peers: new Uint8Array([127, 0, 0, 9, 0x1a, 0xe1]) });
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(new Uint8Array(body)),
  );
  const reply = await announce(`HTTP://127.0.0.1:${server.addr.port}/announce`, request(1, 6881, 0));
  assert.deepEqual(reply.peers, [{ host: "127.0.0.9", port: 6881 }]);
});

Deno.test("announce() sends udp URLs to the given UDP client, or to a temporary one", async () => {
  const tracker = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => tracker.bind(0, "127.0.0.1", () => resolve()));
  let packets = 0;
  tracker.on("message", (message, remote) => {
    packets++;
    if (packets === 1) return; // lost: the temporary client must retransmit
    const reply = new Uint8Array(message.length === 16 ? 16 : 26);
    const view = new DataView(reply.buffer);
    view.setUint32(0, message.length === 16 ? 0 : 1);
    reply.set(message.subarray(12, 16), 4);
    if (message.length !== 16) reply.set([127, 0, 0, 7, 0x1a, 0xe1], 20);
    tracker.send(reply, remote.port, remote.address);
  });
  try {
    const url = `udp://127.0.0.1:${tracker.address().port}`;
    const first = await announce(url, request(1, 6881, 0), { udpBaseTimeout: 100 });
    assert.deepEqual(first.peers, [{ host: "127.0.0.7", port: 6881 }]);
    await using client = new UdpTrackerClient();
    await announce(url, request(1, 6881, 0), { udpClient: client });
    await announce(url, request(1, 6881, 0), { udpClient: client });
    assert.equal(packets, 1 + 2 + 3);
  } finally {
    await new Promise<void>((resolve) => tracker.close(() => resolve()));
  }
});

Deno.test("announce() rejects other schemes with a TrackerError", async () => {
  for (const url of ["wss://tracker.example/announce", "magnet:?xt=x", "/announce", ""]) {
    await assert.rejects(announce(url, request(1, 6881, 0)), (error: unknown) => {
      assert.ok(error instanceof TrackerError);
      assert.equal(error.url, url);
      return true;
    });
  }
  await assert.rejects(announce("udp://127.0.0.1:1", { ...request(1, 1, 0), left: -1 }), RangeError);
});

Deno.test("announce() works against a real opentracker over HTTP and UDP", async () => {
  const seeder = request(0x53, 50001, 0);
  const leecher = request(0x4c, 50002, 1000);
  const other = request(0x4c, 50003, 1000);
  other.infoHash = new Uint8Array(20).fill(0xab);
  await using tracker = await startOpentracker({ infoHashes: [hex(seeder.infoHash)] });

  const first = await announce(tracker.httpUrl, seeder);
  assert.ok(first.interval >= 300 && first.interval <= 7200);

  await using client = new UdpTrackerClient();
  const second = await announce(tracker.udpUrl, leecher, { udpClient: client });
  assert.ok(
    second.peers.some((peer) => peer.host === "127.0.0.1" && peer.port === 50001),
    JSON.stringify(second),
  );
  assert.equal(second.complete, 1);
  assert.equal(second.incomplete, 1);

  const third = await announce(tracker.httpUrl, { ...seeder, event: undefined, numwant: 10 });
  assert.ok(third.peers.some((peer) => peer.port === 50002), JSON.stringify(third));
  assert.equal(third.complete, 1);
  assert.equal(third.incomplete, 1);

  await assert.rejects(announce(tracker.httpUrl, other), /not authorized/);
  await announce(tracker.udpUrl, { ...leecher, event: "stopped" }, { udpClient: client });
  const after = await announce(tracker.httpUrl, { ...seeder, event: undefined });
  assert.equal(after.incomplete, 0);
});
