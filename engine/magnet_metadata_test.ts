import { deepEqual, equal, match } from "node:assert/strict";
import { createTorrent, parseMagnet } from "./metainfo/mod.ts";
import { parseTorrent } from "./metainfo/mod.ts";
import { magnetSelection, torrentFromMetadata, torrentWithPieceLayers } from "./magnet_metadata.ts";

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

Deno.test("magnetSelection() wants the so= files, and ignores indices past the file count with a warning", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/d`);
    for (const name of ["a", "b", "c"]) await Deno.writeFile(`${dir}/d/${name}`, new Uint8Array(100));
    const { info } = await createTorrent(`${dir}/d`, { pieceLength: 16384 });
    const torrent = torrentFromMetadata(info.infoBytes, []);
    const hex = info.infoHashHex;
    deepEqual(magnetSelection(parseMagnet(`magnet:?xt=urn:btih:${hex}`), torrent), {});
    deepEqual(magnetSelection(parseMagnet(`magnet:?xt=urn:btih:${hex}&so=0,2`), torrent), {
      priorities: [4, 0, 4],
    });
    const past = magnetSelection(parseMagnet(`magnet:?xt=urn:btih:${hex}&so=1,3-4`), torrent);
    deepEqual(past.priorities, [0, 4, 0]);
    equal(past.warning?.type, "select_only_ignored");
    if (past.warning?.type !== "select_only_ignored") throw new Error("unreachable");
    deepEqual(past.warning.indices, [3, 4]);
    equal(past.warning.fileCount, 3);
    match(
      past.warning.message,
      /Ignoring so= file indices 3,4 of [0-9a-f]{40}: the torrent has 3 files \(0\.\.2\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("torrentWithPieceLayers() adds fetched BEP 52 piece layers and keeps the info-hash", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/f`, new Uint8Array(100_000).fill(7));
    const { info } = await createTorrent(`${dir}/f`, { pieceLength: 16384, version: "v2" });
    const bare = torrentFromMetadata(info.infoBytes, ["udp://127.0.0.1:2"]);
    equal(parseTorrent(bare).pieceLayers, undefined);
    const full = parseTorrent(torrentWithPieceLayers(bare, info.pieceLayers!)!);
    equal(full.infoHashHex, info.infoHashHex);
    deepEqual(full.pieceLayers, info.pieceLayers);
    deepEqual(full.announceList, [["udp://127.0.0.1:2"]]);
    const [root] = info.pieceLayers!.keys();
    equal(torrentWithPieceLayers(bare, new Map([[root, new Uint8Array(32)]])), undefined, "a wrong layer");
    equal(torrentWithPieceLayers(new Uint8Array([1, 2]), info.pieceLayers!), undefined, "not a torrent");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
