/**
 * v2 and hybrid torrents made by libtorrent (python3-libtorrent) verified through our DiskIos: every piece of the
 * original data checks, a copy made piece by piece through `hashAndWrite` is byte-identical, one corrupt byte fails
 * exactly its piece, and the executable attribute libtorrent records is applied.
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { libtorrentCreate } from "../../tests/_helpers/libtorrent.ts";
import { parseTorrent } from "../metainfo/parse_torrent.ts";
import type { TorrentInfo } from "../metainfo/types.ts";
import type { DiskIo, HashBackend } from "./disk_io.ts";
import { InlineDiskIo } from "./inline_disk_io.ts";
import { storageSpecOf } from "./storage_spec_of.ts";
import { WorkerDiskIo } from "./worker_disk_io.ts";

const PIECE = 32_768;
const SIZES: Record<string, number> = {
  "a.bin": 100_003, // four pieces, the last one short
  "run.sh": 40, // executable
  "sub/b.txt": 20_000, // under one piece: two blocks
  "sub/c": 65_536, // exactly two pieces
  "sub/d/e.dat": 1,
  "zero": 0,
};

async function sourceTree(root: string): Promise<void> {
  for (const [path, size] of Object.entries(SIZES)) {
    await Deno.mkdir(join(root, "tor", path, ".."), { recursive: true });
    const data = new Uint8Array(size).map((_, i) => (i * 131 + size * 7 + (i >> 9)) & 0xff);
    await Deno.writeFile(join(root, "tor", path), data, { mode: path === "run.sh" ? 0o755 : 0o644 });
  }
}

const CASES: {
  kind: "v2" | "hybrid";
  name: string;
  make: (backend: HashBackend) => DiskIo;
  backend: HashBackend;
}[] = [
  {
    kind: "v2",
    name: "WorkerDiskIo",
    make: (hashBackend) => new WorkerDiskIo({ workers: 2, hashBackend }),
    backend: "native",
  },
  {
    kind: "v2",
    name: "InlineDiskIo",
    make: (hashBackend) => new InlineDiskIo({ hashBackend }),
    backend: "wasm",
  },
  {
    kind: "hybrid",
    name: "WorkerDiskIo",
    make: (hashBackend) => new WorkerDiskIo({ workers: 2, hashBackend }),
    backend: "wasm",
  },
  {
    kind: "hybrid",
    name: "InlineDiskIo",
    make: (hashBackend) => new InlineDiskIo({ hashBackend }),
    backend: "native",
  },
];

for (const { kind, name, make, backend } of CASES) {
  Deno.test(`${name} (${backend}).checkPiece() passes a libtorrent ${kind} torrent's data and fails one bad byte`, async () => {
    const root = await Deno.realPath(await Deno.makeTempDir({ prefix: `ccbt_${kind}_interop_` }));
    const io = make(backend);
    try {
      await sourceTree(root);
      const torrentPath = join(root, "t.torrent");
      await libtorrentCreate(join(root, "tor"), torrentPath, { kind, pieceLength: PIECE });
      const info: TorrentInfo = parseTorrent(await Deno.readFile(torrentPath));
      assert.equal(info.version, kind);
      if (kind === "hybrid") assert.ok(info.files.some((file) => file.padding), "libtorrent pads hybrids");
      const source = await io.addStorage(storageSpecOf(info, root));
      const pieces = [...Array(info.pieceCount).keys()];
      assert.deepEqual(
        await Promise.all(pieces.map((p) => io.verifyPiece(source, p))),
        pieces.map(() => "ok"),
      );

      // Download it again piece by piece into another directory.
      const copyDir = join(root, "copy");
      await Deno.mkdir(copyDir);
      const copySpec = storageSpecOf(info, copyDir);
      const copy = await io.addStorage(copySpec);
      for (const p of pieces) {
        const size = Math.min(info.pieceLength, info.totalLength - p * info.pieceLength);
        const bytes = (await io.read(source, p, 0, size)).slice();
        assert.equal((await io.hashAndWrite(copy, p, bytes.buffer)).verdict, "ok", `piece ${p}`);
      }
      await io.sync(copy);
      for (const path of Object.keys(SIZES)) {
        assert.deepEqual(
          fs.readFileSync(join(copyDir, "tor", path)),
          fs.readFileSync(join(root, "tor", path)),
          path,
        );
      }
      assert.equal(fs.existsSync(join(copyDir, "tor", ".pad")), false, "padding never written");
      const run = info.files.findIndex((file) => file.path.at(-1) === "run.sh");
      assert.equal(info.files[run].executable, true, "libtorrent records the x attribute");
      assert.equal(fs.statSync(join(copyDir, "tor", "run.sh")).mode & 0o111, 0);
      await io.applyAttributes(copy, run);
      assert.equal(fs.statSync(join(copyDir, "tor", "run.sh")).mode & 0o777, 0o755);

      // One flipped byte in sub/b.txt fails exactly the piece that holds it.
      const b = info.files.find((file) => file.path.join("/") === "tor/sub/b.txt")!;
      const fd = fs.openSync(join(root, "tor", "sub", "b.txt"), "r+");
      const at = 16_500;
      const byte = new Uint8Array(1);
      fs.readSync(fd, byte, 0, 1, at);
      fs.writeSync(fd, new Uint8Array([byte[0] ^ 0x40]), 0, 1, at);
      fs.closeSync(fd);
      const bad = Math.floor((b.offset + at) / info.pieceLength);
      assert.deepEqual(
        await Promise.all(pieces.map((p) => io.checkPiece(source, p))),
        pieces.map((p) => p !== bad),
      );
    } finally {
      await io.close();
      await Deno.remove(root, { recursive: true });
    }
  });
}
