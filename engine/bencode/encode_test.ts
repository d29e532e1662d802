import assert from "node:assert/strict";
import fc from "fast-check";
import { decode } from "./decode.ts";
import { encode } from "./encode.ts";
import { ascii, bencodeValue } from "./_test_util.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("encode() writes every BEP 3 type", () => {
  assert.equal(text(encode(3)), "i3e");
  assert.equal(text(encode(-3)), "i-3e");
  assert.equal(text(encode(0)), "i0e");
  assert.equal(text(encode(-0)), "i0e");
  assert.equal(text(encode(12345678901234567890n)), "i12345678901234567890e");
  assert.equal(text(encode("spam")), "4:spam");
  assert.equal(text(encode(ascii("eggs"))), "4:eggs");
  assert.equal(text(encode(["spam", 1, []])), "l4:spami1elee");
  assert.equal(text(encode({})), "de");
  assert.equal(text(encode(new Map())), "de");
});

Deno.test("encode() writes strings as UTF-8 with their byte length", () => {
  assert.deepEqual(encode("é"), new Uint8Array([0x32, 0x3a, 0xc3, 0xa9]));
  assert.deepEqual(encode("😀"), new Uint8Array([0x34, 0x3a, 0xf0, 0x9f, 0x98, 0x80]));
  assert.deepEqual(encode("\ud800"), new Uint8Array([0x33, 0x3a, 0xef, 0xbf, 0xbd]));
  assert.deepEqual(encode("a\udc00b"), new Uint8Array([0x35, 0x3a, 0x61, 0xef, 0xbf, 0xbd, 0x62]));
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      const bytes = new TextEncoder().encode(s);
      assert.deepEqual(decode(encode(s)), bytes);
    }),
  );
});

Deno.test("encode() sorts keys by raw bytes and skips undefined values", () => {
  assert.equal(
    text(encode({ b: 1, a: 2, "piece length": 3, pieces: "" })),
    "d1:ai2e1:bi1e12:piece lengthi3e6:pieces0:e",
  );
  assert.equal(text(encode(new Map([["z", 1], ["Z", 2]]))), "d1:Zi2e1:zi1ee");
  assert.deepEqual(
    encode(new Map([["\xff", 1], ["\x80", 2]])),
    new Uint8Array([0x64, 0x31, 0x3a, 0x80, 0x69, 0x32, 0x65, 0x31, 0x3a, 0xff, 0x69, 0x31, 0x65, 0x65]),
  );
  assert.equal(text(encode({ a: undefined, b: 1 })), "d1:bi1ee");
  assert.equal(text(encode(Object.assign(Object.create(null), { k: "v" }))), "d1:k1:ve");
});

Deno.test("encode() rejects what bencode cannot hold", () => {
  assert.throws(() => encode(1.5), RangeError);
  assert.throws(() => encode(Number.NaN), RangeError);
  assert.throws(() => encode(2 ** 53), RangeError);
  assert.throws(() => encode(true as never), TypeError);
  assert.throws(() => encode(null as never), TypeError);
  assert.throws(() => encode([undefined] as never), TypeError);
  assert.throws(() => encode(new Date() as never), /type Date/);
  assert.throws(() => encode({ "€": 1 }), /textKey/);
  const cyclic: unknown[] = [];
  cyclic.push(cyclic);
  assert.throws(() => encode(cyclic as never), RangeError);
});

Deno.test("encode() handles large values and stays usable after them", () => {
  const big = new Uint8Array(3 << 20).fill(9);
  const bytes = encode({ data: big, n: 1 });
  assert.equal(bytes.length, "d4:data3145728:".length + big.length + "1:ni1ee".length);
  assert.deepEqual((decode(bytes) as Map<string, Uint8Array>).get("data"), big);
  assert.equal(text(encode({ a: 1 })), "d1:ai1ee");
});

Deno.test("encode() output is a fresh copy for each call", () => {
  const a = encode("aaaa");
  const b = encode("bbbb");
  assert.equal(text(a), "4:aaaa");
  assert.equal(text(b), "4:bbbb");
});

Deno.test("encode() is reentrant through getters", () => {
  const value = {
    get inner() {
      return encode({ x: 1 });
    },
  };
  assert.equal(text(encode(value as never)), "d5:inner8:d1:xi1eee");
});

Deno.test("encode() is the inverse of decode()", () => {
  fc.assert(fc.property(bencodeValue, (value) => assert.deepEqual(decode(encode(value)), value)), {
    numRuns: 2000,
  });
});
