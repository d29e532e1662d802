import assert from "node:assert/strict";
import { type Encodable, encode } from "../bencode/mod.ts";
import { TrackerError } from "../errors.ts";
import {
  asScrapeError,
  checkScrapeHashes,
  hex,
  MAX_SCRAPE_HASHES,
  parseHttpScrapeReply,
  parseUdpScrapeReply,
  scrapeBatches,
  type ScrapeCounts,
  scrapeFailureReason,
  udpScrapeRequest,
} from "./_scrape.ts";

const URL = "http://t.example/announce";
const a = new Uint8Array(20).fill(0xaa);
const b = new Uint8Array(20).fill(0xbb);
const c = new Uint8Array(20).fill(0xcc);
const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);

function httpCounts(body: Uint8Array, hashes = [a, b]): Map<string, ScrapeCounts> {
  const counts = new Map<string, ScrapeCounts>();
  parseHttpScrapeReply(URL, body, hashes, counts);
  return counts;
}

Deno.test("checkScrapeHashes() drops repeats and rejects bad hashes", () => {
  assert.deepEqual(checkScrapeHashes([a, b, a.slice()]), [a, b]);
  assert.throws(() => checkScrapeHashes([]), RangeError);
  assert.throws(() => checkScrapeHashes([a, new Uint8Array(19)]), TypeError);
  assert.throws(() => checkScrapeHashes(["x".repeat(20) as unknown as Uint8Array]), TypeError);
});

Deno.test("scrapeBatches() cuts runs of at most 74", () => {
  const hashes = Array.from({ length: 149 }, (_, i) => new Uint8Array(20).fill(i));
  assert.deepEqual(scrapeBatches(hashes).map((batch) => batch.length), [74, 74, 1]);
  assert.equal(MAX_SCRAPE_HASHES, 74);
});

Deno.test("udpScrapeRequest() lays out connection id, action 2, transaction id, hashes", () => {
  const packet = udpScrapeRequest(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 0xdeadbeef, [a, b]);
  assert.equal(packet.length, 56);
  assert.deepEqual([...packet.subarray(0, 16)], [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 2, 0xde, 0xad, 0xbe, 0xef]);
  assert.deepEqual(packet.subarray(16, 36), a);
  assert.deepEqual(packet.subarray(36, 56), b);
});

Deno.test("parseUdpScrapeReply() reads seeders, completed, leechers per hash and tolerates short replies", () => {
  const packet = new Uint8Array(8 + 12 + 5);
  const view = new DataView(packet.buffer);
  view.setUint32(0, 2);
  view.setUint32(8, 5);
  view.setUint32(12, 0xffffffff);
  view.setUint32(16, 3);
  const counts = new Map<string, ScrapeCounts>();
  parseUdpScrapeReply(packet, [a, b], counts);
  assert.deepEqual([...counts], [[hex(a), { complete: 5, downloaded: 0xffffffff, incomplete: 3 }]]);
  parseUdpScrapeReply(packet.subarray(0, 8), [c], counts);
  assert.equal(counts.has(hex(c)), false);
});

Deno.test("parseHttpScrapeReply() keeps the hashes asked for and reads bad counts as 0", () => {
  const body = encode({
    files: new Map<string, Encodable>([
      [latin1(a), { complete: 11, downloaded: 13772, incomplete: 19 }],
      [latin1(b), { complete: -1, downloaded: new Uint8Array(1), name: new Uint8Array(3) }],
      [latin1(c), { complete: 1, downloaded: 1, incomplete: 1 }],
    ]),
  });
  assert.deepEqual(
    httpCounts(body),
    new Map([
      [hex(a), { complete: 11, incomplete: 19, downloaded: 13772 }],
      [hex(b), { complete: 0, incomplete: 0, downloaded: 0 }],
    ]),
  );
  // Not a dict: skipped; trailing bytes after the reply are ignored.
  const odd = encode({ files: new Map([[latin1(a), 7]]) });
  assert.deepEqual(httpCounts(new Uint8Array([...odd, 0x78])), new Map());
});

Deno.test("parseHttpScrapeReply() rejects failures, garbage and deep nesting", () => {
  const cases: [Uint8Array, RegExp][] = [
    [
      encode({ "failure reason": new TextEncoder().encode("not\nallowed") }),
      /^Cannot scrape: .*: not allowed$/,
    ],
    [encode({ failure_reason: new TextEncoder().encode("nope") }), /failure reason: nope$/],
    [new TextEncoder().encode("i5e"), /not a dictionary/],
    [new TextEncoder().encode("d5:files"), /not valid bencode/],
    [encode({ files: [] }), /no files dictionary/],
    [new TextEncoder().encode(`d5:files${"l".repeat(20)}${"e".repeat(20)}e`), /not valid bencode/],
  ];
  for (const [body, message] of cases) {
    assert.throws(
      () => httpCounts(body),
      (error) => error instanceof TrackerError && message.test(error.message),
    );
  }
});

Deno.test("scrapeFailureReason() finds either spelling, or nothing", () => {
  assert.equal(scrapeFailureReason(encode({ "failure reason": new TextEncoder().encode("x") })), "x");
  assert.equal(scrapeFailureReason(encode({ failure_reason: new TextEncoder().encode("y") })), "y");
  assert.equal(scrapeFailureReason(new TextEncoder().encode("<html>")), undefined);
});

Deno.test("asScrapeError() rewords announce errors and passes others through", () => {
  const cause = new Error("cause");
  const renamed = asScrapeError(new TrackerError(URL, "Cannot announce: aborted", { cause }));
  assert.ok(renamed instanceof TrackerError);
  assert.equal(renamed.message, "Cannot scrape: aborted");
  assert.equal(renamed.url, URL);
  assert.equal(renamed.cause, cause);
  const other = new TypeError("x");
  assert.equal(asScrapeError(other), other);
});
