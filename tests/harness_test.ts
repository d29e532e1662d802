/**
 * Tests of the interop harness itself: payload trees, child processes, and real clients (libtorrent,
 * Transmission 3, aria2, opentracker) talking to each other on 127.0.0.1, without ccbt.
 */

import { AssertionError, deepEqual, equal, match, notDeepEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { freeTcpPort, ManagedProcess, waitForTcpPort } from "./_helpers/process.ts";
import {
  libtorrentCreate,
  libtorrentInfoHash,
  runLibtorrentLeecher,
  startLibtorrentSeeder,
} from "./_helpers/libtorrent.ts";
import { runTransmissionLeecher } from "./_helpers/transmission.ts";
import { runAria2Leecher } from "./_helpers/aria2.ts";
import { startOpentracker } from "./_helpers/opentracker.ts";

const ODD_FILES = [
  { path: "a/first.bin", size: 300_001 },
  { path: "a/b/second.bin", size: 16_383 },
  { path: "third.bin", size: 1 },
  { path: "fourth.bin", size: 65_537 },
];

async function withTempDir(prefix: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("makePayload() writes the same bytes for the same seed and different bytes otherwise", async () => {
  await withTempDir("harness_payload_", async (dir) => {
    const spec = {
      files: [{ path: "x/one.bin", size: 100_003 }, { path: "two.bin", size: 100_003 }, {
        path: "zero",
        size: 0,
      }],
    };
    const made = await makePayload(join(dir, "a"), spec, 42);
    equal(made.totalSize, 200_006);
    await makePayload(join(dir, "b"), spec, 42);
    await makePayload(join(dir, "c"), spec, 43);
    await assertSameTree(join(dir, "a"), join(dir, "b"));
    const one = await Deno.readFile(join(dir, "a/x/one.bin"));
    const two = await Deno.readFile(join(dir, "a/two.bin"));
    const oneOtherSeed = await Deno.readFile(join(dir, "c/x/one.bin"));
    equal(one.length, 100_003);
    equal((await Deno.stat(join(dir, "a/zero"))).size, 0);
    notDeepEqual(one, two, "files of one payload differ");
    notDeepEqual(one, oneOtherSeed, "seeds change the bytes");
    ok(new Set(one.subarray(0, 4096)).size > 200, "bytes look random");
  });
});

Deno.test("makePayload() rejects negative sizes and paths that leave the directory", async () => {
  await withTempDir("harness_payload_bad_", async (dir) => {
    await rejects(makePayload(dir, { files: [{ path: "a", size: -1 }] }), RangeError);
    await rejects(makePayload(dir, { files: [{ path: "../a", size: 1 }] }), RangeError);
    await rejects(makePayload(dir, { files: [{ path: "/etc/a", size: 1 }] }), RangeError);
    await rejects(makePayload(dir, { files: [{ path: "a//b", size: 1 }] }), RangeError);
  });
});

Deno.test("assertSameTree() reports missing, extra, resized and changed files", async () => {
  await withTempDir("harness_tree_", async (dir) => {
    const spec = { files: [{ path: "d/f.bin", size: 3 * 1024 * 1024 + 5 }, { path: "g.bin", size: 10 }] };
    const a = join(dir, "a");
    const b = join(dir, "b");
    await makePayload(a, spec);
    await makePayload(b, spec);
    await assertSameTree(a, b);

    using file = await Deno.open(join(b, "d/f.bin"), { read: true, write: true });
    await file.seek(2 * 1024 * 1024 + 7, Deno.SeekMode.Start);
    const byte = new Uint8Array(1);
    await file.read(byte);
    await file.seek(-1, Deno.SeekMode.Current);
    await file.write(new Uint8Array([byte[0] ^ 0x01]));
    await rejects(assertSameTree(a, b), (e: Error) => {
      ok(e instanceof AssertionError);
      match(e.message, /bytes differ for d\/f\.bin at offset 2097159/);
      return true;
    });

    await Deno.writeFile(join(b, "g.bin"), new Uint8Array(11));
    await Deno.writeFile(join(b, "extra"), new Uint8Array(0));
    await Deno.remove(join(a, "d/f.bin"));
    await rejects(assertSameTree(a, b), (e: Error) => {
      match(e.message, /size differs for g\.bin: 10 vs 11 bytes/);
      match(e.message, /only in .*b: d\/f\.bin/);
      match(e.message, /only in .*b: extra/);
      return true;
    });
    await rejects(assertSameTree(a, b, { ignoreEmptyFiles: true }), (e: Error) => !/extra/.test(e.message));
    await Deno.remove(join(b, "d/f.bin"));
    await Deno.writeFile(join(b, "g.bin"), await Deno.readFile(join(a, "g.bin")));
    await assertSameTree(a, b, { ignoreEmptyFiles: true });
    await assertSameTree(a, b, { ignore: (p) => p === "extra" });
  });
});

Deno.test("assertSameTree() finds any single flipped byte (property)", async () => {
  await withTempDir("harness_tree_prop_", async (dir) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.nat(),
        async (sizes, fileIndex, offsetSeed) => {
          const root = join(dir, String(run++));
          const spec = { files: sizes.map((size, i) => ({ path: `f${i}`, size })) };
          await makePayload(join(root, "a"), spec, run);
          await makePayload(join(root, "b"), spec, run);
          await assertSameTree(join(root, "a"), join(root, "b"));
          const target = spec.files[fileIndex % spec.files.length];
          const offset = offsetSeed % target.size;
          const path = join(root, "b", target.path);
          const bytes = await Deno.readFile(path);
          bytes[offset] ^= 0x80;
          await Deno.writeFile(path, bytes);
          await rejects(
            assertSameTree(join(root, "a"), join(root, "b")),
            (e: Error) => e.message.includes(`bytes differ for ${target.path} at offset ${offset}`),
          );
        },
      ),
      { numRuns: 25 },
    );
  });
});

