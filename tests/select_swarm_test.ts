/**
 * File selection in an in-process swarm (BEP 53 `so`, file priorities): a leecher that wants one file of a
 * multi-file torrent whose file boundaries fall inside pieces downloads only the pieces of that file, writes the
 * boundary bytes into its neighbours, never creates the other files, finishes without telling the tracker
 * `completed`, keeps its selection across a restart, and downloads the rest when the selection grows.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { AlertLog, waitForStatus } from "./_helpers/hostile_session.ts";

const PIECE = 32 * 1024;
/**
 * a | b | c | d | e | empty, in the order `createTorrent` sorts them: every boundary inside a piece (pieces of
 * 32 KiB, 9 in all).
 */
const FILES = [
  { path: "a.bin", size: 50_000 }, // 0..49999: pieces 0-1
  { path: "b.bin", size: 70_000 }, // 50000..119999: pieces 1-3
  { path: "c/c.bin", size: 40_000 }, // 120000..159999: pieces 3-4
  { path: "d.bin", size: 100_000 }, // 160000..259999: pieces 4-7
  { path: "e.bin", size: 30_000 }, // 260000..289999: pieces 7-8
  { path: "z.txt", size: 0 },
];

/** An HTTP tracker on 127.0.0.1 that records every announce's query and answers with no peers. */
function recordingTracker(announces: URLSearchParams[]): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    announces.push(new URL(request.url).searchParams);
    return new Response("d8:intervali1800e5:peers0:e");
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function bytesOf(path: string, from: number, to: number): Promise<Uint8Array> {
  return (await Deno.readFile(path)).subarray(from, to);
}

