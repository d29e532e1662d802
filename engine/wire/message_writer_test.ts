import assert from "node:assert/strict";
import { makeReserved } from "./handshake.ts";
import { MessageWriter } from "./message_writer.ts";
import { counting, everyMessage } from "./_test_messages.ts";
import { encodeMessage } from "./encode_message.ts";

function bytesOf(fill: (w: MessageWriter) => void): number[] {
  const w = new MessageWriter();
  fill(w);
  return [...w.take()];
}

Deno.test("MessageWriter encodes BEP 3 messages byte for byte", () => {
  assert.deepEqual(bytesOf((w) => w.keepAlive()), [0, 0, 0, 0]);
  assert.deepEqual(bytesOf((w) => w.choke()), [0, 0, 0, 1, 0]);
  assert.deepEqual(bytesOf((w) => w.unchoke()), [0, 0, 0, 1, 1]);
  assert.deepEqual(bytesOf((w) => w.interested()), [0, 0, 0, 1, 2]);
  assert.deepEqual(bytesOf((w) => w.notInterested()), [0, 0, 0, 1, 3]);
  assert.deepEqual(bytesOf((w) => w.have(0x01020304)), [0, 0, 0, 5, 4, 1, 2, 3, 4]);
  assert.deepEqual(bytesOf((w) => w.bitfield(Uint8Array.of(0xf0, 0x01))), [0, 0, 0, 3, 5, 0xf0, 0x01]);
  assert.deepEqual(
    bytesOf((w) => w.request(1, 0x4000, 0x4000)),
    [0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0],
  );
  assert.deepEqual(
    bytesOf((w) => w.piece(2, 0x8000, Uint8Array.of(0xde, 0xad))),
    [0, 0, 0, 11, 7, 0, 0, 0, 2, 0, 0, 0x80, 0, 0xde, 0xad],
  );
  assert.deepEqual(
    bytesOf((w) => w.cancel(0xffff_ffff, 0, 1)),
    [0, 0, 0, 13, 8, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1],
  );
});

Deno.test("MessageWriter encodes BEP 5, 6, 10 and 52 messages byte for byte", () => {
  assert.deepEqual(bytesOf((w) => w.port(6881)), [0, 0, 0, 3, 9, 0x1a, 0xe1]);
  assert.deepEqual(bytesOf((w) => w.suggest(5)), [0, 0, 0, 5, 0x0d, 0, 0, 0, 5]);
  assert.deepEqual(bytesOf((w) => w.haveAll()), [0, 0, 0, 1, 0x0e]);
  assert.deepEqual(bytesOf((w) => w.haveNone()), [0, 0, 0, 1, 0x0f]);
  assert.deepEqual(
    bytesOf((w) => w.reject(1, 2, 3)),
    [0, 0, 0, 13, 0x10, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3],
  );
  assert.deepEqual(bytesOf((w) => w.allowedFast(258)), [0, 0, 0, 5, 0x11, 0, 0, 1, 2]);
  assert.deepEqual(bytesOf((w) => w.extended(0, Uint8Array.of(0x64, 0x65))), [0, 0, 0, 4, 20, 0, 0x64, 0x65]);
  const root = new Uint8Array(32).fill(7);
  assert.deepEqual(
    bytesOf((w) => w.hashRequest({ piecesRoot: root, baseLayer: 0, index: 4, length: 2, proofLayers: 1 })),
    [0, 0, 0, 49, 21, ...root, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 1],
  );
  const ref = { piecesRoot: root, baseLayer: 1, index: 0, length: 2, proofLayers: 0 };
  assert.deepEqual(
    bytesOf((w) => w.hashes(ref, counting(64))),
    [0, 0, 0, 113, 22, ...root, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, ...counting(64)],
  );
  assert.equal(bytesOf((w) => w.hashReject(ref))[4], 23);
});

Deno.test("MessageWriter coalesces messages and take() empties it", () => {
  const w = new MessageWriter(8);
  w.handshake({
    reserved: makeReserved({ fast: true }),
    infoHash: new Uint8Array(20),
    peerId: new Uint8Array(20),
  });
  w.haveAll();
  for (let i = 0; i < 100; i++) w.request(i, 0, 16384);
  assert.equal(w.length, 68 + 5 + 100 * 17);
  const bytes = w.take();
  assert.equal(bytes.length, 68 + 5 + 100 * 17);
  assert.equal(bytes[0], 19);
  assert.deepEqual([...bytes.subarray(68, 73)], [0, 0, 0, 1, 0x0e]);
  assert.deepEqual([...bytes.subarray(bytes.length - 17, bytes.length - 12)], [0, 0, 0, 13, 6]);
  assert.equal(w.length, 0);
  assert.equal(w.take().length, 0);
  w.choke();
  assert.deepEqual([...w.take()], [0, 0, 0, 1, 0]);
  // The taken buffer is not reused by later writes.
  w.unchoke();
  assert.equal(bytes[0], 19);
});

Deno.test("MessageWriter pending and consume() follow partial socket writes", () => {
  const w = new MessageWriter(16);
  const expected: number[] = [];
  for (let i = 0; i < 50; i++) {
    w.have(i);
    expected.push(0, 0, 0, 5, 4, 0, 0, 0, i);
  }
  const written: number[] = [];
  let step = 1;
  while (w.length > 0) {
    const n = Math.min(step, w.length);
    written.push(...w.pending.subarray(0, n));
    w.consume(n);
    if (step === 7) {
      w.have(99);
      expected.push(0, 0, 0, 5, 4, 0, 0, 0, 99);
    }
    step = step * 3 % 31;
  }
  assert.deepEqual(written, expected);
  assert.throws(() => w.consume(1), RangeError);
  assert.throws(() => w.consume(-1), RangeError);
});

Deno.test("MessageWriter refuses out-of-range fields without writing half a message", () => {
  const w = new MessageWriter();
  w.choke();
  assert.throws(() => w.have(-1), RangeError);
  assert.throws(() => w.have(2 ** 32), RangeError);
  assert.throws(() => w.have(1.5), RangeError);
  assert.throws(() => w.request(0, 0, NaN), RangeError);
  assert.throws(() => w.piece(0, -5, new Uint8Array(1)), RangeError);
  assert.throws(() => w.port(65536), RangeError);
  assert.throws(() => w.extended(256, new Uint8Array(0)), RangeError);
  const root = new Uint8Array(32);
  assert.throws(
    () =>
      w.hashRequest({ piecesRoot: new Uint8Array(20), baseLayer: 0, index: 0, length: 2, proofLayers: 0 }),
    RangeError,
  );
  assert.throws(
    () => w.hashRequest({ piecesRoot: root, baseLayer: 0, index: 0, length: -2, proofLayers: 0 }),
    RangeError,
  );
  assert.throws(
    () =>
      w.hashes({ piecesRoot: root, baseLayer: 0, index: 0, length: 2, proofLayers: 0 }, new Uint8Array(33)),
    RangeError,
  );
  assert.deepEqual([...w.take()], [0, 0, 0, 1, 0]);
  assert.throws(() => new MessageWriter(0), RangeError);
});

Deno.test("encodeMessage() frames every message type with its own length prefix", () => {
  for (const msg of everyMessage()) {
    const bytes = encodeMessage(msg);
    const prefix = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    assert.equal(bytes.length, 4 + prefix, msg.type);
  }
});
