import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { startOpentracker } from "../../tests/_helpers/opentracker.ts";
import { type Encodable, encode } from "../bencode/mod.ts";
import { TrackerError } from "../errors.ts";
import { announce } from "./announce.ts";
import { scrape, scrapeUrl } from "./scrape.ts";
import type { AnnounceRequest } from "./types.ts";
import { UdpTrackerClient } from "./udp_tracker.ts";

const hashA = Uint8Array.from({ length: 20 }, (_, i) => i * 13);
const hashB = new Uint8Array(20).fill(0xbb);
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);

function filesReply(entries: [Uint8Array, Encodable][]): Uint8Array {
  return encode({ files: new Map(entries.map(([hash, swarm]) => [latin1(hash), swarm])) });
}

/** An in-process HTTP tracker on 127.0.0.1 that answers with `handler` and records the raw request targets. */
function fakeTracker(
  handler: (request: Request) => Response | Promise<Response>,
): { base: string; targets: string[] } & AsyncDisposable {
  const targets: string[] = [];
  let base = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    targets.push(req.url.slice(base.length));
    return handler(req);
  });
  base = `http://127.0.0.1:${server.addr.port}`;
  return { base, targets, [Symbol.asyncDispose]: () => server.shutdown() };
}

async function rejection(promise: Promise<unknown>): Promise<TrackerError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TrackerError, `expected a TrackerError, got ${error}`);
    return error;
  }
  assert.fail("expected the scrape to fail");
}

Deno.test("scrapeUrl() replaces a last path segment starting with announce (BEP 48)", () => {
  const cases: [string, string | undefined][] = [
    ["http://t.example/announce", "http://t.example/scrape"],
    [
      "https://t.example:8443/x/announce.php?passkey=a%20b#frag",
      "https://t.example:8443/x/scrape.php?passkey=a%20b",
    ],
    ["http://t.example/announce?info=announce", "http://t.example/scrape?info=announce"],
    ["http://t.example/x/announce/", undefined],
    ["http://t.example/announce/x", undefined],
    ["http://t.example/a", undefined],
    ["http://t.example/", undefined],
    ["not a url", undefined],
  ];
  for (const [url, expected] of cases) assert.equal(scrapeUrl(url), expected, url);
});

Deno.test("scrape() asks the HTTP scrape URL with info_hash repeated and reads files", async () => {
  await using tracker = fakeTracker(() =>
    new Response(
      new Uint8Array(filesReply([
        [hashA, { complete: 11, downloaded: 13772, incomplete: 19 }],
        [new Uint8Array(20).fill(0xcc), { complete: 1, downloaded: 1, incomplete: 1 }],
      ])),
    )
  );
  const counts = await scrape(`${tracker.base}/announce?passkey=s3cr3t`, [hashA, hashB, hashA]);
  assert.deepEqual(counts, new Map([[hex(hashA), { complete: 11, incomplete: 19, downloaded: 13772 }]]));
  assert.deepEqual(tracker.targets, [
    "/scrape?passkey=s3cr3t&info_hash=%00%0D%1A%274AN%5Bhu%82%8F%9C%A9%B6%C3%D0%DD%EA%F7" +
    `&info_hash=${"%BB".repeat(20)}`,
  ]);
});

Deno.test("scrape() splits more than 74 hashes over several HTTP requests", async () => {
  const hashes = Array.from({ length: 75 }, (_, i) => new Uint8Array(20).fill(i));
  await using tracker = fakeTracker((req) => {
    const asked = new URL(req.url).searchParams.getAll("info_hash").length;
    return new Response(
      new Uint8Array(filesReply([[hashes[74], { complete: asked, incomplete: 0, downloaded: 0 }]])),
    );
  });
  const counts = await scrape(`${tracker.base}/announce`, hashes);
  assert.equal(tracker.targets.length, 2);
  assert.deepEqual(counts.get(hex(hashes[74])), { complete: 1, incomplete: 0, downloaded: 0 });
});

