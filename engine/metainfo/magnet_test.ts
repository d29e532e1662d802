import assert from "node:assert/strict";
import fc from "fast-check";
import { formatMagnet, MagnetError, type MagnetLink, parseFileSelection, parseMagnet } from "./magnet.ts";
import { python } from "./_test_util.ts";

const HEX = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
const HASH = Uint8Array.from(HEX.match(/../g)!.map((pair) => parseInt(pair, 16)));
/** The same 20 bytes in RFC 4648 base32. */
const BASE32 = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";
const V2_HEX = "ab".repeat(32);
const BTIH = `magnet:?xt=urn:btih:${HEX}`;

function magnet(...params: string[]): string {
  return [BTIH, ...params].join("&");
}

function rejects(uri: string, detail: RegExp): void {
  assert.throws(() => parseMagnet(uri), (error: unknown) => {
    assert.ok(error instanceof MagnetError, `${uri.slice(0, 80)}: ${error}`);
    assert.ok(error instanceof SyntaxError);
    assert.match(error.message, /^Cannot parse magnet link: /);
    assert.match(error.message, detail);
    return true;
  });
}

Deno.test("parseMagnet() reads every BEP 9 and BEP 53 field", () => {
  const link = parseMagnet(
    `magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1220${V2_HEX}&dn=Big+Buck%20Bunny%E2%9C%93&xl=276134947` +
      "&tr=udp%3A%2F%2F127.0.0.1%3A6969&tr=http://t.example/announce&ws=https%3A%2F%2Fseed.example%2Fa" +
      "&x.pe=10.0.0.1:6881&x.pe=%5B2001:DB8::1%5D:51413&so=4-6,0,2&unknown=1",
  );
  assert.deepEqual(link, {
    infoHash: HASH,
    infoHashHex: HEX,
    infoHashV2: new Uint8Array(32).fill(0xab),
    name: "Big Buck Bunny\u2713",
    exactLength: 276134947,
    trackers: ["udp://127.0.0.1:6969", "http://t.example/announce"],
    webSeeds: ["https://seed.example/a"],
    peers: [{ host: "10.0.0.1", port: 6881 }, { host: "2001:db8::1", port: 51413 }],
    selectOnly: [0, 2, 4, 5, 6],
  });
});

Deno.test("parseMagnet() accepts the info-hash forms seen in the wild", () => {
  const cases: [string, string][] = [
    ["lower-case hex", BTIH],
    ["upper-case hex", `magnet:?xt=urn:btih:${HEX.toUpperCase()}`],
    ["base32", `magnet:?xt=urn:btih:${BASE32}`],
    ["lower-case base32", `magnet:?xt=urn:btih:${BASE32.toLowerCase()}`],
    ["upper-case scheme and urn", `MAGNET:?XT=URN:BTIH:${HEX}`],
    ["numbered xt", `magnet:?xt.1=urn:btih:${HEX}&xt.2=urn:btmh:1220${V2_HEX}`],
    ["percent-encoded urn", `magnet:?xt=urn%3Abtih%3A${HEX}`],
    ["the same hash twice", `${BTIH}&xt=urn:btih:${BASE32}`],
    ["other urns beside it", `magnet:?xt=urn:sha1:ABCDEF&xt=urn:btih:${HEX}&xt=urn:ed2k:1234`],
    ["surrounding white space", `  ${BTIH}\n`],
    ["xt not first", `magnet:?dn=x&xt=urn:btih:${HEX}`],
  ];
  for (const [label, uri] of cases) {
    const link = parseMagnet(uri);
    assert.deepEqual(link.infoHash, HASH, label);
    assert.equal(link.infoHashHex, HEX, label);
  }
  assert.equal(
    parseMagnet(`magnet:?xt.1=urn:btih:${HEX}&xt.2=urn:btmh:1220${V2_HEX}`).infoHashV2?.length,
    32,
  );
});

Deno.test("parseMagnet() gives empty lists and no optional fields for a bare link", () => {
  assert.deepEqual(parseMagnet(BTIH), {
    infoHash: HASH,
    infoHashHex: HEX,
    trackers: [],
    webSeeds: [],
    peers: [],
  });
});

