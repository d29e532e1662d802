import assert from "node:assert/strict";
import fc from "fast-check";
import { BencodeError } from "../errors.ts";
import { decode } from "./decode.ts";
import { encode } from "./encode.ts";
import { ascii, bencodeValue } from "./_test_util.ts";

function rejects(input: string | Uint8Array, offset?: number, pattern?: RegExp): void {
  const bytes = typeof input === "string" ? ascii(input) : input;
  assert.throws(() => decode(bytes), (error) => {
    assert.ok(error instanceof BencodeError, `expected BencodeError, got ${error}`);
    if (offset !== undefined) assert.equal(error.offset, offset, error.message);
    if (pattern !== undefined) assert.match(error.message, pattern);
    assert.match(error.message, /^Cannot decode bencode at offset \d+: [^.]+[^.]$/);
    return true;
  });
}

Deno.test("decode() reads every BEP 3 type", () => {
  assert.equal(decode(ascii("i3e")), 3);
  assert.equal(decode(ascii("i-3e")), -3);
  assert.equal(decode(ascii("i0e")), 0);
  assert.deepEqual(decode(ascii("4:spam")), ascii("spam"));
  assert.deepEqual(decode(ascii("0:")), new Uint8Array());
  assert.deepEqual(decode(ascii("l4:spam4:eggse")), [ascii("spam"), ascii("eggs")]);
  assert.deepEqual(decode(ascii("le")), []);
  assert.deepEqual(
    decode(ascii("d3:cow3:moo4:spam4:eggse")),
    new Map([["cow", ascii("moo")], ["spam", ascii("eggs")]]),
  );
  assert.deepEqual(decode(ascii("d4:spaml1:a1:bee")), new Map([["spam", [ascii("a"), ascii("b")]]]));
  assert.deepEqual(decode(ascii("de")), new Map());
});

Deno.test("decode() keeps integers exact up to MAX_SAFE_INTEGER", () => {
  assert.equal(decode(ascii(`i${Number.MAX_SAFE_INTEGER}e`)), Number.MAX_SAFE_INTEGER);
  assert.equal(decode(ascii(`i-${Number.MAX_SAFE_INTEGER}e`)), -Number.MAX_SAFE_INTEGER);
  rejects(`i${Number.MAX_SAFE_INTEGER + 1}e`, 0, /safe range/);
  rejects("i9007199254740993e", 0, /safe range/);
  rejects("i-9007199254740992e", 0, /safe range/);
});

Deno.test("decode() rejects malformed integers (HOSTILE_INPUTS 4)", () => {
  rejects("i-0e", 0, /negative zero/);
  rejects("i03e", 0, /leading zero/);
  rejects("i-03e", 0, /leading zero/);
  rejects("i00e", 0, /leading zero/);
  rejects("ie", 0, /no digits/);
  rejects("i-e", 0, /no digits/);
  rejects("i1.5e", 2, /0x2e/);
  rejects("i+1e", 1, /0x2b/);
  rejects("i9223372036854775808e", 0, /safe range/);
  rejects("i99999999999999999999999999999999999999e", 0, /safe range/);
  rejects("i12", 3, /end of input/);
});

Deno.test("decode() rejects bad string length prefixes before reading them (HOSTILE_INPUTS 3)", () => {
  rejects("99999999999999999999:", 0, /exceeds the input/);
  rejects("99999999999999999999999999999999999999999999999999:abc", 0, /exceeds the input/);
  rejects("-1:", 0, /0x2d/);
  rejects("05:hello", 0, /leading zero/);
  rejects("00:", 0, /leading zero/);
  rejects("5:abcd", 0, /exceeds the input/);
  rejects("l5:abcd", 1, /exceeds the input/);
  rejects("l5:abcde", 8, /end of input/);
  rejects("4", 0, /exceeds the input/);
  rejects("0", 0, /exceeds the input/);
  rejects("0x", 1, /0x78/);
  rejects("1x:a", 1, /0x78/);
});

Deno.test("decode() caps nesting without recursion (HOSTILE_INPUTS 1)", () => {
  rejects("l".repeat(10_000), 100, /nesting deeper than 100/);
  rejects("d".repeat(10_000), 1, /key must be a byte string/);
  rejects("d1:a".repeat(10_000), 400, /nesting deeper than 100/);
  const ok = "l".repeat(100) + "e".repeat(100);
  assert.ok(Array.isArray(decode(ascii(ok))));
  rejects("l".repeat(101) + "e".repeat(101), 100, /nesting/);
  assert.throws(() => decode(ascii("l".repeat(1_000_000)), { maxDepth: 2_000_000 }), BencodeError);
  rejects("lll", 3, /end of input/);
  assert.throws(() => decode(ascii("llee"), { maxDepth: 1 }), /nesting deeper than 1/);
});

Deno.test("decode() caps the token count (HOSTILE_INPUTS 2)", () => {
  const big = ascii("l" + "i0e".repeat(3_000_000) + "e");
  rejects(big, 1 + 3 * 2_999_999, /more than 3000000 items/);
  assert.throws(() => decode(ascii("li0ei0ee"), { maxItems: 2 }), /more than 2 items/);
  assert.deepEqual(decode(ascii("li0ei0ee"), { maxItems: 3 }), [0, 0]);
  assert.throws(() => decode(ascii("d1:ai0ee"), { maxItems: 2 }), /more than 2 items/);
});

