/**
 * File selection from the command line: `ccbt magnet` honours the link's BEP 53 `so` against a libtorrent
 * seeder (and `--select` replaces it), `ccbt download --select` refuses indices the torrent does not have, and
 * `ccbt info` shows the indices to pick from.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent } from "../mod.ts";
import { jsonEvents, runCcbt } from "./_helpers/ccbt.ts";
import { makePayload } from "./_helpers/files.ts";
import { startLibtorrentSeeder } from "./_helpers/libtorrent.ts";

const PIECE = 16384;
/** Sorted as `createTorrent` lists them; every boundary falls inside a piece (9 pieces). */
const FILES = [
  { path: "a.flac", size: 40_001 }, // 0..40000: pieces 0-2
  { path: "b.txt", size: 30_000 }, // 40001..70000: pieces 2-4
  { path: "c.jpg", size: 50_000 }, // 70001..120000: pieces 4-7
  { path: "d.bin", size: 20_000 }, // 120001..140000: pieces 7-8
];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function slice(path: string, from: number, to: number): Promise<Uint8Array> {
  return (await Deno.readFile(path)).subarray(from, to);
}

Deno.test("ccbt magnet with so=1 downloads only file 1 (and its boundary pieces) from a libtorrent seeder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_cli_select_" });
  try {
    const data = join(dir, "seed");
    const src = join(data, "album");
    await makePayload(src, { files: FILES }, 53);
    const { bytes, info } = await createTorrent(src, { pieceLength: PIECE });
    deepEqual(info.files.map((f) => f.path[1]), FILES.map((f) => f.path));
    const torrentPath = join(dir, "album.torrent");
    await Deno.writeFile(torrentPath, bytes);
    await using seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data });
    const magnet = `magnet:?xt=urn:btih:${info.infoHashHex}&so=1&x.pe=127.0.0.1:${seeder.port}`;

    const out = join(dir, "out");
    const result = await runCcbt(["magnet", magnet, "--output", out, "--port", "0", "--no-seed", "--json"]);
    equal(result.code, 0, result.stderr);
    const events = jsonEvents(result.stdout);
    ok(events.some((e) => e.event === "completed" && e.infoHash === info.infoHashHex), result.stdout);
    const pieces = events.filter((e) => e.event === "piece").map((e) => e.piece as number).sort((x, y) =>
      x - y
    );
    deepEqual(pieces, [2, 3, 4]);

    const got = join(out, "album");
    deepEqual(await Deno.readFile(join(got, "b.txt")), await Deno.readFile(join(src, "b.txt")));
    // Piece 2 also holds the end of a.flac, piece 4 the start of c.jpg: written there, sparse before them.
    equal((await Deno.stat(join(got, "a.flac"))).size, 40_001);
    deepEqual(
      await slice(join(got, "a.flac"), 2 * PIECE, 40_001),
      await slice(join(src, "a.flac"), 2 * PIECE, 40_001),
    );
    deepEqual(
      await Deno.readFile(join(got, "c.jpg")),
      await slice(join(src, "c.jpg"), 0, 5 * PIECE - 70_001),
    );
    ok(!(await exists(join(got, "d.bin"))), "d.bin shares no piece with b.txt");

    // --select replaces the link's so=: file 3 only (piece 7 also holds the end of c.jpg).
    const other = join(dir, "other");
    const selected = await runCcbt([
      "magnet",
      magnet,
      "--select",
      "3",
      "--output",
      other,
      "--port",
      "0",
      "--no-seed",
      "--json",
    ]);
    equal(selected.code, 0, selected.stderr);
    deepEqual(await Deno.readFile(join(other, "album", "d.bin")), await Deno.readFile(join(src, "d.bin")));
    ok(!(await exists(join(other, "album", "b.txt"))));
    ok(!(await exists(join(other, "album", "a.flac"))));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ccbt info lists file indices, and ccbt download --select refuses ones the torrent lacks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_cli_select_" });
  try {
    await makePayload(join(dir, "album"), { files: FILES }, 54);
    const { bytes } = await createTorrent(join(dir, "album"), { pieceLength: PIECE });
    const torrent = join(dir, "album.torrent");
    await Deno.writeFile(torrent, bytes);

    const text = await runCcbt(["info", torrent]);
    equal(text.code, 0, text.stderr);
    match(text.stdout, /^\s+0\s+album\/a\.flac\s/m);
    match(text.stdout, /^\s+3\s+album\/d\.bin\s/m);
    const json = await runCcbt(["info", torrent, "--json"]);
    deepEqual(JSON.parse(json.stdout).files.map((f: { index: number }) => f.index), [0, 1, 2, 3]);

    const out = join(dir, "out");
    const beyond = await runCcbt(["download", torrent, "--output", out, "--select", "1,4", "--no-seed"]);
    equal(beyond.code, 2, beyond.stderr);
    match(beyond.stderr, /Cannot select file 4 of .*album\.torrent: it has 4 files/);
    const malformed = await runCcbt(["download", torrent, "--output", out, "--select", "2-1", "--no-seed"]);
    equal(malformed.code, 2, malformed.stderr);
    match(malformed.stderr, /Cannot parse file selection/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