Deno.test("parseMagnet() rejects links without a usable info-hash (HOSTILE_INPUTS 24)", () => {
  const cases: [string, RegExp][] = [
    ["", /does not start with magnet:\?/],
    ["http://example.com/?xt=urn:btih:" + HEX, /does not start with magnet:\?/],
    ["magnet:xt=urn:btih:" + HEX, /does not start with magnet:\?/],
    ["magnet:?", /no urn:btih or urn:btmh info-hash/],
    ["magnet:?dn=name&tr=udp%3A%2F%2Fa%3A1", /no urn:btih or urn:btmh info-hash/],
    ["magnet:?xt=urn:sha1:" + HEX, /no urn:btih or urn:btmh info-hash/],
    ["magnet:?xt=urn%zzbtih:" + HEX, /no urn:btih or urn:btmh info-hash/],
    ["magnet:?xt=" + HEX, /no urn:btih or urn:btmh info-hash/],
    ["magnet:?xt=urn:btih:" + HEX.slice(1), /not 40 hex or 32 base32/],
    ["magnet:?xt=urn:btih:" + HEX + "a", /not 40 hex or 32 base32/],
    ["magnet:?xt=urn:btih:" + HEX.slice(1) + "g", /not 40 hex or 32 base32/],
    ["magnet:?xt=urn:btih:", /not 40 hex or 32 base32/],
    ["magnet:?xt=urn:btih:" + BASE32.slice(1) + "1", /not 40 hex or 32 base32/],
    ["magnet:?xt=urn:btih:" + BASE32.slice(1) + "=", /not 40 hex or 32 base32/],
    ["magnet:?xt=urn:btih:" + BASE32.slice(1), /not 40 hex or 32 base32/],
    [`${BTIH}&xt=urn:btih:${"00".repeat(20)}`, /two different urn:btih/],
    [`${BTIH}&xt=urn:btmh:1220${V2_HEX}&xt=urn:btmh:1220${"cd".repeat(32)}`, /two different urn:btmh/],
    [`${BTIH}&xt=urn:btmh:1114${V2_HEX}`, /not 1220 and 64 hex/],
    [`${BTIH}&xt=urn:btmh:1220${V2_HEX.slice(2)}`, /not 1220 and 64 hex/],
    [`${BTIH}&xt=urn:btmh:1220${V2_HEX}00`, /not 1220 and 64 hex/],
    [`${BTIH}&xt=urn:btmh:1220${V2_HEX.slice(2)}zz`, /not 1220 and 64 hex/],
    [`${BTIH}&xt=urn:btmh:${V2_HEX}`, /not 1220 and 64 hex/],
  ];
  for (const [uri, detail] of cases) rejects(uri, detail);
  assert.throws(() => parseMagnet(42 as unknown as string), TypeError);
});

