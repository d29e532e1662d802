import { deepEqual, equal } from "node:assert/strict";
import { createTorrent } from "./metainfo/mod.ts";
import { parseTorrent } from "./metainfo/mod.ts";
import { torrentFromMetadata } from "./magnet_metadata.ts";

Deno.test("torrentFromMetadata() keeps the info bytes, so the info-hash, and adds the magnet's trackers as tiers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/f`, new Uint8Array(40_000).fill(7));
    const { info } = await createTorrent(`${dir}/f`, { pieceLength: 16384 });
    const bare = parseTorrent(torrentFromMetadata(info.infoBytes, []));
    equal(bare.infoHashHex, info.infoHashHex);
    deepEqual(bare.announceList, []);
    const trackers = ["http://127.0.0.1:1/announce", "udp://127.0.0.1:2"];
    const tracked = parseTorrent(torrentFromMetadata(info.infoBytes, trackers));
    equal(tracked.infoHashHex, info.infoHashHex);
    deepEqual(tracked.announceList, [[trackers[0]], [trackers[1]]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
