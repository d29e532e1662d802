import assert from "node:assert/strict";
import { PeerProtocolError } from "../errors.ts";
import {
  decodeHandshake,
  encodeHandshake,
  HANDSHAKE_LENGTH,
  makeReserved,
  supportsDht,
  supportsExtensionProtocol,
  supportsFast,
  supportsV2,
} from "./handshake.ts";

const infoHash = new Uint8Array(20).fill(0xaa);
const peerId = new TextEncoder().encode("-CC0100-abcdefghijkl");

function isBadHandshake(e: unknown): boolean {
  return e instanceof PeerProtocolError && e.code === "bad_handshake";
}

Deno.test("encodeHandshake() writes the BEP 3 layout byte for byte", () => {
  const bytes = encodeHandshake({
    reserved: makeReserved({ extensionProtocol: true, dht: true }),
    infoHash,
    peerId,
  });
  const expected = [
    19,
    ...[..."BitTorrent protocol"].map((c) => c.charCodeAt(0)),
    0,
    0,
    0,
    0,
    0,
    0x10,
    0,
    0x01,
    ...infoHash,
    ...peerId,
  ];
  assert.equal(bytes.length, HANDSHAKE_LENGTH);
  assert.deepEqual([...bytes], expected);
});

Deno.test("encodeHandshake() refuses fields of the wrong length", () => {
  const reserved = new Uint8Array(8);
  assert.throws(() => encodeHandshake({ reserved: new Uint8Array(7), infoHash, peerId }), RangeError);
  assert.throws(() => encodeHandshake({ reserved, infoHash: new Uint8Array(32), peerId }), RangeError);
  assert.throws(() => encodeHandshake({ reserved, infoHash, peerId: new Uint8Array(19) }), RangeError);
});

Deno.test("decodeHandshake() round-trips and returns copies", () => {
  const h = { reserved: makeReserved({ fast: true }), infoHash, peerId };
  const bytes = encodeHandshake(h);
  const decoded = decodeHandshake(bytes);
  assert.deepEqual(decoded, h);
  bytes.fill(0);
  assert.deepEqual(decoded.peerId, peerId);
});

Deno.test("decodeHandshake() rejects a wrong pstrlen, protocol string or length", () => {
  const good = encodeHandshake({ reserved: new Uint8Array(8), infoHash, peerId });
  const pstrlen = good.slice();
  pstrlen[0] = 18;
  assert.throws(() => decodeHandshake(pstrlen), isBadHandshake);
  const pstr = good.slice();
  pstr[19] = "L".charCodeAt(0);
  assert.throws(() => decodeHandshake(pstr), isBadHandshake);
  assert.throws(() => decodeHandshake(good.subarray(0, 67)), isBadHandshake);
  assert.throws(() => decodeHandshake(Uint8Array.of(...good, 0)), isBadHandshake);
  assert.throws(() => decodeHandshake(new Uint8Array(0)), isBadHandshake);
});

Deno.test("makeReserved() sets exactly the advertised bits", () => {
  assert.deepEqual([...makeReserved({})], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...makeReserved({ extensionProtocol: true })], [0, 0, 0, 0, 0, 0x10, 0, 0]);
  assert.deepEqual([...makeReserved({ fast: true })], [0, 0, 0, 0, 0, 0, 0, 0x04]);
  assert.deepEqual([...makeReserved({ dht: true })], [0, 0, 0, 0, 0, 0, 0, 0x01]);
  assert.deepEqual([...makeReserved({ v2: true })], [0, 0, 0, 0, 0, 0, 0, 0x10]);
  const all = makeReserved({ extensionProtocol: true, fast: true, dht: true, v2: true });
  assert.deepEqual([...all], [0, 0, 0, 0, 0, 0x10, 0, 0x15]);
});

Deno.test("supportsExtensionProtocol() and friends read single bits of real clients' reserved bytes", () => {
  // libtorrent 2.0: extension protocol, fast, DHT, v2 upgrade.
  const libtorrent = Uint8Array.of(0, 0, 0, 0, 0, 0x10, 0, 0x15);
  assert.equal(supportsExtensionProtocol(libtorrent), true);
  assert.equal(supportsFast(libtorrent), true);
  assert.equal(supportsDht(libtorrent), true);
  assert.equal(supportsV2(libtorrent), true);
  // Every other bit set: none of the features.
  const others = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0xff, 0xea);
  assert.equal(supportsExtensionProtocol(others), false);
  assert.equal(supportsFast(others), false);
  assert.equal(supportsDht(others), false);
  assert.equal(supportsV2(others), false);
});