Deno.test("parseMagnet() reads a v2-only link as its truncated v2 info-hash (BEP 52)", () => {
  const link = parseMagnet(`magnet:?xt=urn:btmh:1220${V2_HEX}&dn=x&tr=udp%3A%2F%2Fa%3A1`);
  assert.equal(link.v2Only, true);
  assert.equal(link.infoHashHex, V2_HEX.slice(0, 40));
  assert.deepEqual(link.infoHash, link.infoHashV2!.slice(0, 20));
  assert.equal(link.infoHashV2!.length, 32);
  assert.deepEqual(link.trackers, ["udp://a:1"]);
  const uri = formatMagnet(link);
  assert.equal(uri, `magnet:?xt=urn:btmh:1220${V2_HEX}&dn=x&tr=udp%3A%2F%2Fa%3A1`);
  assert.deepEqual(parseMagnet(uri), link);
  assert.equal(parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1220${V2_HEX}`).v2Only, undefined);
  assert.throws(
    () => formatMagnet({ infoHash: HASH, v2Only: true, name: undefined, trackers: [] }),
    RangeError,
  );
});

Deno.test("parseMagnet() refuses links over 64 KiB or 10,000 parameters before splitting (HOSTILE_INPUTS 25)", () => {
  rejects(magnet(`dn=${"a".repeat(64 * 1024)}`), /over 65536 bytes/);
  rejects(magnet(`dn=${"\u00e9".repeat(33 * 1024)}`), /over 65536 bytes/);
  rejects(magnet(..."&".repeat(10_000).split("")), /over 10000 parameters/);
  const justUnder = magnet(...Array.from({ length: 9_999 }, () => "x"));
  assert.equal(parseMagnet(justUnder).infoHashHex, HEX);
  const longest = magnet(`dn=${"a".repeat(64 * 1024 - BTIH.length - 4)}`);
  assert.equal(longest.length, 64 * 1024);
  assert.equal(parseMagnet(longest).name, undefined, "a name over 4 KiB is dropped");
});

Deno.test("parseMagnet() caps trackers, web seeds and peers at 100 (HOSTILE_INPUTS 25)", () => {
  const trackers = Array.from({ length: 1_000 }, (_, i) => `tr=udp%3A%2F%2Fh${i}%3A1`);
  const webSeeds = Array.from({ length: 500 }, (_, i) => `ws=http%3A%2F%2Fh${i}%2F`);
  const peers = Array.from({ length: 500 }, (_, i) => `x.pe=10.0.${i >> 8}.${i & 255}:1`);
  const link = parseMagnet(magnet(...trackers, ...webSeeds, ...peers));
  assert.equal(link.trackers.length, 100);
  assert.equal(link.trackers[99], "udp://h99:1");
  assert.equal(link.webSeeds.length, 100);
  assert.equal(link.peers.length, 100);
  const long = `http://h/${"a".repeat(4096)}`;
  assert.deepEqual(parseMagnet(magnet(`tr=${long}`, `ws=${long}`, "tr=udp://ok:1")).trackers, ["udp://ok:1"]);
  assert.deepEqual(parseMagnet(magnet(`tr=${long.slice(0, 4096)}`)).trackers, [long.slice(0, 4096)]);
});

Deno.test("parseMagnet() drops only the parameter with a bad value (HOSTILE_INPUTS 26)", () => {
  const good = "tr=udp%3A%2F%2Fgood%3A1";
  const bad = [
    "tr=udp%3A%2F%2Fbad%zz",
    "tr=udp://bad:1%",
    "tr=udp://bad:1%4",
    "tr=udp://bad:1%00",
    "tr=udp://bad:1%0A",
    "tr=udp://bad:1%7F",
    "tr=udp://bad:1%C2%85",
    "tr=udp://bad:1\u0001",
    "tr=udp://bad:1%FF",
    "tr=file%3A%2F%2F%2Fetc%2Fpasswd",
    "tr=file:///",
    "tr=javascript:alert(1)",
    "tr=wss://bad:1",
    "tr=",
    "tr=not a url",
    "ws=udp://bad:1",
    "ws=javascript:alert(1)",
    "dn=%zz",
    "dn=a%00b",
    "dn=a%",
    "xl=-1",
    "xl=1.5",
    "xl=9007199254740992",
    "xl=0x10",
    "xl=",
    "x.pe=%zz",
  ];
  for (const param of bad) {
    const link = parseMagnet(magnet(param, good));
    assert.equal(link.infoHashHex, HEX, param);
    assert.deepEqual(link.trackers, ["udp://good:1"], param);
    assert.deepEqual(link.webSeeds, [], param);
    assert.equal(link.name, undefined, param);
    assert.equal(link.exactLength, undefined, param);
    assert.deepEqual(link.peers, [], param);
  }
  assert.equal(
    parseMagnet(magnet("dn=%FFab")).name,
    "\ufffdab",
    "invalid UTF-8 in dn is replaced, not dropped",
  );
  assert.equal(parseMagnet(magnet("dn=a+b%2Bc")).name, "a b+c");
  assert.deepEqual(parseMagnet(magnet("tr=http://h/a+b")).trackers, ["http://h/a+b"], "+ stays in URLs");
});

Deno.test("parseMagnet() keeps the first name and length and dedupes URLs and peers", () => {
  const link = parseMagnet(
    magnet(
      "dn=one",
      "dn=two",
      "xl=0",
      "xl=5",
      "tr=udp://a:1",
      "TR=udp://a:1",
      "tr.1=udp://b:1",
      "ws=http://w/",
    ) +
      "&ws=http://w/&x.pe=1.2.3.4:5&x.pe=1.2.3.4:5&X.PE=[::1]:5&x.pe=[0:0::1]:5&&=&novalue&dn",
  );
  assert.equal(link.name, "one");
  assert.equal(link.exactLength, 0);
  assert.deepEqual(link.trackers, ["udp://a:1", "udp://b:1"]);
  assert.deepEqual(link.webSeeds, ["http://w/"]);
  assert.deepEqual(link.peers, [{ host: "1.2.3.4", port: 5 }, { host: "::1", port: 5 }]);
});

Deno.test("parseMagnet() keeps only IP literal peers with ports 1-65535 (HOSTILE_INPUTS 27)", () => {
  const good: [string, { host: string; port: number }][] = [
    ["1.2.3.4:1", { host: "1.2.3.4", port: 1 }],
    ["255.255.255.255:65535", { host: "255.255.255.255", port: 65535 }],
    ["0.0.0.0:6881", { host: "0.0.0.0", port: 6881 }],
    ["[::1]:6881", { host: "::1", port: 6881 }],
    ["[::ffff:1.2.3.4]:6881", { host: "::ffff:102:304", port: 6881 }],
    ["[FE80::1]:00080", { host: "fe80::1", port: 80 }],
  ];
  for (const [value, peer] of good) {
    assert.deepEqual(parseMagnet(magnet(`x.pe=${value}`)).peers, [peer], value);
  }
  const bad = [
    "1.2.3.4:0",
    "1.2.3.4:65536",
    "1.2.3.4:100000",
    "1.2.3.4:",
    "1.2.3.4",
    "1.2.3.4:-1",
    "1.2.3.4:+80",
    "1.2.3.4: 80",
    "1.2.3.256:80",
    "1.2.3:80",
    "01.2.3.4:80",
    "0x7f.0.0.1:80",
    "1.2.3.4.5:80",
    "localhost:80",
    "tracker.example.com:6881",
    "::1:80",
    "[::1:80",
    "[::1]]:80",
    "[::g]:80",
    "[1.2.3.4]:80",
    "[fe80::1%25eth0]:80",
    ":80",
  ];
  for (const value of bad) assert.deepEqual(parseMagnet(magnet(`x.pe=${value}`)).peers, [], value);
});

Deno.test("parseMagnet() expands BEP 53 so= lists and ignores bad entries (HOSTILE_INPUTS 27)", () => {
  const cases: [string[], number[] | undefined][] = [
    [["so=0,2,4-6"], [0, 2, 4, 5, 6]],
    [["so=6-8,0,7,7"], [0, 6, 7, 8]],
    [["so=5-3,1"], [1]],
    [["so=5-3"], undefined],
    [["so="], undefined],
    [["so=a,-1,1-,-,1--2,1.5, 2,3 ,+4,0x5"], undefined],
    [["so=999999,1000000,999998-1000001"], [999999]],
    [["so=99999999999999999999"], undefined],
    [["so=1", "so=0"], [0, 1]],
    [["so=3", "so.1=2%2C1"], [1, 2, 3]],
    [["so=00,007"], [0, 7]],
  ];
  for (const [params, expected] of cases) {
    assert.deepEqual(parseMagnet(magnet(...params)).selectOnly, expected, params.join("&"));
  }
  const capped = parseMagnet(magnet("so=500000-999999,0-999999,0-999999,250000")).selectOnly!;
  assert.equal(capped.length, 100_000);
  assert.equal(capped[0], 0);
  assert.equal(capped.at(-1), 99_999);
  const many = parseMagnet(magnet(`so=${Array.from({ length: 5_000 }, () => "0-999999").join(",")}`));
  assert.equal(many.selectOnly!.length, 100_000, "overlapping ranges are merged, not expanded one by one");
});

Deno.test("parseFileSelection() reads the so= grammar strictly", () => {
  assert.deepEqual(parseFileSelection("0,2-4"), [0, 2, 3, 4]);
  assert.deepEqual(parseFileSelection(" 5 , 1-2,2 "), [1, 2, 5]);
  assert.deepEqual(parseFileSelection("7-7"), [7]);
  for (const bad of ["", "1,", "a", "4-2", "-1", "1-", "1.5", "1000000", "0-1000000", "1;2"]) {
    assert.throws(() => parseFileSelection(bad), {
      name: "SyntaxError",
      message: /Cannot parse file selection/,
    }, bad);
  }
  assert.equal(parseFileSelection("0-999999").length, 100_000, "expanded only to the so= cap");
  // Whatever it accepts, so= reads the same way.
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(50), fc.nat(5)), { minLength: 1, maxLength: 6 }), (ranges) => {
      const text = ranges.map(([a, n]) => n === 0 ? `${a}` : `${a}-${a + n}`).join(",");
      assert.deepEqual(parseFileSelection(text), parseMagnet(`${BTIH}&so=${text}`).selectOnly);
    }),
  );
});

