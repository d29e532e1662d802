import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { encode } from "../bencode/mod.ts";
import { TrackerError } from "../errors.ts";
import { announceHttp } from "./http_tracker.ts";
import type { AnnounceRequest } from "./types.ts";

const request: AnnounceRequest = {
  infoHash: Uint8Array.from({ length: 20 }, (_, i) => i * 13),
  peerId: new TextEncoder().encode("-CC0100-a~b c%d/e?f#"),
  port: 6881,
  uploaded: 10,
  downloaded: 20,
  left: 30,
  event: "started",
};

/** A response with a byte body. */
function respond(bytes: Uint8Array, init?: ResponseInit): Response {
  return new Response(new Uint8Array(bytes), init);
}

const okBody = encode({ interval: 1800, peers: new Uint8Array([127, 0, 0, 1, 0x1a, 0xe1]) });

/** An in-process HTTP tracker on 127.0.0.1 that answers with `handler` and records the raw request targets. */
function fakeTracker(
  handler: (request: Request, base: string) => Response | Promise<Response>,
): { base: string; url: string; targets: string[] } & AsyncDisposable {
  const targets: string[] = [];
  let base = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    targets.push(req.url.slice(base.length));
    return handler(req, base);
  });
  base = `http://127.0.0.1:${server.addr.port}`;
  return { base, url: `${base}/announce`, targets, [Symbol.asyncDispose]: () => server.shutdown() };
}

async function rejection(promise: Promise<unknown>): Promise<TrackerError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TrackerError, `expected a TrackerError, got ${error}`);
    return error;
  }
  assert.fail("expected the announce to fail");
}

Deno.test("announceHttp() sends the exact query bytes and reads a compact reply", async () => {
  await using tracker = fakeTracker(() => respond(okBody));
  const reply = await announceHttp(`${tracker.url}?passkey=s3cr3t`, {
    ...request,
    numwant: 25,
    key: 0x1234abcd,
  });
  assert.deepEqual(reply, { interval: 1800, peers: [{ host: "127.0.0.1", port: 6881 }] });
  assert.deepEqual(tracker.targets, [
    "/announce?passkey=s3cr3t" +
    "&info_hash=%00%0D%1A%274AN%5Bhu%82%8F%9C%A9%B6%C3%D0%DD%EA%F7" +
    "&peer_id=-CC0100-a~b%20c%25d%2Fe%3Ff%23" +
    "&port=6881&uploaded=10&downloaded=20&left=30&compact=1&event=started&numwant=25&key=1234ABCD",
  ]);
});

Deno.test("announceHttp() reads non-compact peers and peers6", async () => {
  await using tracker = fakeTracker(() =>
    respond(encode({
      interval: 900,
      peers: [{ ip: "127.0.0.2", "peer id": new Uint8Array(20), port: 7000 }, { ip: "::1", port: 7001 }],
      peers6: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Uint8Array(11), 9, 0x1b, 0x5a]),
    }))
  );
  const reply = await announceHttp(tracker.url, request);
  assert.deepEqual(reply.peers, [
    { host: "127.0.0.2", port: 7000 },
    { host: "::1", port: 7001 },
    { host: "2001:db8::9", port: 7002 },
  ]);
});

Deno.test("announceHttp() reports a failure reason, with or without an error status", async () => {
  for (const status of [200, 400]) {
    await using tracker = fakeTracker(() =>
      respond(encode({ "failure reason": "Requested download is not authorized" }), { status })
    );
    const error = await rejection(announceHttp(tracker.url, request));
    assert.equal(error.url, tracker.url);
    assert.equal(
      error.message,
      "Cannot announce: tracker failure reason: Requested download is not authorized",
    );
  }
  await using broken = fakeTracker(() => new Response("<h1>Bad gateway</h1>", { status: 502 }));
  assert.equal(
    (await rejection(announceHttp(broken.url, request))).message,
    "Cannot announce: tracker answered HTTP 502",
  );
});

Deno.test("announceHttp() rejects garbage replies", async () => {
  for (const body of ["<html>not bencode</html>", "i42e", "l5:peerse", ""]) {
    await using tracker = fakeTracker(() => new Response(body));
    await rejection(announceHttp(tracker.url, request));
  }
});

