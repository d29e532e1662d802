import assert from "node:assert/strict";
import {
  announceRequest,
  connectionIdOf,
  connectRequest,
  errorMessageOf,
  parseUdpAnnounceReply,
  replyHeader,
} from "./_udp_packets.ts";
import type { AnnounceRequest } from "./types.ts";

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("connectRequest() writes the BEP 15 connect packet", () => {
  assert.equal(hex(connectRequest(0xdeadbeef)), "0000041727101980" + "00000000" + "deadbeef");
});

Deno.test("announceRequest() writes the BEP 15 announce packet", () => {
  const request: AnnounceRequest = {
    infoHash: new Uint8Array(20).fill(0xaa),
    peerId: new Uint8Array(20).fill(0xbb),
    port: 6881,
    uploaded: 2 ** 40,
    downloaded: 3,
    left: Number.MAX_SAFE_INTEGER,
    event: "stopped",
    key: 0xfeedface,
    numwant: 50,
  };
  const packet = announceRequest(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 0x01020304, request);
  assert.equal(packet.length, 98);
  assert.equal(
    hex(packet),
    "0102030405060708" + "00000001" + "01020304" + "aa".repeat(20) + "bb".repeat(20) +
      "0000000000000003" + "001fffffffffffff" + "0000010000000000" + "00000003" + "00000000" + "feedface" +
      "00000032" + "1ae1",
  );
  const defaults = announceRequest(new Uint8Array(8), 1, {
    ...request,
    event: undefined,
    key: undefined,
    numwant: undefined,
  });
  assert.equal(hex(defaults.subarray(80, 96)), "00000000" + "00000000" + "00000000" + "ffffffff");
  assert.equal(announceRequest(new Uint8Array(8), 1, { ...request, event: "started" })[83], 2);
  assert.equal(announceRequest(new Uint8Array(8), 1, { ...request, event: "completed" })[83], 1);
});

Deno.test("replyHeader() reads action and transaction id, refusing packets under 8 bytes", () => {
  assert.deepEqual(replyHeader(new Uint8Array([0, 0, 0, 3, 0xff, 0, 0, 1])), {
    action: 3,
    transactionId: 0xff000001,
  });
  assert.equal(replyHeader(new Uint8Array(7)), undefined);
  assert.deepEqual(
    connectionIdOf(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 9, 8, 7, 6, 5, 4, 3, 2])),
    new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]),
  );
  assert.equal(errorMessageOf(new Uint8Array([0, 0, 0, 3, 0, 0, 0, 1, 0x62, 0x61, 0x64, 0x0a])), "bad");
});

Deno.test("parseUdpAnnounceReply() reads counts, clamps the interval and drops bad peers", () => {
  const header = new Uint8Array(20);
  const view = new DataView(header.buffer);
  view.setUint32(0, 1);
  view.setUint32(4, 9);
  view.setInt32(8, -1);
  view.setUint32(12, 4);
  view.setUint32(16, 6);
  const peers = [
    [192, 0, 2, 1, 0x1a, 0xe1],
    [192, 0, 2, 2, 0, 0],
    [0, 0, 0, 0, 0x1a, 0xe1],
    [239, 1, 1, 1, 0x1a, 0xe1],
  ];
  const packet = new Uint8Array([...header, ...peers.flat(), 10, 0, 0, 1, 0x1a, 0xe2, 1, 2, 3]);
  assert.deepEqual(parseUdpAnnounceReply(packet, 6), {
    interval: 300,
    peers: [{ host: "192.0.2.1", port: 6881 }, { host: "10.0.0.1", port: 6882 }],
    incomplete: 4,
    complete: 6,
  });
  const v6 = new Uint8Array(20 + 18 + 5);
  v6.set([0, 0, 0x0e, 0x10], 8);
  v6.set([0x20, 0x01, 0x0d, 0xb8], 20);
  v6.set([0x1a, 0xe1], 36);
  assert.deepEqual(parseUdpAnnounceReply(v6, 18), {
    interval: 3600,
    peers: [{ host: "2001:db8::", port: 6881 }],
    incomplete: 0,
    complete: 0,
  });
});
