import assert from "node:assert/strict";
import fc from "fast-check";
import { LSD_MAX_INFO_HASHES_PER_ANNOUNCE } from "./lsd.ts";
import {
  encodeLsdAnnounce,
  LSD_GROUP,
  LSD_GROUP6,
  LSD_PORT,
  lsdHostHeader,
  MAX_LSD_MESSAGE,
  parseLsdAnnounce,
} from "./lsd_announce.ts";

const H1 = "0123456789abcdef0123456789abcdef01234567";
const H2 = "89abcdef0123456789abcdef0123456789abcdef";
const text = (s: string) => new TextEncoder().encode(s);
const parse = (s: string) => parseLsdAnnounce(text(s));

function hashes(n: number): string[] {
  return Array.from({ length: n }, (_, i) => i.toString(16).padStart(40, "f"));
}

Deno.test("encodeLsdAnnounce() writes the BEP 14 format", () => {
  const bytes = encodeLsdAnnounce({ port: 6881, infoHashes: [H1, H2.toUpperCase()], cookie: "abc" });
  assert.equal(
    new TextDecoder().decode(bytes),
    "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n" +
      `Infohash: ${H1}\r\nInfohash: ${H2}\r\ncookie: abc\r\n\r\n\r\n`,
  );
  assert.deepEqual(parseLsdAnnounce(bytes), { port: 6881, infoHashes: [H1, H2], cookie: "abc" });
  const plain = encodeLsdAnnounce({ port: 1, infoHashes: [H1], host: "239.192.152.143:7000" });
  assert.match(
    new TextDecoder().decode(plain),
    /^BT-SEARCH \* HTTP\/1\.1\r\nHost: 239\.192\.152\.143:7000\r\n/,
  );
  assert.deepEqual(parseLsdAnnounce(plain), { port: 1, infoHashes: [H1] });
});

Deno.test("encodeLsdAnnounce() fits 20 info-hashes and a 64-character cookie in 1400 bytes", () => {
  const cookie = "x".repeat(64);
  const bytes = encodeLsdAnnounce({
    port: 65535,
    infoHashes: hashes(LSD_MAX_INFO_HASHES_PER_ANNOUNCE),
    cookie,
  });
  assert.ok(bytes.length <= MAX_LSD_MESSAGE);
  assert.equal(parseLsdAnnounce(bytes)?.infoHashes.length, LSD_MAX_INFO_HASHES_PER_ANNOUNCE);
  assert.throws(() => encodeLsdAnnounce({ port: 1, infoHashes: hashes(30), cookie }), RangeError);
});

Deno.test("encodeLsdAnnounce() rejects bad ports, info-hashes, cookies and hosts", () => {
  assert.throws(() => encodeLsdAnnounce({ port: 0, infoHashes: [H1] }), RangeError);
  assert.throws(() => encodeLsdAnnounce({ port: 65536, infoHashes: [H1] }), RangeError);
  assert.throws(() => encodeLsdAnnounce({ port: 1, infoHashes: [] }), RangeError);
  assert.throws(() => encodeLsdAnnounce({ port: 1, infoHashes: [H1.slice(1)] }), TypeError);
  assert.throws(() => encodeLsdAnnounce({ port: 1, infoHashes: [`${H1.slice(1)}g`] }), TypeError);
  assert.throws(() => encodeLsdAnnounce({ port: 1, infoHashes: [H1], cookie: "a\r\nPort: 2" }), TypeError);
  assert.throws(() => encodeLsdAnnounce({ port: 1, infoHashes: [H1], cookie: "" }), TypeError);
  assert.throws(() => encodeLsdAnnounce({ port: 1, infoHashes: [H1], host: "a b" }), TypeError);
});

Deno.test("parseLsdAnnounce() accepts LF lines, any header case, unknown headers, and drops bad info-hashes", () => {
  const msg = `BT-SEARCH * HTTP/1.1\nhost: x\nPORT:  51413 \nX-Other: y\nINFOHASH: ${H1.toUpperCase()}\n` +
    `Infohash: nothex\nInfohash: ${H1}\nInfohash: ${H2}\n\n`;
  assert.deepEqual(parse(msg), { port: 51413, infoHashes: [H1, H2] });
});

