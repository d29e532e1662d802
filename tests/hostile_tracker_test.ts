/**
 * Trackers that answer garbage (HOSTILE_INPUTS.md cases 28–33), seen through a ccbt Session: every bad tracker
 * gives a `tracker_error` alert with a message, the torrent keeps running, and a peer given directly (like
 * `--peer`) still completes the download.
 */

import { equal, match, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import dgram from "node:dgram";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createTorrent, Session } from "../mod.ts";
import { makePayload } from "./_helpers/files.ts";
import { AlertLog, waitForStatus } from "./_helpers/hostile_session.ts";

const MiB = 1024 * 1024;
const encoder = new TextEncoder();

/** Garbage answers by path; `served` counts the bytes each streamed. */
function fakeHttpTracker(served: Map<string, number>): Deno.HttpServer<Deno.NetAddr> {
  const count = (path: string, n: number) => served.set(path, (served.get(path) ?? 0) + n);
  const bomb = new Uint8Array(gzipSync(new Uint8Array(8 * MiB)));
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    count(path, 0);
    switch (path) {
      case "/not-bencode":
        return new Response("<html><body>502 Bad Gateway</body></html>");
      case "/list":
        return new Response("l8:intervali1800e5:peers0:e");
      case "/failure":
        return new Response("d14:failure reason17:torrent not founde");
      case "/truncated":
        return new Response("d8:intervali1800e5:peers600:\x7f\x00");
      case "/deep":
        return new Response("d5:peers" + "l".repeat(5000));
      case "/status-500":
        return new Response("Internal Server Error", { status: 500 });
      case "/redirect-loop":
        return new Response(null, { status: 302, headers: { location: "/redirect-loop" } });
      case "/gzip-bomb":
        count(path, bomb.length);
        return new Response(bomb, { headers: { "content-encoding": "gzip" } });
      case "/endless": {
        // A string that claims 99 MB and a body that never ends: the reader must stop at 1 MiB.
        const chunk = new Uint8Array(64 * 1024).fill(0x78);
        let first = true;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            const bytes = first ? encoder.encode("d5:peers99999999:") : chunk;
            first = false;
            count(path, bytes.length);
            controller.enqueue(bytes);
          },
          cancel() {
            // The client hung up: record it, since how much the server buffered before noticing is timing.
            served.set("/endless:cancelled", 1);
          },
        });
        return new Response(body);
      }
      default:
        return new Response("not found", { status: 404 });
    }
  });
}

const HTTP_CASES = [
  "/not-bencode",
  "/list",
  "/failure",
  "/truncated",
  "/deep",
  "/status-500",
  "/redirect-loop",
  "/gzip-bomb",
  "/endless",
];

/** A payload, a trackerless torrent of it (for the honest seeder) and one with `trackers`, same info-hash. */
async function makeTorrents(dir: string, trackers: string[]) {
  const seedDir = join(dir, "seed");
  await makePayload(seedDir, { files: [{ path: "data.bin", size: 5 * 16384 + 123 }] }, 9);
  const path = join(seedDir, "data.bin");
  const plain = await createTorrent(path, { pieceLength: 16384 });
  const tracked = await createTorrent(path, { pieceLength: 16384, trackers });
  equal(tracked.info.infoHashHex, plain.info.infoHashHex);
  return { seedDir, plain, tracked, data: await Deno.readFile(path) };
}

/** Runs `fn` with a seeding Session of `bytes` from `seedDir`; returns its listen port to `fn`. */
async function withHonestSeeder(
  bytes: Uint8Array,
  seedDir: string,
  fn: (port: number) => Promise<void>,
): Promise<void> {
  await using seeder = new Session({ listenHost: "127.0.0.1" });
  const seeding = await seeder.addTorrent({ torrent: bytes, savePath: seedDir });
  await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
  await fn(seeder.listenPort);
}

