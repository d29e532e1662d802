import assert from "node:assert/strict";
import fc from "fast-check";
import { PeerProtocolError } from "../errors.ts";
import { encodeHandshake, makeReserved } from "./handshake.ts";
import { MessageWriter } from "./message_writer.ts";
import { WireDecoder } from "./wire_decoder.ts";
import type { WireMessage } from "./wire_message.ts";
import { counting, detach, everyMessage } from "./_test_messages.ts";

function encodeAll(messages: WireMessage[]): Uint8Array {
  const w = new MessageWriter();
  for (const m of messages) w.write(m);
  return w.take();
}

/** Every message currently complete in the decoder, detached from its buffer. */
function drain(decoder: WireDecoder): WireMessage[] {
  const out: WireMessage[] = [];
  for (let m = decoder.next(); m !== null; m = decoder.next()) out.push(detach(m));
  return out;
}

function feedInChunks(bytes: Uint8Array, sizes: (offset: number) => number, decoder = new WireDecoder()) {
  const out: WireMessage[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const n = Math.min(sizes(offset), bytes.length - offset);
    decoder.push(bytes.subarray(offset, offset + n));
    offset += n;
    out.push(...drain(decoder));
  }
  return out;
}

function u32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function protocolError(code: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof PeerProtocolError, `expected PeerProtocolError, got ${e}`);
    assert.equal(e.code, code);
    return true;
  };
}

Deno.test("WireDecoder round-trips every message type", () => {
  const messages = everyMessage();
  const decoder = new WireDecoder();
  decoder.push(encodeAll(messages));
  assert.deepEqual(drain(decoder), messages);
  assert.equal(decoder.buffered, 0);
  assert.equal(decoder.next(), null);
});

Deno.test("WireDecoder decodes hand-written BEP 3 bytes", () => {
  const decoder = new WireDecoder();
  decoder.push(Uint8Array.of(
    ...[0, 0, 0, 0],
    ...[0, 0, 0, 1, 1],
    ...[0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0],
    ...[0, 0, 0, 11, 7, 0, 0, 0, 2, 0, 0, 0x80, 0, 0xde, 0xad],
    ...[0, 0, 0, 3, 9, 0x1a, 0xe1],
    ...[0, 0, 0, 3, 20, 1, 0x78],
  ));
  assert.deepEqual(drain(decoder), [
    { type: "keep_alive" },
    { type: "unchoke" },
    { type: "request", index: 1, begin: 16384, length: 16384 },
    { type: "piece", index: 2, begin: 32768, block: Uint8Array.of(0xde, 0xad) },
    { type: "port", port: 6881 },
    { type: "extended", id: 1, payload: Uint8Array.of(0x78) },
  ]);
});

Deno.test("WireDecoder gives the same messages when fed one byte at a time", () => {
  const messages = everyMessage();
  assert.deepEqual(
    feedInChunks(encodeAll(messages), () => 1, new WireDecoder({ bufferSize: 1024 })),
    messages,
  );
  assert.deepEqual(feedInChunks(encodeAll(messages), () => 1), messages);
});

