import assert from "node:assert/strict";
import fc from "fast-check";
import { PeerProtocolError } from "../errors.ts";
import {
  decodeExtensionHandshake,
  encodeExtensionHandshake,
  type ExtensionHandshake,
} from "./extension_handshake.ts";

const text = (s: string) => new TextEncoder().encode(s);

function isInvalid(e: unknown): boolean {
  return e instanceof PeerProtocolError && e.code === "invalid_extension_handshake";
}

Deno.test("encodeExtensionHandshake() writes sorted bencode that decodeExtensionHandshake() reads back", () => {
  const h: ExtensionHandshake = {
    m: new Map([["ut_pex", 2], ["ut_metadata", 1], ["lt_donthave", 0]]),
    v: "ccbt 0.1.0 µ",
    p: 6881,
    reqq: 500,
    yourip: Uint8Array.of(127, 0, 0, 1),
    ipv6: new Uint8Array(16).fill(1),
    metadataSize: 31_235,
    uploadOnly: true,
  };
  const bytes = encodeExtensionHandshake(h);
  assert.deepEqual(
    bytes,
    Uint8Array.of(
      ...text("d4:ipv616:"),
      ...new Uint8Array(16).fill(1),
      ...text("1:md11:lt_donthavei0e11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei31235e1:pi6881e"),
      ...text("4:reqqi500e11:upload_onlyi1e1:v13:ccbt 0.1.0 µ6:yourip4:"),
      ...[127, 0, 0, 1],
      ...text("e"),
    ),
  );
  assert.deepEqual(decodeExtensionHandshake(bytes), h);
  assert.equal(new TextDecoder().decode(encodeExtensionHandshake({ m: new Map() })), "d1:mdee");
});

Deno.test("decodeExtensionHandshake() reads the BEP 10 example and ignores unknown keys", () => {
  // The BEP's example says "6:µT_PEX", counting µ as one byte; in UTF-8 it is two, so the key has 7 bytes.
  const bytes = text("d1:md11:LT_metadatai1e7:µT_PEXi2ee1:pi6881e1:v13:µTorrent 1.21:xd1:ai1eee");
  const h = decodeExtensionHandshake(bytes);
  assert.equal(h.m.get("LT_metadata"), 1);
  assert.equal(h.m.get("\xc2\xb5T_PEX"), 2);
  assert.equal(h.m.size, 2);
  assert.equal(h.p, 6881);
  assert.equal(h.v, "µTorrent 1.2");
});

Deno.test("decodeExtensionHandshake() refuses what is not a dictionary", () => {
  for (const s of ["i42e", "le", "4:spam", "", "d", "d1:mdee trailing", "d1:m"]) {
    assert.throws(() => decodeExtensionHandshake(text(s)), isInvalid, s);
  }
});

Deno.test("decodeExtensionHandshake() refuses 200 levels of nesting without recursing", () => {
  const deep = "d1:m" + "l".repeat(200) + "e".repeat(200) + "e";
  assert.throws(() => decodeExtensionHandshake(text(deep)), isInvalid);
  assert.throws(() => decodeExtensionHandshake(text("l".repeat(100_000))), isInvalid);
  // 10 levels are fine.
  const ok = "d1:xd1:xd1:xd1:xd1:xd1:xd1:xd1:xd1:xi1eeeeeeeeee";
  assert.deepEqual(decodeExtensionHandshake(text(ok)), { m: new Map() });
});

Deno.test("decodeExtensionHandshake() refuses a huge string length prefix before allocating", () => {
  for (const prefix of ["2147483648", "99999999999999999999", "-1", "05"]) {
    assert.throws(() => decodeExtensionHandshake(text(`d1:v${prefix}:abce`)), isInvalid, prefix);
  }
});

Deno.test("decodeExtensionHandshake() drops m entries that are not ids 0..255", () => {
  const h = decodeExtensionHandshake(
    text("d1:md1:ai0e1:bi300e1:ci-1e1:d3:abc1:eli1ee1:fi255e11:ut_metadatai0eee"),
  );
  assert.deepEqual(h.m, new Map([["a", 0], ["f", 255], ["ut_metadata", 0]]));
  assert.equal(h.m.get("ut_metadata"), 0);
  for (const m of ["i300e", "3:abc", "i0e", "le"]) {
    assert.deepEqual(
      decodeExtensionHandshake(text(`d1:md11:ut_metadata${m}ee`)).m.get("ut_metadata") ?? 0,
      0,
    );
  }
  assert.deepEqual(decodeExtensionHandshake(text("d1:mi5ee")), { m: new Map() });
});

Deno.test("decodeExtensionHandshake() drops out-of-range metadata_size, p, reqq and addresses", () => {
  for (const size of ["0", "-1", "1099511627776", "31457281"]) {
    assert.equal(decodeExtensionHandshake(text(`d13:metadata_sizei${size}ee`)).metadataSize, undefined, size);
  }
  assert.equal(decodeExtensionHandshake(text("d13:metadata_sizei31457280ee")).metadataSize, 31_457_280);
  assert.equal(decodeExtensionHandshake(text("d13:metadata_size3:123e")).metadataSize, undefined);
  assert.equal(decodeExtensionHandshake(text("d1:pi0ee")).p, undefined);
  assert.equal(decodeExtensionHandshake(text("d1:pi65536ee")).p, undefined);
  assert.equal(decodeExtensionHandshake(text("d4:reqqi0ee")).reqq, undefined);
  assert.equal(decodeExtensionHandshake(text("d6:yourip5:abcdee")).yourip, undefined);
  assert.equal(decodeExtensionHandshake(text("d4:ipv416:abcdabcdabcdabcde")).ipv4, undefined);
  assert.equal(decodeExtensionHandshake(text(`d1:v257:${"x".repeat(257)}e`)).v, undefined);
  assert.deepEqual(
    decodeExtensionHandshake(text("d6:yourip4:\x7f\x00\x00\x01e")).yourip,
    Uint8Array.of(127, 0, 0, 1),
  );
});

Deno.test("decodeExtensionHandshake() copies byte fields out of the payload", () => {
  const payload = text("d6:yourip4:abcde");
  const h = decodeExtensionHandshake(payload);
  payload.fill(0);
  assert.deepEqual(h.yourip, text("abcd"));
});

Deno.test("decodeExtensionHandshake() throws only PeerProtocolError on random bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => {
      try {
        decodeExtensionHandshake(bytes);
      } catch (e) {
        if (!(e instanceof PeerProtocolError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("encodeExtensionHandshake() refuses ids outside 0..255", () => {
  assert.throws(() => encodeExtensionHandshake({ m: new Map([["ut_pex", 256]]) }), RangeError);
  assert.throws(() => encodeExtensionHandshake({ m: new Map([["ut_pex", -1]]) }), RangeError);
  assert.throws(() => encodeExtensionHandshake({ m: new Map([["ut_pex", 1.5]]) }), RangeError);
});
