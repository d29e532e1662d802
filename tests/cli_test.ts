/**
 * The `ccbt` command end to end: info, create, exit codes and messages for bad usage and bad input, NDJSON
 * output, and a download run with permissions scoped to the output directory and 127.0.0.1.
 */

import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";
import { jsonEvents, runCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_cli_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** One non-empty line on stderr. */
function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
  return lines[0];
}

Deno.test("ccbt create and ccbt info describe the same torrent", async () => {
  await withTempDir(async (dir) => {
    await makePayload(join(dir, "pics"), {
      files: [{ path: "a.jpg", size: 50_000 }, { path: "b/c.png", size: 1 }],
    });
    const torrent = join(dir, "pics.torrent");
    const created = await runCcbt([
      "create",
      join(dir, "pics"),
      "-o",
      torrent,
      "--tracker",
      "http://127.0.0.1:1/announce",
      "--tracker",
      "udp://127.0.0.1:2",
      "--piece-length",
      "16384",
      "--private",
      "--comment",
      "holiday",
      "--json",
    ]);
    equal(created.code, 0, created.stderr);
    const { infoHash } = JSON.parse(created.stdout);
    match(infoHash, /^[0-9a-f]{40}$/);

    const info = await runCcbt(["info", torrent, "--json"]);
    equal(info.code, 0, info.stderr);
    const parsed = JSON.parse(info.stdout);
    equal(parsed.infoHash, infoHash);
    equal(parsed.name, "pics");
    equal(parsed.totalLength, 50_001);
    equal(parsed.pieceLength, 16384);
    equal(parsed.pieceCount, 4);
    equal(parsed.private, true);
    equal(parsed.comment, "holiday");
    equal(
      JSON.stringify(parsed.trackers),
      JSON.stringify([["http://127.0.0.1:1/announce"], ["udp://127.0.0.1:2"]]),
    );
    equal(
      JSON.stringify(parsed.files.map((f: { path: string }) => f.path)),
      JSON.stringify(["pics/a.jpg", "pics/b/c.png"]),
    );

    const text = await runCcbt(["info", torrent]);
    equal(text.code, 0);
    match(text.stdout, new RegExp(`Info-hash:\\s+${infoHash}`));
    match(text.stdout, /pics\/b\/c\.png/);
  });
});

Deno.test("ccbt exits 2 with one clear message for bad usage and bad input", async () => {
  await withTempDir(async (dir) => {
    const garbage = join(dir, "garbage.torrent");
    await Deno.writeTextFile(garbage, "this is not bencode");
    const listTop = join(dir, "list.torrent");
    await Deno.writeTextFile(listTop, "li1ee");

    const missing = await runCcbt(["info", join(dir, "nope.torrent")]);
    equal(missing.code, 2);
    match(oneLine(missing.stderr), /nope\.torrent: no such file/);

    const bad = await runCcbt(["download", garbage, "-o", join(dir, "out"), "--no-seed"]);
    equal(bad.code, 2);
    match(oneLine(bad.stderr), /garbage\.torrent/);

    const notDict = await runCcbt(["info", listTop]);
    equal(notDict.code, 2);
    oneLine(notDict.stderr);

    const noOutput = await runCcbt(["download", garbage]);
    equal(noOutput.code, 2);
    match(noOutput.stderr, /--output/);

    const badPort = await runCcbt(["download", garbage, "-o", dir, "--port", "70000"]);
    equal(badPort.code, 2);

    const badPeer = await runCcbt(["download", garbage, "-o", dir, "--peer", "nohostport"]);
    equal(badPeer.code, 2);

    const unknown = await runCcbt(["frobnicate"]);
    equal(unknown.code, 2);

    const createMissing = await runCcbt(["create", join(dir, "nothing-here"), "-o", join(dir, "x.torrent")]);
    equal(createMissing.code, 2);
    oneLine(createMissing.stderr);
  });
});

