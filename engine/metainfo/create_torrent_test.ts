import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { decode } from "../bencode/mod.ts";
import { createTorrent } from "./create_torrent.ts";
import { parseTorrent } from "./parse_torrent.ts";
import { python } from "./_test_util.ts";

function random(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65_536) {
    crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65_536)));
  }
  return out;
}

/** Makes `files` (relative path → content) under a new temp dir; returns the dir. */
async function tree(files: Record<string, Uint8Array>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "ccbt_create_" });
  for (const [path, data] of Object.entries(files)) {
    const full = join(root, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    await Deno.writeFile(full, data);
  }
  return root;
}

function expectedPieces(data: Uint8Array[], pieceLength: number): Uint8Array {
  const all = new Uint8Array(data.reduce((n, d) => n + d.length, 0));
  let at = 0;
  for (const d of data) {
    all.set(d, at);
    at += d.length;
  }
  const out = new Uint8Array(Math.ceil(all.length / pieceLength) * 20);
  for (let i = 0; i * pieceLength < all.length; i++) {
    out.set(createHash("sha1").update(all.subarray(i * pieceLength, (i + 1) * pieceLength)).digest(), i * 20);
  }
  return out;
}

const LIBTORRENT_INFO_HASH = "import libtorrent as lt, sys; print(lt.torrent_info(sys.argv[1]).info_hash())";
const LIBTORRENT_RECHECK = `
import libtorrent as lt, sys, time
ses = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False, "enable_lsd": False,
                  "enable_upnp": False, "enable_natpmp": False})
h = ses.add_torrent({"ti": lt.torrent_info(sys.argv[1]), "save_path": sys.argv[2]})
deadline = time.time() + 30
while time.time() < deadline:
    s = h.status()
    if s.state == lt.torrent_status.seeding:
        break
    time.sleep(0.05)
print(h.status().state == lt.torrent_status.seeding, h.status().num_pieces)
`;

