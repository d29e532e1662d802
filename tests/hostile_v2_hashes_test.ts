/**
 * Hostile BEP 52 hash exchange against a ccbt leecher of a v2 torrent without piece layers (as a magnet gives it):
 * a peer that serves blocks, then answers the hash request with a proof that fails, is banned; the pieces it sent
 * stay unverified (not had, not requested again) until an honest peer's layer decides them, and the one it
 * corrupted fails then and is fetched again.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";
import { torrentFromMetadata } from "../engine/magnet_metadata.ts";
import { HashServer } from "../engine/v2/mod.ts";
import type { WireMessage } from "../engine/wire/mod.ts";
import { assertSameTree, makePayload } from "./_helpers/files.ts";
import { AlertLog, waitForStatus } from "./_helpers/hostile_session.ts";
import { fullBitfield } from "./_helpers/hostile_wire.ts";
import { ScriptedPeer } from "./_helpers/scripted_peer.ts";

Deno.test("a peer whose hash proof fails is banned, its blocks wait for an honest layer, a corrupt one is fetched again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hostile_v2_" });
  try {
    const seedDir = join(dir, "seed");
    await makePayload(seedDir, { files: [{ path: "f.bin", size: 200_000 }] }, 71);
    const data = await Deno.readFile(join(seedDir, "f.bin"));
    const { bytes, info } = await createTorrent(join(seedDir, "f.bin"), {
      pieceLength: 16384,
      version: "v2",
    });
    const bare = torrentFromMetadata(info.infoBytes, []);
    const server = new HashServer(info);

    await using leecher = new Session({ listenHost: "127.0.0.1" });
    const log = new AlertLog(leecher);
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const out = join(dir, "out");
    const handle = await leecher.addTorrent({
      torrent: bare,
      savePath: out,
      peers: [{ host: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port }],
    });

    // The liar: a seed that serves true blocks (the first one corrupted), then a forged proof for the layer.
    using liar = await ScriptedPeer.accept(listener, 10_000);
    await liar.readHandshake(5_000);
    await liar.sendHandshake({ infoHash: info.infoHash });
    await liar.sendMessages({ type: "bitfield", bitfield: fullBitfield(info.pieceCount) });
    let asked: Extract<WireMessage, { type: "hash_request" }> | undefined;
    let served = 0;
    let corrupted = -1;
    while (served < 8 || asked === undefined) {
      const m = await liar.nextMessage(5_000);
      if (m === null) throw new Error("The leecher closed the connection early");
      if (m.type === "interested") await liar.sendMessages({ type: "unchoke" });
      // The root is a view into the reader's buffer: keep a copy.
      if (m.type === "hash_request") asked = { ...m, piecesRoot: m.piecesRoot.slice() };
      if (m.type === "request") {
        // BEP 52 pads the file to a whole piece: the last piece's tail is zeros.
        const start = m.index * 16384 + m.begin;
        const block = new Uint8Array(m.length);
        block.set(data.subarray(start, Math.min(start + m.length, data.length)));
        if (corrupted < 0) corrupted = m.index;
        if (m.index === corrupted) block[0] ^= 1;
        await liar.sendMessages({ type: "piece", index: m.index, begin: m.begin, block });
        served++;
      }
    }
    // Wait until the blocks are written, unverified: nothing is had without the layer.
    await new Promise((resolve) => setTimeout(resolve, 300));
    equal(handle.status().piecesHave, 0, "pieces written before their layer is known are not had");
    const reply = await server.answer(asked);
    if (reply.type !== "hashes") {
      throw new Error(`The reference server rejected ${JSON.stringify({ ...asked, reply })}`);
    }
    const forged = reply.hashes.slice();
    forged[forged.length - 1] ^= 1;
    const { type: _, ...ref } = asked;
    await liar.sendMessages({ type: "hashes", ...ref, hashes: forged });
    equal(await liar.waitForClose(5_000), "closed");
    const ban = await log.waitFor((a) => a.type === "peer_banned", 5_000);
    ok(ban.type === "peer_banned" && /fail their proof/.test(ban.reason), JSON.stringify(ban));

    await using seeder = new Session({ listenHost: "127.0.0.1" });
    const seeding = await seeder.addTorrent({ torrent: bytes, savePath: seedDir });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
    handle.addPeer({ host: "127.0.0.1", port: seeder.listenPort });
    await waitForStatus(handle, (s) => s.state === "seeding", 30_000);
    const failed = log.ofType("hash_failed");
    equal(
      failed.length,
      1,
      `only the corrupted piece ${corrupted} fails: ${
        JSON.stringify(
          log.alerts.filter((a) => a.type !== "peer_connected" && a.type !== "peer_disconnected"),
        )
      }`,
    );
    equal(failed[0].piece, corrupted);
    await assertSameTree(seedDir, join(out));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