Deno.test("Session reports each garbage HTTP tracker as tracker_error and still downloads from a direct peer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hostile_tracker_" });
  const served = new Map<string, number>();
  const server = fakeHttpTracker(served);
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const { seedDir, plain, tracked, data } = await makeTorrents(dir, HTTP_CASES.map((p) => base + p));
    equal(tracked.info.announceList.length, HTTP_CASES.length, "one tier per tracker");
    await withHonestSeeder(plain.bytes, seedDir, async (seedPort) => {
      const session = new Session({ listenHost: "127.0.0.1" });
      const log = new AlertLog(session);
      try {
        // Every tier fails, so each tracker is tried once, in order; no peer is known yet.
        const handle = await session.addTorrent({ torrent: tracked.bytes, savePath: join(dir, "leech") });
        for (const path of HTTP_CASES) {
          const alert = await log.waitFor((a) => a.type === "tracker_error" && a.url === base + path, 10_000);
          ok(alert.type === "tracker_error");
          ok(alert.message.length > 0 && !alert.message.includes("\n"), `one-line message for ${path}`);
          match(alert.message, /^Cannot announce/, `${path}: ${alert.message}`);
        }
        equal(log.ofType("tracker_reply").length, 0);
        const failure = log.ofType("tracker_error").find((a) => a.url.endsWith("/failure"))!;
        match(failure.message, /torrent not found/);
        equal(handle.status().state, "downloading");

        handle.addPeer({ host: "127.0.0.1", port: seedPort });
        await waitForStatus(handle, (s) => s.state === "seeding", 15_000);
        equal(Buffer.compare(await Deno.readFile(join(dir, "leech", "data.bin")), data), 0);
        equal(log.ofType("torrent_error").length, 0);
      } finally {
        await session.close();
        await log.done;
      }
    });
    ok(
      served.get("/endless:cancelled") === 1,
      `the endless body was not abandoned (${served.get("/endless")} bytes)`,
    );
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A UDP tracker that answers every packet with garbage first, then (when `error`) a BEP 15 error reply. */
async function fakeUdpTracker(
  error: boolean,
): Promise<{ port: number; packets: () => number; close: () => Promise<void> }> {
  const socket = dgram.createSocket("udp4");
  let packets = 0;
  socket.on("message", (message, remote) => {
    packets++;
    const reply = (bytes: Uint8Array) => socket.send(bytes, remote.port, remote.address);
    const transactionId = message.length >= 16 ? message.subarray(12, 16) : new Uint8Array(4);
    reply(Uint8Array.of(1, 2, 3)); // shorter than any header
    reply(crypto.getRandomValues(new Uint8Array(16))); // random header, wrong transaction id
    reply(Uint8Array.of(0, 0, 0, 0, ...transactionId)); // a connect reply cut before the connection id
    reply(Uint8Array.of(0, 0, 0, 7, ...transactionId, ...new Uint8Array(90))); // unknown action 7
    if (error) reply(Uint8Array.of(0, 0, 0, 3, ...transactionId, ...encoder.encode("go away\x1b[31m")));
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return {
    port: socket.address().port,
    packets: () => packets,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

Deno.test("Session reports a UDP tracker's error reply, ignores UDP garbage, and still downloads from a direct peer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hostile_udp_" });
  const erring = await fakeUdpTracker(true);
  const garbage = await fakeUdpTracker(false);
  try {
    const errUrl = `udp://127.0.0.1:${erring.port}/announce`;
    const garbageUrl = `udp://127.0.0.1:${garbage.port}/announce`;
    const { seedDir, plain, tracked, data } = await makeTorrents(dir, [errUrl, garbageUrl]);
    await withHonestSeeder(plain.bytes, seedDir, async (seedPort) => {
      const session = new Session({ listenHost: "127.0.0.1" });
      const log = new AlertLog(session);
      try {
        const handle = await session.addTorrent({
          torrent: tracked.bytes,
          savePath: join(dir, "leech"),
          peers: [{ host: "127.0.0.1", port: seedPort }],
        });
        const alert = await log.waitFor((a) => a.type === "tracker_error" && a.url === errUrl, 10_000);
        ok(alert.type === "tracker_error");
        match(alert.message, /go away/);
        ok(
          !alert.message.includes("\x1b"),
          `control characters are not passed on: ${JSON.stringify(alert.message)}`,
        );
        // The garbage-only tracker would time out after the announce timeout (15 s); meanwhile nothing breaks.
        await waitForStatus(handle, (s) => s.state === "seeding", 15_000);
        equal(Buffer.compare(await Deno.readFile(join(dir, "leech", "data.bin")), data), 0);
        ok(garbage.packets() > 0, "the garbage tracker was asked");
        equal(log.ofType("tracker_reply").length, 0);
        equal(log.ofType("torrent_error").length, 0);
      } finally {
        await session.close();
        await log.done;
      }
    });
  } finally {
    await erring.close();
    await garbage.close();
    await Deno.remove(dir, { recursive: true });
  }
});