Deno.test("parseLsdAnnounce() returns null for anything that is not a good announce", () => {
  const good = `BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\nInfohash: ${H1}\r\n\r\n`;
  assert.ok(parse(good));
  const bad = [
    "",
    good.replace("BT-SEARCH", "M-SEARCH"),
    good.replace("HTTP/1.1", "HTTP/1.0"),
    ` ${good}`,
    good.slice(0, -2),
    good.replace("Port: 6881", "Port: 0"),
    good.replace("Port: 6881", "Port: 65536"),
    good.replace("Port: 6881", "Port: 99999999999999999999"),
    good.replace("Port: 6881", "Port: -1"),
    good.replace("Port: 6881", "Port: 0x10"),
    good.replace("Port: 6881", "Port: 6881\r\nPort: 6882"),
    good.replace("Port: 6881\r\n", ""),
    good.replace(H1, H1.slice(2)),
    good.replace(H1, `${H1}00`),
    good.replace("Port: 6881", "Garbage line"),
    good.replace("\r\n\r\n", `\r\n${"X-Pad: y\r\n".repeat(200)}\r\n`),
  ];
  for (const msg of bad) assert.equal(parse(msg), null, JSON.stringify(msg.slice(0, 80)));
  const tooBig = new Uint8Array(MAX_LSD_MESSAGE + 1).fill(0x20);
  tooBig.set(text(good));
  assert.equal(parseLsdAnnounce(tooBig), null);
});

Deno.test("parseLsdAnnounce() ignores our own cookie", () => {
  const bytes = encodeLsdAnnounce({ port: 6881, infoHashes: [H1], cookie: "ours" });
  assert.equal(parseLsdAnnounce(bytes, { ownCookie: "ours" }), null);
  assert.deepEqual(parseLsdAnnounce(bytes, { ownCookie: "theirs" })?.cookie, "ours");
});

Deno.test("parseLsdAnnounce() never throws on arbitrary bytes", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
    const result = parseLsdAnnounce(bytes);
    assert.ok(result === null || result.infoHashes.length > 0);
  }));
  fc.assert(fc.property(fc.string(), (s) => {
    parse(`BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n${s}\r\nInfohash: ${H1}\r\n\r\n`);
  }));
});

Deno.test("lsdHostHeader() writes an IPv6 group in brackets (BEP 14 group B, RFC 2732)", () => {
  assert.equal(lsdHostHeader(LSD_GROUP6, LSD_PORT), "[ff15::efc0:988f]:6771");
  assert.equal(lsdHostHeader(LSD_GROUP, LSD_PORT), "239.192.152.143:6771");
  assert.equal(lsdHostHeader("ff11::1", 0), "[ff11::1]:0");
});

Deno.test("encodeLsdAnnounce() writes the BEP 14 IPv6 announce, and parseLsdAnnounce() reads it", () => {
  const bytes = encodeLsdAnnounce({
    port: 6881,
    infoHashes: [H1],
    cookie: "v6",
    host: lsdHostHeader(LSD_GROUP6, LSD_PORT),
  });
  assert.equal(
    new TextDecoder().decode(bytes),
    `BT-SEARCH * HTTP/1.1\r\nHost: [ff15::efc0:988f]:6771\r\nPort: 6881\r\nInfohash: ${H1}\r\ncookie: v6\r\n\r\n\r\n`,
  );
  assert.deepEqual(parseLsdAnnounce(bytes), { port: 6881, infoHashes: [H1], cookie: "v6" });
  // The Host header is informative: a receiver takes the peer's address from the UDP source, whatever it says.
  const odd = `BT-SEARCH * HTTP/1.1\r\nHost: [ff15::efc0:988f\r\nPort: 1\r\nInfohash: ${H2}\r\n\r\n`;
  assert.deepEqual(parse(odd), { port: 1, infoHashes: [H2] });
});