Deno.test("ccbt download runs with permissions scoped to its directories and 127.0.0.1, and says which is missing", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "seed");
    await makePayload(join(data, "set"), {
      files: [{ path: "x.bin", size: 200_000 }, { path: "y.bin", size: 999 }],
    });
    const { bytes, info } = await createTorrent(join(data, "set"), { pieceLength: 16384 });
    const out = join(dir, "out");
    await Deno.mkdir(out);
    const torrent = join(out, "set.torrent");
    await Deno.writeFile(torrent, bytes);
    const state = join(dir, "state");

    await using seeder = new Session({ listenHost: "127.0.0.1" });
    await seeder.addTorrent({ torrent: bytes, savePath: data });
    const peer = `127.0.0.1:${seeder.listenPort}`;

    const scoped = await runCcbt(
      [
        "download",
        torrent,
        "-o",
        out,
        "--peer",
        peer,
        "--port",
        "0",
        "--bind",
        "127.0.0.1",
        "--no-seed",
        "--json",
        "--state-dir",
        state,
      ],
      {
        permissions: [
          `--allow-net=127.0.0.1`,
          `--allow-read=${out},${state}`,
          `--allow-write=${out},${state}`,
        ],
      },
    );
    equal(scoped.code, 0, scoped.stderr);
    ok((await Deno.stat(join(state, "ccbt.db"))).isFile, "the state database is in the state directory");
    ok(jsonEvents(scoped.stdout).some((e) => e.event === "completed" && e.infoHash === info.infoHashHex));
    await assertSameTree(join(data, "set"), join(out, "set"));

    const noNet = await runCcbt(
      ["download", torrent, "-o", join(out, "again"), "--peer", peer, "--port", "0", "--no-seed"],
      { permissions: [`--allow-read=${out}`, `--allow-write=${out}`] },
    );
    equal(noNet.code, 1);
    match(oneLine(noNet.stderr), /^ccbt: Permission denied: .*net access/);

    const noWrite = await runCcbt(
      [
        "download",
        torrent,
        "-o",
        join(dir, "elsewhere"),
        "--peer",
        peer,
        "--port",
        "0",
        "--bind",
        "127.0.0.1",
        "--no-seed",
      ],
      { permissions: [`--allow-net=127.0.0.1`, `--allow-read=${out}`, `--allow-write=${out}`] },
    );
    equal(noWrite.code, 1);
    match(oneLine(noWrite.stderr), /^ccbt: Permission denied: .*write access/);
  });
});

Deno.test("ccbt download runs several torrents in one session and stops seeding after --seed-time", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "seed");
    await makePayload(data, {
      files: [{ path: "one.bin", size: 123_457 }, { path: "two/two.bin", size: 65_537 }],
    });
    const one = await createTorrent(join(data, "one.bin"), { pieceLength: 16384 });
    const two = await createTorrent(join(data, "two"), { pieceLength: 32768 });
    await Deno.writeFile(join(dir, "one.torrent"), one.bytes);
    await Deno.writeFile(join(dir, "two.torrent"), two.bytes);

    await using seeder = new Session({ listenHost: "127.0.0.1" });
    await seeder.addTorrent({ torrent: one.bytes, savePath: data });
    await seeder.addTorrent({ torrent: two.bytes, savePath: data });
    const out = join(dir, "out");
    const args = ["--output", out, "--peer", `127.0.0.1:${seeder.listenPort}`, "--port", "0", "--json"];

    const batch = await runCcbt([
      "download",
      join(dir, "one.torrent"),
      join(dir, "two.torrent"),
      ...args,
      "--no-seed",
    ]);
    equal(batch.code, 0, batch.stderr);
    const events = jsonEvents(batch.stdout);
    for (const { info } of [one, two]) {
      ok(events.some((e) => e.event === "completed" && e.infoHash === info.infoHashHex), info.name);
      ok(
        events.some((e) =>
          e.event === "done" && e.infoHash === info.infoHashHex && e.reason === "downloaded"
        ),
      );
    }
    await assertSameTree(data, out);

    // Everything is there now: the run checks the data, seeds for a second, and exits by itself.
    const seeded = await runCcbt(["download", join(dir, "one.torrent"), ...args, "--seed-time", "1"]);
    equal(seeded.code, 0, seeded.stderr);
    const done = jsonEvents(seeded.stdout).find((e) => e.event === "done");
    equal(done?.reason, "seeded for 1 s");
  });
});
