import assert from "node:assert/strict";
import fc from "fast-check";
import { checkAnnounceRequest, httpAnnounceUrl, percentEncodeBytes } from "./_request.ts";
import type { AnnounceRequest } from "./types.ts";

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));
}

function request(overrides: Partial<AnnounceRequest> = {}): AnnounceRequest {
  return {
    // Unreserved bytes ("A~-._z09") stay as they are; everything else, "%" and "/" included, is escaped.
    infoHash: fromHex("0020417e2d2e5fff25263d2b2f3f237a3039800a"),
    peerId: new TextEncoder().encode("-CC0100-abcdefghij%k"),
    port: 6881,
    uploaded: 1,
    downloaded: 2,
    left: 3,
    ...overrides,
  };
}

Deno.test("percentEncodeBytes() escapes every byte outside the unreserved set", () => {
  assert.equal(percentEncodeBytes(new Uint8Array([0x00, 0x41, 0x20, 0x7e, 0xff, 0x2e])), "%00A%20~%FF.");
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
    const encoded = percentEncodeBytes(bytes);
    assert.match(encoded, /^(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})*$/);
    const decoded = encoded.replace(/%([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    assert.deepEqual(Uint8Array.from(decoded, (c) => c.charCodeAt(0)), bytes);
  }));
});

Deno.test("httpAnnounceUrl() builds the exact BEP 3 query", () => {
  assert.equal(
    httpAnnounceUrl("http://t.example/announce", request()),
    "http://t.example/announce?info_hash=%00%20A~-._%FF%25%26%3D%2B%2F%3F%23z09%80%0A" +
      "&peer_id=-CC0100-abcdefghij%25k&port=6881&uploaded=1&downloaded=2&left=3&compact=1",
  );
  assert.equal(
    httpAnnounceUrl(
      "https://t.example/a?passkey=x#frag",
      request({ event: "started", numwant: 50, key: 0xbeef, trackerId: "id\u00ff" }),
    ),
    "https://t.example/a?passkey=x&info_hash=%00%20A~-._%FF%25%26%3D%2B%2F%3F%23z09%80%0A" +
      "&peer_id=-CC0100-abcdefghij%25k&port=6881&uploaded=1&downloaded=2&left=3&compact=1" +
      "&event=started&numwant=50&key=0000BEEF&trackerid=id%FF",
  );
  assert.match(httpAnnounceUrl("http://t.example/a?", request()), /\/a\?info_hash=/);
  assert.match(httpAnnounceUrl("http://t.example/a?x=1&", request()), /\/a\?x=1&info_hash=/);
});

Deno.test("checkAnnounceRequest() rejects wrong shapes and out-of-range numbers", () => {
  checkAnnounceRequest(request({ left: Number.MAX_SAFE_INTEGER, key: 0xffffffff, numwant: 0, port: 0 }));
  assert.throws(() => checkAnnounceRequest(request({ infoHash: new Uint8Array(19) })), TypeError);
  assert.throws(() => checkAnnounceRequest(request({ peerId: new Uint8Array(21) })), TypeError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => checkAnnounceRequest(request({ event: "paused" as any })), TypeError);
  assert.throws(() => checkAnnounceRequest(request({ port: 65536 })), RangeError);
  assert.throws(() => checkAnnounceRequest(request({ uploaded: -1 })), RangeError);
  assert.throws(() => checkAnnounceRequest(request({ downloaded: 1.5 })), RangeError);
  assert.throws(() => checkAnnounceRequest(request({ left: 2 ** 53 })), RangeError);
  assert.throws(() => checkAnnounceRequest(request({ key: 2 ** 32 })), RangeError);
  assert.throws(() => checkAnnounceRequest(request({ numwant: -1 })), RangeError);
});
