/**
 * BEP 52 upgrade path on the listening side: a session serving a hybrid torrent answers a handshake carrying the
 * truncated v2 info-hash with that same info-hash (and the v1 one with the v1 one); a v1 torrent knows no v2 hash.
 */

import { deepEqual, equal } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";
import { makePayload } from "./_helpers/files.ts";
import { ScriptedPeer } from "./_helpers/scripted_peer.ts";
import { waitForStatus } from "./_helpers/hostile_session.ts";

Deno.test("Session answers a hybrid torrent's handshake with the info-hash the peer chose (BEP 52)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hybrid_hs_" });
  try {
    await makePayload(
      join(dir, "pair"),
      { files: [{ path: "a", size: 40_000 }, { path: "b", size: 9_000 }] },
      5,
    );
    const { bytes, info } = await createTorrent(join(dir, "pair"), { pieceLength: 16384, version: "hybrid" });
    const v1 = await createTorrent(join(dir, "pair"), { pieceLength: 16384 });
    await using session = new Session({ listenHost: "127.0.0.1" });
    const hybrid = await session.addTorrent({ torrent: bytes, savePath: dir });
    await waitForStatus(hybrid, (s) => s.state !== "checking", 10_000);
    const truncated = info.infoHashV2!.subarray(0, 20);
    for (const infoHash of [info.infoHash, truncated]) {
      const peer = await ScriptedPeer.connect(session.listenPort);
      await peer.sendHandshake({ infoHash });
      deepEqual((await peer.readHandshake(5_000)).infoHash, infoHash);
      peer.close();
    }

    // A v1 torrent of the same files has no v2 info-hash: a handshake with the hybrid's v2 hash finds nothing.
    await session.removeTorrent(hybrid);
    await session.addTorrent({ torrent: v1.bytes, savePath: dir });
    const peer = await ScriptedPeer.connect(session.listenPort);
    await peer.sendHandshake({ infoHash: truncated });
    equal(await peer.waitForClose(5_000), "closed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