Deno.test("ManagedProcess.waitForLine() sees lines printed before and after the call, on both pipes", async () => {
  await using child = ManagedProcess.spawn("sh", {
    args: ["-c", "echo early; printf 'a\\rb\\r'; sleep 0.3; echo late >&2; sleep 30"],
  });
  await child.waitForLine((l) => l.text === "late", { timeoutMs: 5_000, stream: "stderr" });
  const early = await child.waitForLine((l) => l.text === "early", { timeoutMs: 1 });
  equal(early.stream, "stdout");
  deepEqual(child.lines.map((l) => l.text), ["early", "a", "b", "late"]);
  match(child.output, /stderr\| late/);
  const status = await child.close();
  equal(status.signal, "SIGTERM");
});

Deno.test("ManagedProcess.waitForLine() rejects when the process exits or the time is up", async () => {
  await using quick = ManagedProcess.spawn("sh", { args: ["-c", "echo bye; exit 3"] });
  await rejects(
    quick.waitForLine((l) => l.text === "never", { timeoutMs: 10_000 }),
    /exited with code 3; last output:\n {2}stdout\| bye/,
  );
  equal((await quick.status).code, 3);
  await rejects(quick.waitForLine((l) => l.text === "never", { timeoutMs: 10 }), /exited with code 3/);

  await using slow = ManagedProcess.spawn("sleep", { args: ["30"] });
  await rejects(slow.waitForLine(() => true, { timeoutMs: 50 }), /no match within 50 ms/);
});

Deno.test("ManagedProcess.close() escalates to SIGKILL when SIGTERM is ignored", async () => {
  await using child = ManagedProcess.spawn("sh", { args: ["-c", "trap '' TERM; echo ready; exec sleep 30"] });
  await child.waitForLine((l) => l.text === "ready", { timeoutMs: 5_000 });
  const status = await child.close({ graceMs: 100 });
  equal(status.signal, "SIGKILL");
  equal(await child.close(), status, "closing twice returns the same status");
});

