import assert from "node:assert/strict";
import fc from "fast-check";
import { PeerProtocolError } from "../errors.ts";
import {
  decodeUtMetadata,
  encodeUtMetadata,
  MAX_METADATA_SIZE,
  MAX_UT_METADATA_MESSAGE,
  METADATA_PIECE_SIZE,
  metadataPieceCount,
  type UtMetadataMessage,
} from "./ut_metadata.ts";

const text = (s: string) => new TextEncoder().encode(s);
const concat = (a: Uint8Array, b: Uint8Array) => Uint8Array.of(...a, ...b);

function isCode(code: string): (e: unknown) => boolean {
  return (e) => e instanceof PeerProtocolError && e.code === code;
}
const isInvalid = isCode("invalid_ut_metadata");

Deno.test("encodeUtMetadata() writes the BEP 9 examples", () => {
  assert.equal(
    new TextDecoder().decode(encodeUtMetadata({ type: "request", piece: 0 })),
    "d8:msg_typei0e5:piecei0ee",
  );
  assert.equal(
    new TextDecoder().decode(encodeUtMetadata({ type: "reject", piece: 7 })),
    "d8:msg_typei2e5:piecei7ee",
  );
  const data = new Uint8Array(3425).fill(0x78);
  assert.deepEqual(
    encodeUtMetadata({ type: "data", piece: 0, totalSize: 3425, data }),
    concat(text("d8:msg_typei1e5:piecei0e10:total_sizei3425ee"), data),
  );
});

Deno.test("encodeUtMetadata() refuses out-of-range values", () => {
  assert.throws(() => encodeUtMetadata({ type: "request", piece: -1 }), RangeError);
  assert.throws(() => encodeUtMetadata({ type: "reject", piece: 1.5 }), RangeError);
  const piece = new Uint8Array(METADATA_PIECE_SIZE);
  assert.throws(() => encodeUtMetadata({ type: "data", piece: 0, totalSize: 0, data: piece }), RangeError);
  assert.throws(
    () => encodeUtMetadata({ type: "data", piece: 0, totalSize: MAX_METADATA_SIZE + 1, data: piece }),
    RangeError,
  );
  assert.throws(
    () => encodeUtMetadata({ type: "data", piece: 0, totalSize: 20_000, data: piece.subarray(1) }),
    RangeError,
  );
  assert.throws(
    () => encodeUtMetadata({ type: "data", piece: 2, totalSize: 20_000, data: piece }),
    RangeError,
  );
});

Deno.test("decodeUtMetadata() reads back what encodeUtMetadata() wrote", () => {
  const message = fc.integer({ min: 1, max: 200_000 }).chain((totalSize) =>
    fc.integer({ min: 0, max: metadataPieceCount(totalSize) - 1 }).map((piece): UtMetadataMessage => {
      const length = Math.min(METADATA_PIECE_SIZE, totalSize - piece * METADATA_PIECE_SIZE);
      return { type: "data", piece, totalSize, data: new Uint8Array(length).fill(piece & 0xff) };
    })
  );
  const control = fc.tuple(fc.constantFrom("request" as const, "reject" as const), fc.nat())
    .map(([type, piece]): UtMetadataMessage => ({ type, piece }));
  fc.assert(fc.property(fc.oneof(message, control), (msg) => {
    assert.deepEqual(decodeUtMetadata(encodeUtMetadata(msg)), msg);
  }));
});

Deno.test("decodeUtMetadata() accepts extra dictionary keys and reads the last, short piece", () => {
  const payload = concat(text("d8:msg_typei1e5:piecei2e10:total_sizei32769e1:xi9ee"), Uint8Array.of(42));
  const msg = decodeUtMetadata(payload);
  assert.equal(msg.type, "data");
  assert.deepEqual(msg, { type: "data", piece: 2, totalSize: 32769, data: Uint8Array.of(42) });
});

Deno.test("decodeUtMetadata() reports an unknown msg_type with its own code, to be ignored (BEP 9)", () => {
  assert.throws(() => decodeUtMetadata(text("d8:msg_typei3e5:piecei0ee")), isCode("unknown_ut_metadata"));
  assert.throws(() => decodeUtMetadata(text("d8:msg_typei-1e5:piecei0ee")), isCode("unknown_ut_metadata"));
});

Deno.test("decodeUtMetadata() drops hostile and malformed messages (HOSTILE_INPUTS.md 47)", () => {
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array()],
    ["not bencode", text("hello")],
    ["cut short", text("d8:msg_typei0e5:piecei0e")],
    ["not a dictionary", text("li0ei0ee")],
    ["a list piece", text("d8:msg_typei0e5:pieceli0eee")],
    ["no piece", text("d8:msg_typei0ee")],
    ["negative piece", text("d8:msg_typei0e5:piecei-1ee")],
    ["string msg_type", text("d8:msg_type1:05:piecei0ee")],
    ["no msg_type", text("d5:piecei0ee")],
    ["trailing bytes after a request", text("d8:msg_typei0e5:piecei0eexx")],
    ["trailing bytes after a reject", text("d8:msg_typei2e5:piecei0eex")],
    ["data without total_size", concat(text("d8:msg_typei1e5:piecei0ee"), new Uint8Array(10))],
    ["total_size 0", text("d8:msg_typei1e5:piecei0e10:total_sizei0ee")],
    ["total_size -1", concat(text("d8:msg_typei1e5:piecei0e10:total_sizei-1ee"), new Uint8Array(1))],
    [
      "total_size 2^40",
      concat(text("d8:msg_typei1e5:piecei0e10:total_sizei1099511627776ee"), new Uint8Array(16384)),
    ],
    [
      "total_size 30 MiB + 1",
      concat(text("d8:msg_typei1e5:piecei0e10:total_sizei31457281ee"), new Uint8Array(16384)),
    ],
    [
      "piece out of range",
      concat(text("d8:msg_typei1e5:piecei2e10:total_sizei20000ee"), new Uint8Array(100)),
    ],
    [
      "short non-last piece",
      concat(text("d8:msg_typei1e5:piecei0e10:total_sizei20000ee"), new Uint8Array(16383)),
    ],
    ["long last piece", concat(text("d8:msg_typei1e5:piecei1e10:total_sizei20000ee"), new Uint8Array(3617))],
    ["empty data", text("d8:msg_typei1e5:piecei0e10:total_sizei20000ee")],
    ["a 2^31-byte string prefix", text("d8:msg_typei0e5:piece2147483648:")],
    ["deep nesting", text("d8:msg_typei0e5:piecei0e1:x" + "l".repeat(200) + "e".repeat(200) + "e")],
    ["over 17 KiB", concat(text("d8:msg_typei1e5:piecei0e10:total_sizei99999ee"), new Uint8Array(17 * 1024))],
  ];
  for (const [name, payload] of cases) {
    assert.throws(() => decodeUtMetadata(payload), isInvalid, name);
  }
  assert.equal(MAX_UT_METADATA_MESSAGE, 17 * 1024);
});

Deno.test("metadataPieceCount() rounds up to whole 16 KiB pieces", () => {
  assert.equal(metadataPieceCount(1), 1);
  assert.equal(metadataPieceCount(16384), 1);
  assert.equal(metadataPieceCount(16385), 2);
  assert.equal(metadataPieceCount(MAX_METADATA_SIZE), 1920);
});