Deno.test("formatMagnet() writes every field and parseMagnet() reads it back", () => {
  const link: MagnetLink = {
    infoHash: HASH,
    infoHashHex: HEX,
    infoHashV2: new Uint8Array(32).fill(7),
    name: "Ünïcode & spaces + plus/slash?",
    exactLength: 12345,
    trackers: ["udp://127.0.0.1:6969/announce", "https://t.example/a?x=1&y=%20"],
    webSeeds: ["http://seed.example/files/"],
    peers: [{ host: "10.0.0.1", port: 6881 }, { host: "2001:db8::1", port: 1 }],
    selectOnly: [0, 2, 3, 4, 9],
  };
  const uri = formatMagnet(link);
  assert.match(
    uri,
    /^magnet:\?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&xt=urn:btmh:1220(07){32}&dn=/,
  );
  assert.match(uri, /&x\.pe=10\.0\.0\.1:6881&x\.pe=\[2001:db8::1\]:1&so=0,2-4,9$/);
  assert.deepEqual(parseMagnet(uri), link);
  assert.equal(formatMagnet({ infoHash: HASH, name: undefined, trackers: [] }), BTIH);
});

Deno.test("formatMagnet() rejects fields it cannot write", () => {
  assert.throws(() => formatMagnet({ infoHash: new Uint8Array(19), name: "a", trackers: [] }), RangeError);
  const base = { infoHash: HASH, name: undefined, trackers: [] };
  assert.throws(() => formatMagnet({ ...base, infoHashV2: new Uint8Array(20) }), RangeError);
  assert.throws(() => formatMagnet({ ...base, exactLength: -1 }), RangeError);
  assert.throws(() => formatMagnet({ ...base, exactLength: 1.5 }), RangeError);
  assert.throws(() => formatMagnet({ ...base, selectOnly: [1, -2] }), RangeError);
  assert.throws(() => formatMagnet({ ...base, name: "a\nb" }), TypeError);
  assert.throws(() => formatMagnet({ ...base, peers: [{ host: "a.example", port: 1 }] }), RangeError);
  assert.throws(() => formatMagnet({ ...base, peers: [{ host: "1.2.3.4&tr=x", port: 1 }] }), RangeError);
  assert.throws(() => formatMagnet({ ...base, peers: [{ host: "1.2.3.4", port: 0 }] }), RangeError);
});

