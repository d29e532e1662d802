import assert from "node:assert/strict";
import fc from "fast-check";
import { encode } from "../bencode/mod.ts";
import { TrackerError } from "../errors.ts";
import { failureReason, parseHttpAnnounceReply } from "./_http_reply.ts";
import { parseIp } from "./_ip.ts";

const URL = "http://127.0.0.1:1/announce";
const text = (s: string) => new TextEncoder().encode(s);

function compact(entries: [string, number][]): Uint8Array {
  const parts = entries.map(([host, port]) => [...parseIp(host)!, port >> 8, port & 0xff]);
  return new Uint8Array(parts.flat());
}

Deno.test("parseHttpAnnounceReply() reads compact peers and drops unusable entries", () => {
  const peers = compact([
    ["192.0.2.1", 6881],
    ["10.0.0.2", 51413],
    ["192.0.2.1", 6881],
    ["198.51.100.3", 0],
    ["0.0.0.0", 6881],
    ["224.0.0.5", 6881],
    ["255.255.255.255", 6881],
  ]);
  const body = encode({
    complete: 5,
    incomplete: 7,
    interval: 1800,
    "min interval": 900,
    peers: new Uint8Array([...peers, 1, 2, 3]),
    "tracker id": "abc",
    "warning message": "slow\u0007 down\u202e",
  });
  assert.deepEqual(parseHttpAnnounceReply(URL, body), {
    interval: 1800,
    minInterval: 900,
    peers: [{ host: "192.0.2.1", port: 6881 }, { host: "10.0.0.2", port: 51413 }],
    complete: 5,
    incomplete: 7,
    warning: "slow  down",
    trackerId: "abc",
  });
});

Deno.test("parseHttpAnnounceReply() reads BEP 3 peer dicts and BEP 7 peers6", () => {
  const ownId = text("-CC0100-000000000000");
  const body = encode({
    interval: 600,
    peers: [
      { ip: "192.0.2.9", "peer id": text("-XX0100-000000000000"), port: 7000 },
      { ip: "2001:db8::1", port: 7001 },
      { ip: "tracker-chosen.example", port: 7002 },
      { ip: "192.0.2.10", "peer id": ownId, port: 7003 },
      { ip: "192.0.2.11", port: 70000 },
      { ip: "192.0.2.12", port: "80" },
      { ip: 5, port: 80 },
      "not a dict",
      { ip: "::ffff:192.0.2.13", port: 7004 },
    ],
    peers6: new Uint8Array([
      ...compact([["2001:db8::2", 7000], ["ff02::1", 7000], ["::1", 0], ["::ffff:198.51.100.1", 7001]]),
      ...new Uint8Array(17),
    ]),
  });
  assert.deepEqual(parseHttpAnnounceReply(URL, body, { ownPeerId: ownId }).peers, [
    { host: "192.0.2.9", port: 7000 },
    { host: "2001:db8::1", port: 7001 },
    { host: "192.0.2.13", port: 7004 },
    { host: "2001:db8::2", port: 7000 },
    { host: "198.51.100.1", port: 7001 },
  ]);
});

Deno.test("parseHttpAnnounceReply() clamps hostile intervals", () => {
  const table: [Record<string, number>, number, number | undefined][] = [
    [{ interval: 0 }, 300, undefined],
    [{ interval: -5 }, 300, undefined],
    [{ interval: 1e12 }, 7200, undefined],
    [{}, 1800, undefined],
    [{ interval: 1800, "min interval": 1e12 }, 1800, 1800],
    [{ interval: 1800, "min interval": -1 }, 1800, 0],
    [{ interval: 60, "min interval": 30 }, 300, 30],
  ];
  for (const [fields, interval, minInterval] of table) {
    const reply = parseHttpAnnounceReply(URL, encode({ ...fields, peers: new Uint8Array(0) }));
    assert.equal(reply.interval, interval, JSON.stringify(fields));
    assert.equal(reply.minInterval, minInterval, JSON.stringify(fields));
  }
});

Deno.test("parseHttpAnnounceReply() turns a failure reason into a TrackerError", () => {
  const body = encode({ "failure reason": "Requested download is not authorized\n" });
  assert.throws(() => parseHttpAnnounceReply(URL, body), (error: unknown) => {
    assert.ok(error instanceof TrackerError);
    assert.equal(error.url, URL);
    assert.equal(
      error.message,
      "Cannot announce: tracker failure reason: Requested download is not authorized",
    );
    return true;
  });
  assert.equal(failureReason(body), "Requested download is not authorized");
  assert.equal(failureReason(text("<html>")), undefined);
});

Deno.test("parseHttpAnnounceReply() rejects garbage, non-dicts and deep nesting", () => {
  for (const bad of ["<html>oops</html>", "", "i5e", "le", "5:peers", "d8:intervali1800e"]) {
    assert.throws(() => parseHttpAnnounceReply(URL, text(bad)), TrackerError, bad);
  }
  const deep = text(`d1:x${"l".repeat(8)}${"e".repeat(8)}e`);
  assert.throws(() => parseHttpAnnounceReply(URL, deep), TrackerError);
  const ok = text(`d1:x${"l".repeat(6)}${"e".repeat(6)}e`);
  assert.equal(parseHttpAnnounceReply(URL, ok).interval, 1800);
  assert.equal(parseHttpAnnounceReply(URL, text("d8:intervali900ee\n")).interval, 900);
});

Deno.test("parseHttpAnnounceReply() throws only TrackerError on random bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => {
      try {
        parseHttpAnnounceReply(URL, bytes);
      } catch (error) {
        assert.ok(error instanceof TrackerError);
      }
    }),
    { numRuns: 2000 },
  );
});