Deno.test("scrape() fails with Cannot scrape for HTTP failures", async () => {
  const failure = encode({ "failure reason": "unregistered torrent" });
  const bomb = gzipSync(new Uint8Array(2 * 1024 * 1024));
  await using tracker = fakeTracker((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/fail/scrape") return new Response(new Uint8Array(failure));
    if (path === "/status/scrape") return new Response(new Uint8Array(failure), { status: 400 });
    if (path === "/plain/scrape") return new Response("nope", { status: 404 });
    if (path === "/bomb/scrape") {
      return new Response(new Uint8Array(bomb), { headers: { "content-encoding": "gzip" } });
    }
    return new Response("<html>");
  });
  const cases: [string, RegExp][] = [
    ["/fail/announce", /^Cannot scrape: tracker failure reason: unregistered torrent$/],
    ["/status/announce", /^Cannot scrape: tracker failure reason: unregistered torrent$/],
    ["/plain/announce", /^Cannot scrape: tracker answered HTTP 404$/],
    ["/bomb/announce", /^Cannot scrape: tracker response is larger than 1048576 bytes$/],
    ["/html/announce", /^Cannot scrape: tracker reply is not valid bencode$/],
  ];
  for (const [path, message] of cases) {
    const error = await rejection(scrape(tracker.base + path, [hashA]));
    assert.match(error.message, message, path);
    assert.equal(error.url, tracker.base + path);
  }
  const before = tracker.targets.length;
  const unsupported = await rejection(scrape(`${tracker.base}/tracker.php`, [hashA]));
  assert.equal(unsupported.message, "Cannot scrape: tracker does not support scrape");
  assert.equal(tracker.targets.length, before);
});

Deno.test("scrape() honours abort and timeout, and checks its arguments", async () => {
  // The tracker answers late (not never): shutting the server down waits for every handler to finish.
  await using tracker = fakeTracker(async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return new Response("");
  });
  const controller = new AbortController();
  const aborted = scrape(`${tracker.base}/announce`, [hashA], { signal: controller.signal });
  controller.abort(new Error("user"));
  const error = await rejection(aborted);
  assert.equal(error.message, "Cannot scrape: aborted");
  assert.equal((error.cause as Error).message, "user");
  const late = await rejection(scrape(`${tracker.base}/announce`, [hashA], { timeout: 50 }));
  assert.equal(late.message, "Cannot scrape: no reply within 50 ms");
  const unsupported = await rejection(scrape("wss://t/announce", [hashA]));
  assert.match(unsupported.message, /unsupported tracker URL scheme "wss"/);
  await assert.rejects(scrape(`${tracker.base}/announce`, []), RangeError);
  await assert.rejects(scrape(`${tracker.base}/announce`, [new Uint8Array(21)]), TypeError);
});

function request(peerByte: number, port: number, left: number): AnnounceRequest {
  return {
    infoHash: hashA,
    peerId: new Uint8Array(20).fill(peerByte),
    port,
    uploaded: 0,
    downloaded: 0,
    left,
    event: "started",
  };
}

Deno.test("scrape() reads opentracker's counts over HTTP and UDP after announces", async () => {
  await using tracker = await startOpentracker({ infoHashes: [hex(hashA)] });
  await using client = new UdpTrackerClient();
  await announce(tracker.httpUrl, request(0x53, 50001, 0));
  await announce(tracker.udpUrl, request(0x4c, 50002, 1000), { udpClient: client });
  await announce(tracker.httpUrl, request(0x4d, 50003, 1000));

  const overHttp = await scrape(tracker.httpUrl, [hashA]);
  assert.deepEqual(overHttp.get(hex(hashA)), { complete: 1, incomplete: 2, downloaded: 0 });
  const overUdp = await scrape(tracker.udpUrl, [hashA, hashB], { udpClient: client });
  assert.deepEqual(overUdp.get(hex(hashA)), { complete: 1, incomplete: 2, downloaded: 0 });

  await announce(tracker.udpUrl, { ...request(0x4c, 50002, 0), event: "completed" }, { udpClient: client });
  const afterCompleted = await scrape(tracker.udpUrl, [hashA]);
  assert.deepEqual(afterCompleted.get(hex(hashA)), { complete: 2, incomplete: 1, downloaded: 1 });
  const overHttpAgain = await scrape(tracker.httpUrl, [hashA]);
  assert.deepEqual(overHttpAgain.get(hex(hashA)), { complete: 2, incomplete: 1, downloaded: 1 });
});