Deno.test("announceHttp() decompresses gzip and aborts a gzip bomb at 1 MiB of decoded bytes", async () => {
  const bomb = gzipSync(new Uint8Array(4 * 1024 * 1024), { level: 9 });
  assert.ok(bomb.length < 8 * 1024, `bomb is ${bomb.length} bytes`);
  await using tracker = fakeTracker((req) => {
    const payload = new URL(req.url).searchParams.has("bomb") ? bomb : gzipSync(okBody);
    return respond(payload, { headers: { "content-encoding": "gzip" } });
  });
  assert.equal((await announceHttp(tracker.url, request)).interval, 1800);
  const error = await rejection(announceHttp(`${tracker.url}?bomb=1`, request));
  assert.equal(error.message, "Cannot announce: tracker response is larger than 1048576 bytes");
});

Deno.test("announceHttp() aborts a plain body over 1 MiB, streamed or with a length", async () => {
  const big = new Uint8Array(1024 * 1024 + 1).fill(0x30);
  await using tracker = fakeTracker((req) => {
    if (!new URL(req.url).searchParams.has("stream")) return new Response(big);
    let sent = 0;
    return new Response(
      new ReadableStream({
        pull(controller) {
          if (sent > 4 * 1024 * 1024) return controller.close();
          controller.enqueue(new Uint8Array(64 * 1024));
          sent += 64 * 1024;
        },
      }),
    );
  });
  for (const url of [tracker.url, `${tracker.url}?stream=1`]) {
    const error = await rejection(announceHttp(url, request));
    assert.match(error.message, /larger than 1048576 bytes/);
  }
});

Deno.test("announceHttp() fails on malformed chunked encoding", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    for (const head of ["FFFFFFFFFFFFFFFFFFFFFFFF", "-5"]) {
      const conn = await listener.accept();
      await conn.read(new Uint8Array(4096));
      const response =
        `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n${head}\r\nd8:e`;
      await conn.write(new TextEncoder().encode(response)).catch(() => {});
      conn.close();
    }
  })();
  const url = `http://127.0.0.1:${listener.addr.port}/announce`;
  await rejection(announceHttp(url, request));
  await rejection(announceHttp(url, request));
  await served;
  listener.close();
});

Deno.test("announceHttp() follows up to 3 loopback redirects and no more", async () => {
  await using tracker = fakeTracker((req, base) => {
    const hops = Number(new URL(req.url).pathname.slice(1)) || 0;
    if (hops === 0) return respond(okBody);
    return new Response(null, { status: 302, headers: { location: `${base}/${hops - 1}` } });
  });
  assert.equal((await announceHttp(`${tracker.base}/3`, request)).interval, 1800);
  assert.equal(tracker.targets.length, 4);
  assert.match(
    (await rejection(announceHttp(`${tracker.base}/4`, request))).message,
    /more than 3 redirects/,
  );
});

Deno.test("announceHttp() refuses a redirect to another scheme", async () => {
  await using tracker = fakeTracker(() =>
    new Response(null, { status: 307, headers: { location: "file:///etc/passwd" } })
  );
  assert.match((await rejection(announceHttp(tracker.url, request))).message, /file: URL is not allowed/);
});

Deno.test("announceHttp() times out, honours abort signals and reports unreachable trackers", async () => {
  const release = Promise.withResolvers<void>();
  await using tracker = fakeTracker(async () => {
    await release.promise;
    return respond(okBody);
  });
  try {
    const slow = await rejection(announceHttp(tracker.url, request, { timeout: 50 }));
    assert.equal(slow.message, "Cannot announce: no reply within 50 ms");
    const controller = new AbortController();
    const pending = announceHttp(tracker.url, request, { signal: controller.signal });
    controller.abort(new Error("Torrent removed"));
    const aborted = await rejection(pending);
    assert.equal(aborted.message, "Cannot announce: aborted");
    assert.equal((aborted.cause as Error).message, "Torrent removed");
    assert.equal(
      (await rejection(announceHttp(tracker.url, request, { signal: controller.signal }))).message,
      "Cannot announce: aborted",
    );
  } finally {
    release.resolve();
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = listener.addr.port;
  listener.close();
  await rejection(announceHttp(`http://127.0.0.1:${closedPort}/announce`, request));
});

Deno.test("announceHttp() rejects bad URLs and bad requests", async () => {
  await rejection(announceHttp("udp://127.0.0.1:6969/announce", request));
  await rejection(announceHttp("not a url", request));
  await assert.rejects(
    announceHttp("http://127.0.0.1:1/", { ...request, infoHash: new Uint8Array(4) }),
    TypeError,
  );
  await assert.rejects(announceHttp("http://127.0.0.1:1/", { ...request, port: -1 }), RangeError);
});