Deno.test("ManagedProcess.close() also stops grandchildren that hold the pipes", async () => {
  await using child = ManagedProcess.spawn("sh", { args: ["-c", "sleep 30 & sleep 30 & echo ready; wait"] });
  await child.waitForLine((l) => l.text === "ready", { timeoutMs: 5_000 });
  const started = Date.now();
  const status = await child.close({ graceMs: 10_000 });
  equal(status.signal, "SIGTERM");
  ok(Date.now() - started < 5_000, "the pipes closed without waiting for the sleeps");
});

Deno.test("ManagedProcess.spawn() with hardTimeoutMs kills the child without help", async () => {
  await using child = ManagedProcess.spawn("sleep", { args: ["30"], hardTimeoutMs: 500 });
  const status = await child.status;
  equal(status.code, 124, "coreutils timeout reports the timeout");
});

Deno.test("freeTcpPort() returns a port that waitForTcpPort() sees once something listens", async () => {
  const port = freeTcpPort();
  ok(port > 0 && port < 65536);
  await rejects(waitForTcpPort(port, { timeoutMs: 150 }), /nothing listening after 150 ms/);
  using listener = Deno.listen({ hostname: "127.0.0.1", port });
  const accepted = listener.accept();
  await waitForTcpPort(port, { timeoutMs: 5_000 });
  (await accepted).close();
});

Deno.test("libtorrentCreate() writes v1 torrents without pad files, and hybrid ones on request", async () => {
  await withTempDir("harness_create_", async (dir) => {
    await makePayload(join(dir, "payload"), { files: ODD_FILES });
    const v1 = await libtorrentCreate(join(dir, "payload"), join(dir, "v1.torrent"), {
      pieceLength: 16 * 1024,
      trackers: ["http://127.0.0.1:1/announce"],
    });
    match(v1.infoHash, /^[0-9a-f]{40}$/);
    equal(v1.infoHashV2, null);
    equal(v1.name, "payload");
    equal(v1.numFiles, ODD_FILES.length);
    equal(v1.totalSize, ODD_FILES.reduce((sum, f) => sum + f.size, 0));
    equal(v1.numPieces, Math.ceil(v1.totalSize / (16 * 1024)));
    equal(await libtorrentInfoHash(join(dir, "v1.torrent")), v1.infoHash);

    const hybrid = await libtorrentCreate(join(dir, "payload"), join(dir, "hybrid.torrent"), {
      kind: "hybrid",
    });
    match(hybrid.infoHashV2 ?? "", /^[0-9a-f]{64}$/);
    ok(hybrid.numFiles > ODD_FILES.length, "hybrid torrents align files with pad files");

    await rejects(libtorrentCreate(join(dir, "missing"), join(dir, "x.torrent")), /does not exist/);
    await Deno.writeTextFile(join(dir, "bad.torrent"), "d4:infoi1ee");
    await rejects(libtorrentInfoHash(join(dir, "bad.torrent")), /Cannot run lt_peer\.py infohash/);
  });
});

Deno.test("startLibtorrentSeeder() refuses data that does not match the torrent", async () => {
  await withTempDir("harness_bad_seed_", async (dir) => {
    await makePayload(join(dir, "data/payload"), { files: ODD_FILES });
    const torrentPath = join(dir, "t.torrent");
    await libtorrentCreate(join(dir, "data/payload"), torrentPath, { pieceLength: 16 * 1024 });
    await Deno.truncate(join(dir, "data/payload/fourth.bin"), 1000);
    await rejects(
      startLibtorrentSeeder({ torrentPath, dataDir: join(dir, "data") }),
      /Cannot seed .*incomplete/,
    );
  });
});