const LIBTORRENT_MAGNETS = `
import json, libtorrent as lt, sys
p = lt.parse_magnet_uri(sys.argv[1])
print(json.dumps([str(p.info_hashes.v1), str(p.info_hashes.v2), p.name, p.trackers, p.url_seeds, p.peers]))
p = lt.add_torrent_params()
p.info_hashes = lt.info_hash_t(lt.sha1_hash(bytes.fromhex(sys.argv[2])))
p.name = sys.argv[3]
p.trackers = sys.argv[4:6]
p.url_seeds = sys.argv[6:]
print(lt.make_magnet_uri(p))
`;

Deno.test("formatMagnet() and parseMagnet() agree with libtorrent", async () => {
  const name = "\u00dcn\u00ef & + x/y";
  const trackers = ["udp://127.0.0.1:6969/announce", "http://a.example/b?c=d&e=%20f"];
  const webSeeds = ["http://w.example/x y"];
  const ours = formatMagnet({
    infoHash: HASH,
    infoHashV2: new Uint8Array(32).fill(2),
    name,
    trackers,
    webSeeds,
    peers: [{ host: "10.0.0.1", port: 6881 }, { host: "::1", port: 7 }],
  });
  const [theirView, theirs] = (await python(LIBTORRENT_MAGNETS, ours, HEX, name, ...trackers, ...webSeeds))
    .trim().split("\n");
  const peers = [["10.0.0.1", 6881], ["::1", 7]];
  assert.deepEqual(JSON.parse(theirView), [HEX, "02".repeat(32), name, trackers, webSeeds, peers]);
  assert.deepEqual(parseMagnet(theirs), {
    infoHash: HASH,
    infoHashHex: HEX,
    name,
    trackers,
    webSeeds,
    peers: [],
  });
});

