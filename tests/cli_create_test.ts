/**
 * `ccbt create` for v2 and hybrid torrents (BEP 52) with every option, `ccbt info` showing the version, both
 * info-hashes and the file tree, and the clear refusals: conflicting flags, v2 piece lengths, bad web seeds.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { runCcbt } from "./_helpers/ccbt.ts";
import { makePayload } from "./_helpers/files.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_cli_create_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const FILES = [
  { path: "a.jpg", size: 50_000 },
  { path: "b/c.png", size: 1 },
  { path: "b/empty", size: 0 },
];

Deno.test("ccbt create --hybrid writes every option and ccbt info --json reads them back", async () => {
  await withTempDir(async (dir) => {
    await makePayload(join(dir, "pics"), { files: FILES });
    const torrent = join(dir, "pics.torrent");
    const created = await runCcbt([
      "create",
      join(dir, "pics"),
      "--output",
      torrent,
      "--hybrid",
      "--tracker",
      "http://127.0.0.1:1/announce, udp://127.0.0.1:2",
      "-t",
      "http://127.0.0.1:3/announce",
      "--web-seed",
      "http://127.0.0.1:8080/pics/",
      "-w",
      "https://mirror.example/pics/",
      "--piece-length",
      "32768",
      "--private",
      "--comment",
      "holiday",
      "--creator",
      "tester 1.0",
      "--json",
    ]);
    equal(created.code, 0, created.stderr);
    const made = JSON.parse(created.stdout);
    equal(made.version, "hybrid");
    match(made.infoHash, /^[0-9a-f]{40}$/);
    match(made.infoHashV2, /^[0-9a-f]{64}$/);

    const shown = await runCcbt(["info", torrent, "--json"]);
    equal(shown.code, 0, shown.stderr);
    const info = JSON.parse(shown.stdout);
    deepEqual(
      [info.version, info.infoHash, info.infoHashV2, info.private, info.comment, info.createdBy],
      ["hybrid", made.infoHash, made.infoHashV2, true, "holiday", "tester 1.0"],
    );
    deepEqual(info.trackers, [["http://127.0.0.1:1/announce", "udp://127.0.0.1:2"], [
      "http://127.0.0.1:3/announce",
    ]]);
    deepEqual(info.webSeeds, ["http://127.0.0.1:8080/pics/", "https://mirror.example/pics/"]);
    equal(info.pieceLength, 32_768);
    // a.jpg is padded to the piece boundary, then b/c.png (padded too: libtorrent pads every file), then b/empty.
    deepEqual(
      info.files.map((
        f: { path: string; length: number; padding?: boolean },
      ) => [f.path, f.length, f.padding ?? false]),
      [
        ["pics/a.jpg", 50_000, false],
        ["pics/.pad/15536", 15_536, true],
        ["pics/b/c.png", 1, false],
        ["pics/.pad/32767", 32_767, true],
        ["pics/b/empty", 0, false],
      ],
    );
    match(info.files[0].piecesRoot, /^[0-9a-f]{64}$/);
    equal(info.files[4].piecesRoot, undefined);
    deepEqual(info.fileTree, [{
      name: "pics",
      children: [
        { name: "a.jpg", index: 0, length: 50_000, piecesRoot: info.files[0].piecesRoot },
        {
          name: "b",
          children: [
            { name: "c.png", index: 2, length: 1, piecesRoot: info.files[2].piecesRoot },
            { name: "empty", index: 4, length: 0 },
          ],
        },
      ],
    }]);
  });
});

Deno.test("ccbt info shows a v2-only torrent's version, both info-hashes and its file tree", async () => {
  await withTempDir(async (dir) => {
    await makePayload(join(dir, "pics"), { files: FILES });
    const torrent = join(dir, "pics.torrent");
    const created = await runCcbt(["create", join(dir, "pics"), "-o", torrent, "--v2"]);
    equal(created.code, 0, created.stderr);
    match(
      created.stdout,
      /Created .*pics\.torrent \(v2\): pics, .* info-hash [0-9a-f]{40}, v2 info-hash [0-9a-f]{64}/,
    );

    const text = await runCcbt(["info", torrent]);
    equal(text.code, 0, text.stderr);
    match(text.stdout, /^Version:\s+v2 only/m);
    const v2 = /^Info-hash v2: ([0-9a-f]{64})$/m.exec(text.stdout)?.[1];
    ok(v2 !== undefined, text.stdout);
    match(text.stdout, new RegExp(`^Info-hash:\\s+${v2.slice(0, 40)} \\(v2, truncated\\)$`, "m"));
    match(
      text.stdout,
      /^File tree:\n {2}pics\/\n {4}a\.jpg {2}\(48\.8 KiB\) \[0\]\n {4}b\/\n {6}c\.png {2}\(1 B\) \[2\]/m,
    );

    const v1 = await runCcbt(["create", join(dir, "pics"), "-o", join(dir, "v1.torrent")]);
    equal(v1.code, 0, v1.stderr);
    const v1Text = await runCcbt(["info", join(dir, "v1.torrent")]);
    match(v1Text.stdout, /^Version:\s+v1/m);
    ok(!v1Text.stdout.includes("Info-hash v2"));
  });
});

Deno.test("ccbt create refuses conflicting versions and bad v2 piece lengths; download refuses v2-only", async () => {
  await withTempDir(async (dir) => {
    await makePayload(join(dir, "pics"), { files: FILES });
    const out = join(dir, "x.torrent");
    const both = await runCcbt(["create", join(dir, "pics"), "-o", out, "--v2", "--hybrid"]);
    equal(both.code, 2);
    match(both.stderr, /'--v2' cannot be used with option '--hybrid'/);
    const odd = await runCcbt([
      "create",
      join(dir, "pics"),
      "-o",
      out,
      "--hybrid",
      "--piece-length",
      "49152",
    ]);
    equal(odd.code, 2);
    match(odd.stderr, /piece length 49152 is not a power of two/);
    const badSeed = await runCcbt(["create", join(dir, "pics"), "-o", out, "--web-seed", "ftp://x/"]);
    equal(badSeed.code, 2);
    match(badSeed.stderr, /web seed "ftp:\/\/x\/" is not a http: or https: URL/);
  });
});