Deno.test("WireDecoder gives the same messages for any split of the stream", () => {
  const messages = everyMessage();
  const bytes = encodeAll(messages);
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 20000 }), { minLength: 1, maxLength: 40 }),
      fc.constantFrom(128, 4096, 65536),
      (sizes, bufferSize) => {
        let i = 0;
        const decoder = new WireDecoder({ bufferSize });
        assert.deepEqual(feedInChunks(bytes, () => sizes[i++ % sizes.length], decoder), messages);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("WireDecoder.writable() and commit() decode socket-style reads in place", () => {
  const pieces: WireMessage[] = [];
  for (let i = 0; i < 300; i++) {
    pieces.push({ type: "piece", index: i, begin: 0, block: counting(16384, i) });
    if (i % 7 === 0) pieces.push({ type: "have", index: i });
  }
  const bytes = encodeAll(pieces);
  const decoder = new WireDecoder({ bufferSize: 40000 });
  const out: WireMessage[] = [];
  let offset = 0;
  let read = 1;
  while (offset < bytes.length) {
    const region = decoder.writable();
    const n = Math.min(region.length, read, bytes.length - offset);
    region.set(bytes.subarray(offset, offset + n));
    decoder.commit(n);
    offset += n;
    read = (read * 7 + 13) % 50000 + 1;
    for (let m = decoder.next(); m !== null; m = decoder.next()) {
      // The block is a view into the decoder's buffer, not a copy.
      if (m.type === "piece") assert.equal(m.block.byteLength < m.block.buffer.byteLength, true);
      out.push(detach(m));
    }
    assert.ok(decoder.capacity <= 40000);
  }
  assert.deepEqual(out, pieces);
});

Deno.test("WireDecoder.commit() refuses counts outside the writable region", () => {
  const decoder = new WireDecoder({ bufferSize: 128 });
  assert.throws(() => decoder.commit(1), RangeError);
  const region = decoder.writable();
  assert.throws(() => decoder.commit(region.length + 1), RangeError);
  assert.throws(() => decoder.commit(-1), RangeError);
  decoder.commit(0);
  assert.throws(() => decoder.commit(0), RangeError);
  decoder.writable();
  decoder.push(Uint8Array.of(0));
  assert.throws(() => decoder.commit(1), RangeError);
});

Deno.test("WireDecoder.writable() refuses to hand out an empty region", () => {
  const decoder = new WireDecoder({ bufferSize: 128 });
  decoder.push(new Uint8Array(128)); // 32 keep-alives, not drained
  assert.throws(() => decoder.writable(), RangeError);
  assert.equal(drain(decoder).length, 32);
  assert.equal(decoder.writable().length, 128);
  decoder.push(new Uint8Array(200)); // 72 bytes queued
  assert.throws(() => decoder.writable(), RangeError);
});

Deno.test("WireDecoder throws packet_too_large on the length prefix alone, allocating nothing", () => {
  for (const length of [0xffff_ffff, 0x8000_0000, 1024 * 1024 + 1]) {
    const decoder = new WireDecoder({ bufferSize: 4096 });
    decoder.push(Uint8Array.of(...u32(length)));
    assert.throws(() => decoder.next(), protocolError("packet_too_large"));
    assert.equal(decoder.capacity, 4096);
    // writable() does not grow for it either.
    assert.equal(decoder.writable().length, 4092);
    assert.equal(decoder.capacity, 4096);
  }
  const custom = new WireDecoder({ maxMessageLength: 16384 + 9 });
  custom.push(Uint8Array.of(...u32(16384 + 10), 7));
  assert.throws(() => custom.next(), protocolError("packet_too_large"));
});

Deno.test("WireDecoder accepts a message of exactly maxMessageLength", () => {
  const decoder = new WireDecoder({ bufferSize: 4096 });
  const bitfield = counting(1024 * 1024 - 1);
  assert.deepEqual(feedInChunks(encodeAll([{ type: "bitfield", bitfield }]), () => 65536, decoder), [
    { type: "bitfield", bitfield },
  ]);
  assert.ok(decoder.capacity <= 2 * 1024 * 1024);
});

Deno.test("WireDecoder keeps its buffer under the cap through a 2 MiB+ stream, then shrinks back", () => {
  const decoder = new WireDecoder({ bufferSize: 8192 });
  // 3 MiB in 1000-byte reads: a 1 MiB bitfield, 1 MiB of pieces, then a 1 MiB message that never ends.
  const messages: WireMessage[] = [{ type: "bitfield", bitfield: counting(1024 * 1024 - 1) }];
  for (let i = 0; i < 64; i++) {
    messages.push({ type: "piece", index: i, begin: 0, block: counting(16384, i) });
  }
  const head = encodeAll(messages);
  const tail = 1024 * 1024 - 100;
  const stream = new Uint8Array(head.length + tail);
  stream.set(head);
  stream.set(Uint8Array.of(...u32(1024 * 1024), 20, 0), head.length);
  let maxCapacity = 0;
  const decoded: WireMessage[] = [];
  for (let offset = 0; offset < stream.length;) {
    const region = decoder.writable();
    const n = Math.min(region.length, 1000, stream.length - offset);
    region.set(stream.subarray(offset, offset + n));
    decoder.commit(n);
    offset += n;
    maxCapacity = Math.max(maxCapacity, decoder.capacity);
    decoded.push(...drain(decoder));
  }
  assert.deepEqual(decoded, messages);
  assert.ok(maxCapacity <= 2 * 1024 * 1024, `capacity reached ${maxCapacity}`);
  assert.ok(maxCapacity >= 1024 * 1024 + 4);
  assert.equal(decoder.buffered, tail);
  // A hostile peer cannot make it grow past the cap with a still bigger prefix.
  const hostile = new WireDecoder({ bufferSize: 8192 });
  hostile.push(Uint8Array.of(...u32(2 * 1024 * 1024), 7));
  assert.throws(() => hostile.next(), protocolError("packet_too_large"));
  assert.equal(hostile.capacity, 8192);
  // After a large message the buffer returns to its resting size.
  const shrinking = new WireDecoder({ bufferSize: 1024 });
  shrinking.push(encodeAll([{ type: "bitfield", bitfield: new Uint8Array(100_000) }, { type: "choke" }]));
  assert.equal(drain(shrinking).length, 2);
  assert.ok(shrinking.capacity >= 100_004);
  assert.equal(shrinking.writable().length, 1024);
  assert.equal(shrinking.capacity, 1024);
});

Deno.test("WireDecoder rejects wrong lengths for fixed-size messages as soon as the id arrives", () => {
  const cases: [number, number[]][] = [
    [0, [2, 5]],
    [1, [2]],
    [2, [5]],
    [3, [13]],
    [4, [1, 4, 6, 9, 0x10_0000]],
    [6, [1, 12, 14, 17]],
    [7, [1, 8]],
    [8, [12, 14]],
    [9, [1, 2, 4, 5]],
    [0x0d, [4, 6]],
    [0x0e, [2, 5]],
    [0x0f, [2]],
    [0x10, [5, 12, 14]],
    [0x11, [1, 6]],
    [20, [1]],
    [21, [48, 50, 81]],
    [22, [48, 49, 50, 49 + 31, 49 + 32, 49 + 33, 49 + 32 * 577, 0x10_0000]],
    [23, [1, 13, 50]],
  ];
  for (const [id, lengths] of cases) {
    for (const length of lengths) {
      const decoder = new WireDecoder();
      decoder.push(Uint8Array.of(...u32(length), id));
      assert.throws(() => decoder.next(), protocolError("invalid_message"), `id ${id} length ${length}`);
    }
  }
});

Deno.test("WireDecoder rejects unknown message ids", () => {
  for (const id of [10, 11, 12, 18, 19, 24, 99, 255]) {
    const decoder = new WireDecoder();
    decoder.push(Uint8Array.of(0, 0, 0, 1, id));
    assert.throws(() => decoder.next(), protocolError("unknown_message"), `id ${id}`);
  }
});

Deno.test("WireDecoder.push() accepts chunks larger than the buffer without outgrowing it", () => {
  const pieces: WireMessage[] = [];
  for (let i = 0; i < 256; i++) {
    pieces.push({ type: "piece", index: i, begin: 16384, block: counting(16384, i) });
  }
  const decoder = new WireDecoder({ bufferSize: 65536 });
  const bytes = encodeAll(pieces);
  decoder.push(bytes);
  assert.equal(decoder.buffered, bytes.length);
  assert.equal(decoder.capacity, 65536);
  // Views from earlier next() calls survive the refills that later next() calls do.
  const out: WireMessage[] = [];
  for (let m = decoder.next(); m !== null; m = decoder.next()) out.push(m);
  assert.deepEqual(out, pieces);
  assert.equal(decoder.capacity, 65536);
  assert.equal(decoder.buffered, 0);
});

Deno.test("WireDecoder.nextHandshake() reads the handshake, then messages follow", () => {
  const handshake = {
    reserved: makeReserved({ extensionProtocol: true, fast: true }),
    infoHash: counting(20, 1),
    peerId: counting(20, 50),
  };
  const w = new MessageWriter();
  w.handshake(handshake);
  w.haveAll();
  w.unchoke();
  const bytes = w.take();
  for (const step of [1, 7, 68, bytes.length]) {
    const decoder = new WireDecoder({ bufferSize: 128 });
    let got = null;
    let offset = 0;
    while (got === null) {
      decoder.push(bytes.subarray(offset, offset + step));
      offset += step;
      got = decoder.nextHandshake();
    }
    assert.deepEqual(got, handshake);
    decoder.push(bytes.subarray(offset));
    assert.deepEqual(drain(decoder), [{ type: "have_all" }, { type: "unchoke" }]);
  }
});

Deno.test("WireDecoder.nextHandshake() refuses a wrong protocol from its first bytes", () => {
  const good = encodeHandshake({
    reserved: new Uint8Array(8),
    infoHash: new Uint8Array(20),
    peerId: new Uint8Array(20),
  });
  const pstrlen = new WireDecoder();
  pstrlen.push(Uint8Array.of(18));
  assert.throws(() => pstrlen.nextHandshake(), protocolError("bad_handshake"));
  const http = new WireDecoder();
  http.push(new TextEncoder().encode("GET / HTTP/1.1\r\n"));
  assert.throws(() => http.nextHandshake(), protocolError("bad_handshake"));
  const pstr = new WireDecoder();
  pstr.push(good.subarray(0, 5));
  assert.equal(pstr.nextHandshake(), null);
  pstr.push(Uint8Array.of(0x21));
  assert.throws(() => pstr.nextHandshake(), protocolError("bad_handshake"));
  // Queued bytes are also checked.
  const queued = new WireDecoder({ bufferSize: 68 });
  queued.push(new Uint8Array(68).fill(19));
  queued.push(good);
  assert.throws(() => queued.nextHandshake(), protocolError("bad_handshake"));
});

Deno.test("WireDecoder throws only PeerProtocolError on random bytes", () => {
  const handshake = encodeHandshake({
    reserved: new Uint8Array(8),
    infoHash: new Uint8Array(20),
    peerId: new Uint8Array(20),
  });
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 1024 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 64 }),
      (bytes, withHandshake, step) => {
        const decoder = new WireDecoder({ bufferSize: 256 });
        try {
          if (withHandshake) {
            decoder.push(handshake);
            assert.notEqual(decoder.nextHandshake(), null);
          }
          for (let offset = 0; offset < bytes.length; offset += step) {
            decoder.push(bytes.subarray(offset, offset + step));
            while (decoder.next() !== null);
          }
          if (!withHandshake) decoder.nextHandshake();
        } catch (e) {
          if (!(e instanceof PeerProtocolError)) throw e;
        }
        assert.ok(decoder.capacity <= 2 * 1024 * 1024);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("WireDecoder decodes random frames or throws PeerProtocolError, never anything else", () => {
  const frame = fc.tuple(
    fc.integer({ min: 0, max: 80 }),
    fc.integer({ min: 0, max: 30 }),
    fc.uint8Array({ maxLength: 80 }),
  );
  fc.assert(
    fc.property(fc.array(frame, { maxLength: 30 }), (frames) => {
      const bytes: number[] = [];
      for (const [length, id, body] of frames) {
        bytes.push(...u32(length));
        if (length > 0) {
          bytes.push(
            id,
            ...body.subarray(0, length - 1),
            ...new Uint8Array(Math.max(0, length - 1 - body.length)),
          );
        }
      }
      const decoder = new WireDecoder({ bufferSize: 128 });
      let count = 0;
      try {
        decoder.push(Uint8Array.from(bytes));
        while (decoder.next() !== null) count++;
        assert.equal(count, frames.length);
        assert.equal(decoder.buffered, 0);
      } catch (e) {
        if (!(e instanceof PeerProtocolError)) throw e;
        assert.ok(count < frames.length);
      }
    }),
    { numRuns: 1000 },
  );
});

Deno.test("WireDecoder throws only PeerProtocolError on mutated valid streams", () => {
  const bytes = encodeAll(everyMessage());
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      (mutations) => {
        const mutated = bytes.slice();
        for (const [at, value] of mutations) mutated[at] = value;
        const decoder = new WireDecoder({ bufferSize: 1024 });
        try {
          decoder.push(mutated);
          while (decoder.next() !== null);
        } catch (e) {
          if (!(e instanceof PeerProtocolError)) throw e;
        }
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("WireDecoder refuses impossible sizes", () => {
  assert.throws(() => new WireDecoder({ bufferSize: 67 }), RangeError);
  assert.throws(() => new WireDecoder({ bufferSize: 0 }), RangeError);
  assert.throws(() => new WireDecoder({ maxMessageLength: -1 }), RangeError);
  assert.throws(() => new WireDecoder({ maxMessageLength: 1.5 }), RangeError);
  assert.throws(
    () => new WireDecoder({ maxMessageLength: 2 * 1024 * 1024, maxBufferSize: 2 * 1024 * 1024 }),
    RangeError,
  );
  assert.throws(() => new WireDecoder({ bufferSize: 4096, maxBufferSize: 2048 }), RangeError);
  assert.equal(new WireDecoder().capacity, 512 * 1024);
});

/** A `hashes` frame with the given fields and `n` hashes. */
function hashesFrame(length: number, proofLayers: number, n: number): Uint8Array {
  const w = new MessageWriter();
  const ref = { piecesRoot: counting(32), baseLayer: 2, index: 0, length, proofLayers };
  w.hashes(ref, counting(32 * n));
  return w.take();
}

Deno.test("WireDecoder decodes BEP 52 hashes up to 512 base hashes plus 64 uncles", () => {
  const cases: [number, number, number][] = [
    [2, 0, 2],
    [2, 1, 3],
    [4, 1, 4],
    [4, 3, 6],
    [512, 8, 512],
    [512, 9, 513],
    [512, 72, 576],
    [2, 64, 66],
  ];
  for (const [length, proofLayers, n] of cases) {
    const decoder = new WireDecoder();
    decoder.push(hashesFrame(length, proofLayers, n));
    const msg = decoder.next();
    assert.ok(msg?.type === "hashes", `length ${length} proof layers ${proofLayers}`);
    assert.equal(msg.length, length);
    assert.equal(msg.proofLayers, proofLayers);
    assert.deepEqual(msg.hashes, counting(32 * n));
    assert.equal(msg.hashes.buffer, msg.piecesRoot.buffer, "hashes is a view into the decoder's buffer");
  }
});

Deno.test("WireDecoder throws invalid_hashes when the hash count does not answer the message's own fields", () => {
  const cases: [number, number, number][] = [
    [2, 0, 3], // one uncle too many
    [2, 1, 2], // one uncle missing
    [4, 0, 2], // fewer base hashes than length
    [3, 0, 3], // length not a power of two
    [1, 0, 2], // length below 2
    [0, 0, 2],
    [1024, 0, 2], // more than we ever request
    [2 ** 31, 0, 2], // HOSTILE_INPUTS 43: huge count, nothing allocated for it
    [2, 0xffff_ffff, 2],
  ];
  for (const [length, proofLayers, n] of cases) {
    const decoder = new WireDecoder();
    decoder.push(hashesFrame(length, proofLayers, n));
    assert.throws(() => decoder.next(), protocolError("invalid_hashes"), `${length} ${proofLayers} ${n}`);
  }
});

Deno.test("WireDecoder reads hash request and hash reject fields as uint32, any value", () => {
  const decoder = new WireDecoder();
  const root = counting(32, 9);
  const ref = { piecesRoot: root, baseLayer: 40, index: 0xffff_ffff, length: 2 ** 31, proofLayers: 7 };
  decoder.push(encodeAll([{ type: "hash_request", ...ref }, { type: "hash_reject", ...ref }]));
  assert.deepEqual(detach(decoder.next()!), { type: "hash_request", ...ref });
  assert.deepEqual(detach(decoder.next()!), { type: "hash_reject", ...ref });
  assert.equal(decoder.next(), null);
});