Deno.test("createTorrent() hashes a directory across file boundaries and libtorrent agrees", async () => {
  const files: Record<string, Uint8Array> = {
    "d/b.bin": random(100_001),
    "d/a/z.txt": random(3),
    "d/a/.hidden": random(16_384),
    "d/empty": new Uint8Array(),
    "d/c/deep/x": random(9 * 1024 * 1024 + 7),
  };
  const total = Object.values(files).reduce((n, data) => n + data.length, 0);
  const root = await tree(files);
  try {
    const progress: number[] = [];
    const { bytes, info } = await createTorrent(join(root, "d"), {
      pieceLength: 16_384,
      creationDate: 1_700_000_000,
      onProgress: (hashed, total) => {
        assert.equal(total, total);
        progress.push(hashed);
      },
    });
    const order = ["d/a/.hidden", "d/a/z.txt", "d/b.bin", "d/c/deep/x", "d/empty"];
    assert.deepEqual(info.files.map((f) => f.path.join("/")), order);
    assert.equal(info.name, "d");
    assert.equal(info.multiFile, true);
    assert.deepEqual(info.pieceHashes, expectedPieces(order.map((p) => files[p]), 16_384));
    assert.equal(progress.at(-1), total);
    assert.ok(progress.length > 1 && progress.every((p, i) => i === 0 || p > progress[i - 1]));
    assert.deepEqual(parseTorrent(bytes), info);

    const path = join(root, "d.torrent");
    await Deno.writeFile(path, bytes);
    assert.equal((await python(LIBTORRENT_INFO_HASH, path)).trim(), info.infoHashHex);
    assert.equal((await python(LIBTORRENT_RECHECK, path, root)).trim(), `True ${info.pieceCount}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createTorrent() writes a single-file torrent with every option", async () => {
  const data = random(50_000);
  const root = await tree({ "movie.mkv": data });
  try {
    const { bytes, info } = await createTorrent(join(root, "movie.mkv"), {
      trackers: [["http://127.0.0.1:6969/announce", "udp://127.0.0.1:6969"], ["https://t.example/a"]],
      private: true,
      comment: "a comment",
      creationDate: 1_600_000_000,
      webSeeds: ["http://127.0.0.1:8080/movie.mkv"],
    });
    assert.equal(info.name, "movie.mkv");
    assert.equal(info.multiFile, false);
    assert.deepEqual(info.files, [{ path: ["movie.mkv"], length: 50_000, offset: 0 }]);
    assert.equal(info.pieceLength, 16_384);
    assert.deepEqual(info.pieceHashes, expectedPieces([data], 16_384));
    assert.deepEqual(info.announceList, [
      ["http://127.0.0.1:6969/announce", "udp://127.0.0.1:6969"],
      ["https://t.example/a"],
    ]);
    assert.equal(info.private, true);
    assert.equal(info.comment, "a comment");
    assert.equal(info.createdBy, "ccbt/0.1.0");
    assert.equal(info.creationDate, 1_600_000_000);
    assert.deepEqual(info.urlList, ["http://127.0.0.1:8080/movie.mkv"]);
    const root0 = decode(bytes) as Map<string, unknown>;
    assert.deepEqual(root0.get("announce"), new TextEncoder().encode("http://127.0.0.1:6969/announce"));

    const path = join(root, "movie.torrent");
    await Deno.writeFile(path, bytes);
    assert.equal((await python(LIBTORRENT_INFO_HASH, path)).trim(), info.infoHashHex);
    assert.equal((await python(LIBTORRENT_RECHECK, path, root)).trim(), `True ${info.pieceCount}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createTorrent() writes announce-list only for more than one tracker", async () => {
  const root = await tree({ "f": random(10) });
  try {
    const one = decode(
      (await createTorrent(join(root, "f"), { trackers: ["udp://127.0.0.1:1"] })).bytes,
    ) as Map<
      string,
      unknown
    >;
    assert.ok(one.has("announce") && !one.has("announce-list"));
    const two = await createTorrent(join(root, "f"), {
      trackers: ["udp://127.0.0.1:1", "http://127.0.0.1:2/a"],
    });
    assert.deepEqual(two.info.announceList, [["udp://127.0.0.1:1"], ["http://127.0.0.1:2/a"]]);
    const none = decode((await createTorrent(join(root, "f"))).bytes) as Map<string, unknown>;
    assert.ok(!none.has("announce") && !none.has("announce-list") && none.has("creation date"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createTorrent() picks a piece length automatically", async () => {
  const root = await tree({ "f": random(40 * 1024 * 1024) });
  try {
    const { info } = await createTorrent(join(root, "f"));
    assert.equal(info.pieceLength, 32_768);
    assert.equal(info.pieceCount, 1280);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createTorrent() follows links inside and refuses links outside, loops and empty trees", async () => {
  const root = await tree({
    "d/real.txt": random(5),
    "outside.txt": random(5),
    "empty/sub/.keep": new Uint8Array(),
  });
  try {
    await Deno.symlink(join(root, "d", "real.txt"), join(root, "d", "link.txt"));
    const { info } = await createTorrent(join(root, "d"));
    assert.deepEqual(info.files.map((f) => f.path.join("/")), ["d/link.txt", "d/real.txt"]);

    await Deno.symlink(join(root, "outside.txt"), join(root, "d", "out.txt"));
    await assert.rejects(() => createTorrent(join(root, "d")), /symbolic link .*out\.txt points outside/);
    await Deno.remove(join(root, "d", "out.txt"));

    await Deno.symlink(join(root, "d"), join(root, "d", "loop"));
    await assert.rejects(() => createTorrent(join(root, "d")), /loops back/);
    await Deno.remove(join(root, "d", "loop"));

    await assert.rejects(() => createTorrent(join(root, "empty")), /holds 0 bytes/);
    await Deno.remove(join(root, "empty", "sub", ".keep"));
    await assert.rejects(() => createTorrent(join(root, "empty")), /contains no files/);
    await assert.rejects(() => createTorrent(join(root, "missing")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createTorrent() checks its options before reading anything", async () => {
  const path = "/nonexistent/never-read";
  for (const pieceLength of [0, 1000, 16_385, 1024 ** 3]) {
    await assert.rejects(() => createTorrent(path, { pieceLength }), RangeError);
  }
  await assert.rejects(() => createTorrent(path, { trackers: ["ftp://x/"] }), /tracker "ftp:\/\/x\/" is not/);
  await assert.rejects(() => createTorrent(path, { trackers: [["not a url"]] }), RangeError);
  await assert.rejects(() => createTorrent(path, { webSeeds: ["udp://x:1"] }), /web seed/);
  await assert.rejects(() => createTorrent(path, { creationDate: -1 }), RangeError);
  await assert.rejects(() => createTorrent(path, { creationDate: 1.5 }), RangeError);
});

// libtorrent's create_torrent for the same path and piece length; prints its v1 (or truncated v2) and v2 hashes.
const LIBTORRENT_CREATE_V2 = `
import libtorrent as lt, sys, os
src, out, kind, piece_length = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fs = lt.file_storage()
lt.add_files(fs, src)
ct = lt.create_torrent(fs, piece_length, flags=lt.create_torrent.v2_only if kind == "v2" else 0)
lt.set_piece_hashes(ct, os.path.dirname(src))
open(out, "wb").write(lt.bencode(ct.generate()))
h = lt.torrent_info(out).info_hashes()
print(str(h.v1) if h.has_v1() else "-", str(h.v2))
`;

Deno.test("createTorrent() writes v2 and hybrid torrents with libtorrent's info-hashes and piece layers", async () => {
  const root = await tree({
    "d/big.bin": random(100_003),
    "d/one": random(1),
    "d/sub/block": random(16_384),
    "d/sub/empty": new Uint8Array(),
    "d/sub/deeper/x.dat": random(70_001),
    "d/tail.txt": random(33),
  });
  try {
    await Deno.chmod(join(root, "d/one"), 0o755);
    for (const version of ["v2", "hybrid"] as const) {
      for (const pieceLength of [16_384, 65_536]) {
        const progress: number[] = [];
        const { bytes, info } = await createTorrent(join(root, "d"), {
          version,
          pieceLength,
          creationDate: 1_700_000_000,
          onProgress: (hashed) => progress.push(hashed),
        });
        assert.equal(info.version, version);
        assert.equal(progress.at(-1), 100_003 + 1 + 16_384 + 70_001 + 33);
        const path = join(root, `lt-${version}-${pieceLength}.torrent`);
        const [v1, v2] =
          (await python(LIBTORRENT_CREATE_V2, join(root, "d"), path, version, String(pieceLength)))
            .trim().split(" ");
        assert.equal(info.infoHashV2Hex, v2, `${version} ${pieceLength}`);
        assert.equal(info.infoHashHex, version === "v2" ? v2.slice(0, 40) : v1);
        const theirs = parseTorrent(await Deno.readFile(path));
        assert.deepEqual(theirs.infoBytes, info.infoBytes);
        assert.deepEqual(theirs.pieceLayers, info.pieceLayers);
        assert.deepEqual(theirs.files, info.files);
        assert.ok(info.files.some((f) => f.executable));
        assert.deepEqual(parseTorrent(bytes), info);
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createTorrent() writes a single-file v2 torrent without padding and with its piece layer", async () => {
  const data = random(50_000);
  const root = await tree({ "movie.mkv": data });
  try {
    const { info } = await createTorrent(join(root, "movie.mkv"), { version: "v2", pieceLength: 16_384 });
    // Only the synthetic tail padding to the piece boundary that libtorrent also counts (never written).
    assert.deepEqual(info.files.map((f) => [f.path, f.length, f.offset, f.padding === true]), [
      [["movie.mkv"], 50_000, 0, false],
      [[".pad", "15536"], 15_536, 50_000, true],
    ]);
    assert.equal(info.pieceCount, 4);
    assert.equal(info.pieceHashes.length, 0);
    const root0 = info.files[0].piecesRoot!;
    assert.equal(info.pieceLayers?.get(Buffer.from(root0).toString("hex"))?.length, 4 * 32);
    const hybrid = await createTorrent(join(root, "movie.mkv"), { version: "hybrid", pieceLength: 16_384 });
    assert.deepEqual(hybrid.info.files[0].piecesRoot, root0);
    assert.deepEqual(hybrid.info.pieceHashes, expectedPieces([data], 16_384));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createTorrent() needs a power-of-two piece length for v2 and hybrid", async () => {
  const path = "/nonexistent/never-read";
  for (const version of ["v2", "hybrid"] as const) {
    for (const pieceLength of [49_152, 8192, 1024 ** 3]) {
      await assert.rejects(() => createTorrent(path, { version, pieceLength }), /power of two/);
    }
  }
  await assert.rejects(
    () => createTorrent(path, { version: "v3" as "v2" }),
    /version "v3" is not v1, v2 or hybrid/,
  );
  const root = await tree({ "f": random(10) });
  try {
    const { info } = await createTorrent(join(root, "f"), { pieceLength: 49_152 });
    assert.equal(info.pieceLength, 49_152);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
