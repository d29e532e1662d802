import assert from "node:assert/strict";
import { join } from "node:path";
import { parseTorrent } from "./parse_torrent.ts";
import { python } from "./_test_util.ts";

const LIBTORRENT_CREATE = `
import libtorrent as lt, sys, os
src, out, kind = sys.argv[1], sys.argv[2], sys.argv[3]
fs = lt.file_storage()
lt.add_files(fs, src)
ct = lt.create_torrent(fs, 0, flags=0 if kind == "hybrid" else lt.create_torrent.v1_only)
ct.add_tracker("http://127.0.0.1:6969/announce")
lt.set_piece_hashes(ct, os.path.dirname(src))
open(out, "wb").write(lt.bencode(ct.generate()))
`;
const LIBTORRENT_DESCRIBE = `
import libtorrent as lt, sys
ti = lt.torrent_info(sys.argv[1])
print(ti.info_hashes().v1)
fs = ti.files()
for i in range(fs.num_files()):
    if not fs.file_flags(i) & lt.file_storage.flag_pad_file:
        print(fs.file_path(i) + "\\t" + str(fs.file_size(i)) + "\\t" + str(fs.file_offset(i)))
`;

async function oddTree(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "ccbt_interop_" });
  const sizes: Record<string, number> = {
    "tree/a.bin": 100_003,
    "tree/sub/b.txt": 1,
    "tree/sub/c": 16_384,
    "tree/sub/deeper/d.dat": 70_001,
    "tree/zero": 0,
    "tree/é ü.txt": 33,
  };
  for (const [path, size] of Object.entries(sizes)) {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    const data = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
    await Deno.writeFile(join(root, path), data);
  }
  return root;
}

async function compareWithLibtorrent(torrentPath: string): Promise<void> {
  const info = parseTorrent(await Deno.readFile(torrentPath));
  const [hash, ...lines] = (await python(LIBTORRENT_DESCRIBE, torrentPath)).trim().split("\n");
  assert.equal(info.infoHashHex, hash);
  const ours = info.files.filter((f) => !f.padding).map((f) =>
    `${f.path.join("/")}\t${f.length}\t${f.offset}`
  );
  assert.deepEqual(ours, lines);
  assert.equal(info.pieceHashes.length, info.pieceCount * 20);
}

Deno.test("parseTorrent() reads torrents made by mktorrent and libtorrent like libtorrent does", async () => {
  const root = await oddTree();
  try {
    const source = join(root, "tree");
    const mk = await new Deno.Command("mktorrent", {
      args: ["-a", "http://127.0.0.1:6969/announce", "-l", "15", "-o", join(root, "mk.torrent"), source],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(mk.success, new TextDecoder().decode(mk.stderr));
    await compareWithLibtorrent(join(root, "mk.torrent"));
    const mkInfo = parseTorrent(await Deno.readFile(join(root, "mk.torrent")));
    assert.equal(mkInfo.pieceLength, 32_768);
    assert.deepEqual(mkInfo.announceList, [["http://127.0.0.1:6969/announce"]]);

    for (const kind of ["v1", "hybrid"]) {
      const out = join(root, `${kind}.torrent`);
      await python(LIBTORRENT_CREATE, source, out, kind);
      await compareWithLibtorrent(out);
    }
    const hybrid = parseTorrent(await Deno.readFile(join(root, "hybrid.torrent")));
    assert.ok(hybrid.files.some((f) => f.padding), "libtorrent hybrids have BEP 47 padding files");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