Deno.test("decode() rejects unsorted, duplicate and non-string keys (HOSTILE_INPUTS 6)", () => {
  rejects("d1:bi1e1:ai2ee", 7, /not sorted/);
  rejects("d1:ai1e1:ai2ee", 7, /duplicate/);
  rejects("d2:aai1e1:ai2ee", 8, /not sorted/);
  assert.deepEqual(decode(ascii("d1:ai1e2:aai2ee")), new Map([["a", 1], ["aa", 2]]));
  rejects("di1ei2ee", 1, /key must be a byte string/);
  rejects("dl1:ae1:be", 1, /key must be a byte string/);
  rejects("d1:ae", 4, /key has no value/);
  // Raw-byte order, not UTF-16 or locale order: 0x7f < 0x80 < 0xff.
  assert.ok(
    decode(
      new Uint8Array([0x64, 0x31, 0x3a, 0x7f, 0x69, 0x30, 0x65, 0x31, 0x3a, 0x80, 0x69, 0x30, 0x65, 0x65]),
    ),
  );
  rejects(
    new Uint8Array([0x64, 0x31, 0x3a, 0xff, 0x69, 0x30, 0x65, 0x31, 0x3a, 0x80, 0x69, 0x30, 0x65, 0x65]),
    7,
  );
});

Deno.test("decode() rejects bad tops and trailing bytes unless allowed (HOSTILE_INPUTS 7)", () => {
  rejects("", 0, /end of input/);
  rejects("e", 0, /0x65/);
  rejects("x", 0, /0x78/);
  rejects("i1ei2e", 3, /3 trailing bytes/);
  rejects("de\n", 2, /1 trailing bytes/);
  assert.equal(decode(ascii("i1ei2e"), { allowTrailing: true }), 1);
});

Deno.test("decode() gives latin1 keys and views unless copy is set", () => {
  const bytes = new Uint8Array([...ascii("d2:"), 0xc3, 0xa9, ...ascii("3:abce")]);
  const dict = decode(bytes) as Map<string, Uint8Array>;
  assert.deepEqual([...dict.keys()], ["\xc3\xa9"]);
  const view = dict.get("\xc3\xa9")!;
  assert.equal(view.buffer, bytes.buffer);
  const copied = (decode(bytes, { copy: true }) as Map<string, Uint8Array>).get("\xc3\xa9")!;
  assert.notEqual(copied.buffer, bytes.buffer);
  bytes[bytes.length - 2] = 0x7a;
  assert.deepEqual(view, ascii("abz"));
  assert.deepEqual(copied, ascii("abc"));
  const longKey = "k".repeat(20_000);
  assert.deepEqual([...(decode(encode(new Map([[longKey, 1]]))) as Map<string, number>).keys()], [longKey]);
});

Deno.test("decode() checks its options", () => {
  assert.throws(() => decode(ascii("i1e"), { maxDepth: 0 }), RangeError);
  assert.throws(() => decode(ascii("i1e"), { maxItems: 1.5 }), RangeError);
});

Deno.test("decode() round-trips encode() for any value", () => {
  fc.assert(
    fc.property(bencodeValue, (value) => {
      const bytes = encode(value);
      assert.deepEqual(decode(bytes), value);
      assert.deepEqual(encode(decode(bytes)), bytes);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("decode() throws only BencodeError on random input (HOSTILE_INPUTS 13)", () => {
  const check = (bytes: Uint8Array) => {
    try {
      decode(bytes);
    } catch (error) {
      if (!(error instanceof BencodeError)) throw error;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1024 }), check), { numRuns: 20_000 });
  // Bytes drawn from the bencode alphabet reach far deeper into the parser than uniform noise.
  const alphabet = fc.constantFrom(...ascii("ilde0123456789:-"));
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 1024 }), (codes) => check(new Uint8Array(codes))),
    { numRuns: 20_000 },
  );
  // Valid values with one byte changed, cut or extended.
  fc.assert(
    fc.property(bencodeValue, fc.nat(), fc.integer({ min: 0, max: 255 }), (value, at, byte) => {
      const bytes = encode(value);
      const mutated = bytes.slice();
      mutated[at % mutated.length] = byte;
      check(mutated);
      check(bytes.subarray(0, at % bytes.length));
    }),
    { numRuns: 5_000 },
  );
});

Deno.test("decode() throws a BencodeError for a torrent cut at every offset (HOSTILE_INPUTS 5)", () => {
  const torrent = encode({
    announce: "http://127.0.0.1:6969/announce",
    "announce-list": [["http://127.0.0.1:6969/announce"], ["udp://127.0.0.1:6969"]],
    "creation date": 1_700_000_000,
    info: {
      files: [{ length: 5, path: ["a", "b.txt"] }, { length: 70_000, path: ["c.bin"] }],
      name: "dir",
      "piece length": 16_384,
      pieces: new Uint8Array(20 * 5).fill(7),
      private: 1,
    },
  });
  assert.ok(decode(torrent) instanceof Map);
  for (let end = 0; end < torrent.length; end++) {
    assert.throws(() => decode(torrent.subarray(0, end)), BencodeError, `cut at ${end}`);
  }
});
