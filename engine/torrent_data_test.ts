import { deepEqual, equal } from "node:assert/strict";
import { join } from "node:path";
import { AlertQueue } from "./alerts.ts";
import { createTorrent } from "./metainfo/mod.ts";
import type { DiskIo, StorageSpec } from "./storage/disk_io.ts";
import { TorrentData } from "./torrent_data.ts";

Deno.test("TorrentData.openStorage() registers the piece layers fetched so far (BEP 52 magnet)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(join(dir, "f.bin"), new Uint8Array(100_000).fill(5));
    await Deno.mkdir(join(dir, "out"));
    const { info } = await createTorrent(join(dir, "f.bin"), { pieceLength: 16384, version: "v2" });
    const { pieceLayers, ...bare } = info;
    const specs: StorageSpec[] = [];
    const diskIo = {
      addStorage: (spec: StorageSpec) => Promise.resolve(specs.push(spec) - 1),
      removeStorage: () => Promise.resolve(),
    } as unknown as DiskIo;
    let fetched: ReadonlyMap<string, Uint8Array> | undefined = new Map();
    const data = new TorrentData({
      info: bare as typeof info,
      savePath: join(dir, "out"),
      diskIo,
      alerts: new AlertQueue(16),
      snapshot: () => {
        throw new Error("no checkpoint in this test");
      },
      fetchedLayers: () => fetched,
    });
    await data.openStorage();
    equal(specs[0].pieceLayers, undefined, "no layer known yet");
    fetched = pieceLayers;
    await data.openStorage();
    equal(data.storageId, 1);
    deepEqual([...specs[1].pieceLayers!], [...pieceLayers!], "registered again with the fetched layer");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
