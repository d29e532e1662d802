/**
 * BEP 52 hash exchange with libtorrent 2.0 (python3-libtorrent) on 127.0.0.1: a raw peer speaking the v2
 * handshake fetches every piece layer of a v2 torrent from a libtorrent seeder with `LayerFetcher`, and for a
 * spread of requests libtorrent's `hashes` payload is byte-for-byte what our `HashServer` answers.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createTorrent } from "../engine/metainfo/mod.ts";
import { HashServer, LayerFetcher } from "../engine/v2/mod.ts";
import { type HashRequestRef, makeReserved, type WireMessage } from "../engine/wire/mod.ts";
import { makePayload } from "./_helpers/files.ts";
import { startLibtorrentSeeder } from "./_helpers/libtorrent.ts";
import { ScriptedPeer } from "./_helpers/scripted_peer.ts";

const PIECE = 32 * 1024;

type HashAnswer = Extract<WireMessage, { type: "hashes" | "hash_reject" }>;

/** Sends one hash request and waits for its `hashes` or `hash reject`, skipping other messages. */
async function ask(peer: ScriptedPeer, request: HashRequestRef): Promise<HashAnswer> {
  await peer.sendMessages({ type: "hash_request", ...request });
  const answer = await peer.waitForMessage(
    (m) => (m.type === "hashes" || m.type === "hash_reject") && m.index === request.index,
    10_000,
  );
  return answer as HashAnswer;
}

Deno.test("libtorrent answers our BEP 52 hash requests: piece layers fetched and proofs equal to HashServer's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_lt_v2_hashes_" });
  try {
    const data = join(dir, "seed");
    // 700 pieces (two 512-hash chunks), 5 pieces, and a file of one piece.
    const files = [{ path: "big.bin", size: 700 * PIECE - 999 }, { path: "five.bin", size: 5 * PIECE - 1 }, {
      path: "small.txt",
      size: 1_000,
    }];
    await makePayload(join(data, "v2"), { files }, 21);
    const { bytes, info } = await createTorrent(join(data, "v2"), { version: "v2", pieceLength: PIECE });
    const torrentPath = join(dir, "v2.torrent");
    await Deno.writeFile(torrentPath, bytes);
    await using seeder = await startLibtorrentSeeder({ torrentPath, dataDir: data });

    using peer = await ScriptedPeer.connect(seeder.port);
    const reserved = makeReserved({ extensionProtocol: true, fast: true, v2: true });
    await peer.sendHandshake({ infoHash: info.infoHash, reserved });
    const handshake = await peer.readHandshake(10_000);
    assert.deepEqual(handshake.infoHash, info.infoHash);

    const fetcher = new LayerFetcher({ files: info.files, pieceLength: info.pieceLength });
    for (
      let request = fetcher.nextRequest(1, 0);
      request !== undefined;
      request = fetcher.nextRequest(1, 0)
    ) {
      const answer = await ask(peer, request);
      assert.equal(
        answer.type,
        "hashes",
        `libtorrent rejected ${JSON.stringify({ ...request, piecesRoot: 0 })}`,
      );
      if (answer.type === "hashes") assert.equal(fetcher.onHashes(1, answer).type, "accepted");
    }
    assert.equal(fetcher.complete, true);
    assert.deepEqual(new Map(fetcher.pieceLayers()), info.pieceLayers);

    // Other ranges at and above the piece layer: libtorrent's answer is exactly ours.
    const server = new HashServer(info);
    const big = info.files.find((f) => f.path.at(-1) === "big.bin")!.piecesRoot!; // 1400 blocks: height 11
    const five = info.files.find((f) => f.path.at(-1) === "five.bin")!.piecesRoot!; // 10 blocks: height 4
    const requests: HashRequestRef[] = [
      { piecesRoot: big, baseLayer: 1, index: 512, length: 512, proofLayers: 9 },
      { piecesRoot: big, baseLayer: 1, index: 640, length: 128, proofLayers: 9 },
      { piecesRoot: big, baseLayer: 1, index: 698, length: 2, proofLayers: 5 },
      { piecesRoot: big, baseLayer: 1, index: 8, length: 4, proofLayers: 0 },
      { piecesRoot: big, baseLayer: 3, index: 16, length: 16, proofLayers: 7 },
      { piecesRoot: big, baseLayer: 9, index: 0, length: 4, proofLayers: 1 },
      { piecesRoot: five, baseLayer: 1, index: 4, length: 4, proofLayers: 2 },
      { piecesRoot: five, baseLayer: 2, index: 2, length: 2, proofLayers: 1 },
    ];
    for (const request of requests) {
      const ours = await server.answer(request);
      assert.equal(ours.type, "hashes");
      const theirs = await ask(peer, request);
      const what = JSON.stringify({ ...request, piecesRoot: undefined });
      assert.equal(theirs.type, "hashes", `libtorrent rejected ${what}`);
      if (ours.type === "hashes" && theirs.type === "hashes") {
        assert.deepEqual(theirs.hashes, ours.hashes, what);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