Deno.test("Session downloads only the selected file, keeps the selection across a restart, and grows it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_select_" });
  const announces: URLSearchParams[] = [];
  await using tracker = recordingTracker(announces);
  try {
    const source = join(dir, "seed");
    await makePayload(join(source, "album"), { files: FILES }, 53);
    const { bytes, info } = await createTorrent(join(source, "album"), {
      pieceLength: PIECE,
      trackers: [[`http://127.0.0.1:${tracker.addr.port}/announce`]],
    });
    equal(info.pieceCount, 9);
    deepEqual(info.files.map((f) => f.path.slice(1).join("/")), FILES.map((f) => f.path));

    await using seeder = new Session({ listenHost: "127.0.0.1" });
    const seeding = await seeder.addTorrent({ torrent: bytes, savePath: source });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
    const peers = [{ host: "127.0.0.1", port: seeder.listenPort }];

    const out = join(dir, "leech");
    const album = join(out, "album");
    const stateDir = join(dir, "state");
    const only = [0, 4, 0, 0, 0, 0];
    {
      await using leecher = new Session({ listenHost: "127.0.0.1", stateDir });
      const log = new AlertLog(leecher);
      const handle = await leecher.addTorrent({ torrent: bytes, savePath: out, peers, filePriorities: only });
      await log.waitFor((a) => a.type === "torrent_finished", 20_000);
      const status = handle.status();
      equal(status.state, "seeding");
      equal(status.progress, 1);
      equal(status.wantedLength, 3 * PIECE, "pieces 1, 2 and 3");
      equal(status.wantedVerifiedBytes, 3 * PIECE);
      equal(status.verifiedBytes, 3 * PIECE);
      equal(status.piecesHave, 3);
      deepEqual(handle.filePriorities(), only);
      deepEqual(log.ofType("piece_finished").map((a) => a.piece).sort(), [1, 2, 3]);

      // b in full; a and c hold only the bytes of the pieces they share with b (written sparse).
      deepEqual(
        await Deno.readFile(join(album, "b.bin")),
        await Deno.readFile(join(source, "album", "b.bin")),
      );
      equal((await Deno.stat(join(album, "a.bin"))).size, 50_000);
      deepEqual(
        await bytesOf(join(album, "a.bin"), PIECE, 50_000),
        await bytesOf(join(source, "album/a.bin"), PIECE, 50_000),
      );
      equal((await Deno.stat(join(album, "c/c.bin"))).size, 4 * PIECE - 120_000);
      deepEqual(
        await Deno.readFile(join(album, "c/c.bin")),
        await bytesOf(join(source, "album/c/c.bin"), 0, 4 * PIECE - 120_000),
      );
      for (const name of ["d.bin", "e.bin", "z.txt"]) {
        ok(!(await exists(join(album, name))), `${name} exists`);
      }
    }
    const port = (params: URLSearchParams) => params.get("port");
    const ours = () => announces.filter((a) => a.get("left") !== "0" || a.get("event") === "completed");
    ok(ours().length > 0, "the leecher announced");
    ok(!ours().some((a) => a.get("event") === "completed"), "a partial download is not completed");
    ok(ours().every((a) => Number(a.get("left")) >= info.totalLength - 3 * PIECE), "left counts every piece");

    // A restart with the state dir and no priorities given: the recorded selection, nothing fetched again.
    {
      await using leecher = new Session({ listenHost: "127.0.0.1", stateDir });
      const log = new AlertLog(leecher);
      const handle = await leecher.addTorrent({ torrent: bytes, savePath: out, peers });
      await waitForStatus(handle, (s) => s.state === "seeding" && s.peers > 0, 10_000);
      deepEqual(handle.filePriorities(), only);
      equal(handle.status().piecesHave, 3);
      equal(handle.status().downloaded, 0);
      equal(log.ofType("state_warning").length, 0, "nothing was rechecked");
      ok(!(await exists(join(album, "d.bin"))));

      // The selection grows while running: the torrent downloads again, then finishes with every file.
      handle.setFilePriorities(FILES.map(() => 4));
      equal(handle.status().state, "downloading");
      await waitForStatus(handle, (s) => s.state === "seeding", 20_000);
      equal(handle.status().piecesHave, info.pieceCount);
      equal(handle.status().downloaded, info.totalLength - 3 * PIECE);
      await assertSameTree(join(source, "album"), album);
      await waitForStatus(handle, () => announces.some((a) => a.get("event") === "completed"), 5_000);
      const completed = announces.filter((a) => a.get("event") === "completed");
      equal(completed.length, 1);
      equal(completed[0].get("left"), "0");
      equal(port(completed[0]), String(leecher.listenPort));
    }

    // A third start keeps the grown selection.
    await using again = new Session({ listenHost: "127.0.0.1", stateDir });
    const handle = await again.addTorrent({ torrent: bytes, savePath: out });
    await waitForStatus(handle, (s) => s.state === "seeding", 10_000);
    deepEqual(handle.filePriorities(), FILES.map(() => 4));
  } finally {
    await tracker.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Session lets a running torrent drop files: it finishes with what it has", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_select_" });
  try {
    const source = join(dir, "seed");
    await makePayload(join(source, "album"), { files: FILES }, 54);
    const { bytes, info } = await createTorrent(join(source, "album"), { pieceLength: PIECE });
    await using leecher = new Session({ listenHost: "127.0.0.1" });
    const log = new AlertLog(leecher);
    // No peer: nothing arrives. Keeping only the empty file leaves nothing to download.
    const handle = await leecher.addTorrent({ torrent: bytes, savePath: join(dir, "leech") });
    await waitForStatus(handle, (s) => s.state === "downloading", 10_000);
    handle.setFilePriorities([0, 0, 0, 0, 0, 7]);
    await log.waitFor((a) => a.type === "torrent_finished", 5_000);
    const status = handle.status();
    equal(status.state, "seeding");
    equal(status.progress, 1);
    equal(status.wantedLength, 0);
    equal(status.piecesHave, 0);
    ok(await exists(join(dir, "leech", "album", "z.txt")), "a wanted empty file is created");
    ok(!(await exists(join(dir, "leech", "album", "a.bin"))));
    let error: unknown;
    try {
      handle.setFilePriorities([4]);
    } catch (e) {
      error = e;
    }
    ok(error instanceof RangeError);
    ok(info.files.length === 6);
    let added: unknown;
    try {
      await leecher.addTorrent({ torrent: bytes, savePath: join(dir, "other"), filePriorities: [1, 2, 3] });
    } catch (e) {
      added = e;
    }
    ok(added instanceof RangeError, String(added));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Session treats a deleted unwanted file as the loss of the pieces it shared, not as an error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_select_" });
  try {
    const source = join(dir, "seed");
    await makePayload(join(source, "album"), { files: FILES }, 55);
    const { bytes } = await createTorrent(join(source, "album"), { pieceLength: PIECE });
    await using seeder = new Session({ listenHost: "127.0.0.1" });
    await waitForStatus(
      await seeder.addTorrent({ torrent: bytes, savePath: source }),
      (s) => s.state === "seeding",
      10_000,
    );
    const peers = [{ host: "127.0.0.1", port: seeder.listenPort }];
    const out = join(dir, "leech");
    const stateDir = join(dir, "state");
    {
      await using leecher = new Session({ listenHost: "127.0.0.1", stateDir });
      const log = new AlertLog(leecher);
      await leecher.addTorrent({ torrent: bytes, savePath: out, peers, filePriorities: [0, 4, 0, 0, 0, 0] });
      await log.waitFor((a) => a.type === "torrent_finished", 20_000);
      // a.bin only held the start of piece 1 for b.bin's sake: the user deletes it.
      await Deno.remove(join(out, "album", "a.bin"));
      await leecher.close();
      equal(log.ofType("torrent_error").length, 0, JSON.stringify(log.ofType("torrent_error")));
    }
    await using leecher = new Session({ listenHost: "127.0.0.1", stateDir });
    const log = new AlertLog(leecher);
    const handle = await leecher.addTorrent({ torrent: bytes, savePath: out, peers });
    await log.waitFor((a) => a.type === "torrent_finished", 20_000);
    deepEqual(log.ofType("piece_finished").map((a) => a.piece), [1], "only the lost piece comes again");
    equal(log.ofType("state_warning").length, 0, "a missing unwanted file is no news");
    equal(handle.status().piecesHave, 3);
    deepEqual(
      await bytesOf(join(out, "album", "a.bin"), PIECE, 50_000),
      await bytesOf(join(source, "album", "a.bin"), PIECE, 50_000),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