Deno.test("libtorrent seeder -> libtorrent leecher: a multi-file torrent with odd sizes, direct peer", async () => {
  await withTempDir("harness_lt_lt_", async (dir) => {
    const data = join(dir, "data");
    await makePayload(join(data, "payload"), { files: ODD_FILES }, 5);
    const torrentPath = join(dir, "t.torrent");
    const created = await libtorrentCreate(join(data, "payload"), torrentPath, { pieceLength: 32 * 1024 });
    await using seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data });
    equal(seeder.infoHash, created.infoHash);
    const saveDir = join(dir, "out");
    const result = await runLibtorrentLeecher({
      torrentPath,
      saveDir,
      peers: [`127.0.0.1:${seeder.port}`],
      timeoutMs: 30_000,
    });
    ok(result.finished, result.output);
    await assertSameTree(join(data, "payload"), join(saveDir, "payload"));
  });
});

Deno.test("libtorrent seeder -> libtorrent leecher: a magnet link, metadata from the peer (BEP 9)", async () => {
  await withTempDir("harness_lt_magnet_", async (dir) => {
    const data = join(dir, "data");
    await makePayload(data, { files: [{ path: "single.bin", size: 200_001 }] }, 6);
    const torrentPath = join(dir, "t.torrent");
    const { infoHash } = await libtorrentCreate(join(data, "single.bin"), torrentPath);
    await using seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data });
    const saveDir = join(dir, "out");
    const result = await runLibtorrentLeecher({
      magnet: `magnet:?xt=urn:btih:${infoHash}`,
      saveDir,
      peers: [`127.0.0.1:${seeder.port}`],
      timeoutMs: 30_000,
    });
    ok(result.finished, result.output);
    match(result.output, /metadata_received/);
    await assertSameTree(data, saveDir);
  });
});

Deno.test("libtorrent seeder -> Transmission leecher: the seeder connects to Transmission", async () => {
  await withTempDir("harness_lt_tr_", async (dir) => {
    const data = join(dir, "data");
    await makePayload(join(data, "show"), {
      files: [{ path: "ep1.bin", size: 180_007 }, { path: "extras/notes.txt", size: 999 }],
    }, 8);
    const torrentPath = join(dir, "t.torrent");
    await libtorrentCreate(join(data, "show"), torrentPath, { pieceLength: 16 * 1024 });
    const port = freeTcpPort();
    await using seeder = await startLibtorrentSeeder({
      torrentPath,
      dataDir: data,
      connect: [`127.0.0.1:${port}`],
    });
    const saveDir = join(dir, "out");
    await Deno.mkdir(saveDir);
    const result = await runTransmissionLeecher({ torrentPath, saveDir, port, timeoutMs: 45_000 });
    ok(result.finished, `${result.output}\nlibtorrent:\n${seeder.output}`);
    await assertSameTree(join(data, "show"), join(saveDir, "show"));
  });
});

Deno.test("libtorrent seeder + opentracker -> aria2 leecher: aria2 finds the seeder through the tracker", async () => {
  await withTempDir("harness_lt_aria2_", async (dir) => {
    const data = join(dir, "data");
    await makePayload(join(data, "album"), {
      files: [{ path: "01.flac", size: 210_011 }, { path: "02.flac", size: 33_333 }, {
        path: "cover.jpg",
        size: 4_097,
      }],
    }, 9);
    const probe = await libtorrentCreate(join(data, "album"), join(dir, "probe.torrent"), {
      pieceLength: 16 * 1024,
    });
    await using tracker = await startOpentracker({ infoHashes: [probe.infoHash] });
    const torrentPath = join(dir, "t.torrent");
    const created = await libtorrentCreate(join(data, "album"), torrentPath, {
      pieceLength: 16 * 1024,
      trackers: [tracker.httpUrl],
    });
    equal(created.infoHash, probe.infoHash, "the announce URL is outside the info dictionary");
    await using seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data, waitForTracker: true });
    const saveDir = join(dir, "out");
    const result = await runAria2Leecher({ torrentPath, saveDir, timeoutMs: 30_000 });
    ok(result.finished, `${result.output}\nlibtorrent:\n${seeder.output}`);
    await assertSameTree(join(data, "album"), join(saveDir, "album"));
  });
});