const hostArb = fc.oneof(
  fc.ipV4().filter((ip) => !ip.split(".").some((part) => part.length > 1 && part.startsWith("0"))),
  fc.constantFrom("::1", "2001:db8::1", "fe80::abcd:1"),
);

const linkArb: fc.Arbitrary<MagnetLink> = fc.record({
  infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  infoHashV2: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
  name: fc.option(
    fc.string({ unit: "grapheme", maxLength: 40 }).filter((s) => !/[\p{Cc}]/u.test(s)),
    { nil: undefined },
  ),
  exactLength: fc.option(fc.maxSafeNat(), { nil: undefined }),
  trackers: fc.uniqueArray(
    fc.tuple(fc.constantFrom("udp", "http", "https"), fc.domain(), fc.integer({ min: 1, max: 65535 }))
      .map(([scheme, host, port]) => `${scheme}://${host}:${port}/announce`),
    { maxLength: 5 },
  ),
  webSeeds: fc.uniqueArray(fc.webUrl({ validSchemes: ["http", "https"] }), { maxLength: 3 }),
  peers: fc.uniqueArray(fc.record({ host: hostArb, port: fc.integer({ min: 1, max: 65535 }) }), {
    maxLength: 5,
    selector: (peer) => `${peer.host} ${peer.port}`,
  }),
  selectOnly: fc.option(
    fc.uniqueArray(fc.nat({ max: 999_999 }), { minLength: 1, maxLength: 20 }).map((a) =>
      a.sort((x, y) => x - y)
    ),
    { nil: undefined },
  ),
}, { requiredKeys: ["infoHash", "trackers", "webSeeds", "peers"] }).map((record) => {
  const peers = record.peers.map(({ host, port }) => ({ host, port }));
  const link: MagnetLink = { ...record, peers, infoHashHex: "" };
  link.infoHashHex = Array.from(record.infoHash, (b) => b.toString(16).padStart(2, "0")).join("");
  for (const key of Object.keys(link) as (keyof MagnetLink)[]) {
    if (link[key] === undefined) delete link[key];
  }
  return link;
});

Deno.test("parseMagnet() reads back whatever formatMagnet() writes (property)", () => {
  fc.assert(
    fc.property(linkArb, (link) => {
      const parsed = parseMagnet(formatMagnet(link));
      const expected = { ...link, webSeeds: link.webSeeds.filter((url) => url.length <= 4096) };
      assert.deepEqual(parsed, expected);
    }),
    { numRuns: 300 },
  );
});

Deno.test("parseMagnet() only ever throws MagnetError on arbitrary text (property)", () => {
  const check = (uri: string) => {
    try {
      const link = parseMagnet(uri);
      assert.equal(link.infoHash.length, 20);
      assert.ok(link.trackers.length <= 100 && link.webSeeds.length <= 100 && link.peers.length <= 100);
    } catch (error) {
      if (!(error instanceof MagnetError)) throw error;
    }
  };
  const piece = fc.oneof(
    fc.string(),
    fc.constantFrom("&", "=", "%", "%zz", "%00", "+", "[", "]", ":", ",", "-", "xt=", "tr=", "x.pe=", "so="),
    fc.constantFrom(`xt=urn:btih:${HEX}`, `xt=urn:btih:${BASE32}`, `xt=urn:btmh:1220${V2_HEX}`),
    fc.constantFrom("urn:btih:", "urn:btmh:1220", "udp%3A%2F%2F", "[::1]:", "1.2.3.4:", "0-"),
  );
  fc.assert(fc.property(fc.string({ unit: "binary" }), check), { numRuns: 500 });
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => check(`magnet:?${pieces.join("")}`)),
    { numRuns: 1000 },
  );
});
