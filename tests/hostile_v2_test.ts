/**
 * A corrupt block in a BitTorrent v2 piece (BEP 52): the piece fails its SHA-256 Merkle check, is not marked had
 * nor written, the peer that sent it is banned, and the download completes from an honest peer.
 */

import { equal, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";
import { makePayload } from "./_helpers/files.ts";
import { AlertLog, waitForStatus } from "./_helpers/hostile_session.ts";
import { playSeeder } from "./_helpers/hostile_wire.ts";
import { ScriptedPeer } from "./_helpers/scripted_peer.ts";

const PIECE = 32768; // two 16 KiB blocks: the corrupt block is one of several in its piece

Deno.test("Session bans a peer whose block fails a v2 piece's Merkle check, then completes from an honest one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hostile_v2_" });
  const session = new Session({ listenHost: "127.0.0.1", handshakeTimeout: 1000 });
  const log = new AlertLog(session);
  try {
    const seedDir = join(dir, "seed");
    await makePayload(seedDir, { files: [{ path: "clip.bin", size: 5 * PIECE + 1234 }] }, 52);
    const { bytes, info } = await createTorrent(join(seedDir, "clip.bin"), {
      pieceLength: PIECE,
      version: "v2",
    });
    equal(info.version, "v2");
    const fileBytes = await Deno.readFile(join(seedDir, "clip.bin"));
    // The piece space: the file, then its padding to the piece boundary (zeros; BEP 47 / libtorrent).
    const space = new Uint8Array(info.totalLength);
    space.set(fileBytes);
    const handle = await session.addTorrent({ torrent: bytes, savePath: join(dir, "leech") });
    await waitForStatus(handle, (s) => s.state === "downloading", 10_000);

    const BAD = 2;
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    handle.addPeer({ host: "127.0.0.1", port: listener.addr.port });
    using peer = await ScriptedPeer.accept(listener, 5_000);
    const name = peer.localName;
    const serving = playSeeder(peer, {
      info,
      data: space,
      // Only the second block of piece BAD is wrong: the SHA-256 of that 16 KiB leaf breaks the piece's root.
      blockFor: (index, begin, block) =>
        index === BAD && begin === 16384 ? block.map((b) => b ^ 0x5a) : block,
    }).catch(() => 0);
    const failed = await log.waitFor((a) => a.type === "hash_failed", 10_000);
    ok(failed.type === "hash_failed");
    equal(failed.piece, BAD);
    equal(failed.peers.join(), name);
    await log.waitFor((a) => a.type === "peer_banned" && a.peer === name, 5_000);
    await serving;
    const finished = log.ofType("piece_finished").map((a) => a.piece);
    equal(finished.includes(BAD), false, "the corrupt piece is not marked have");

    await using honest = new Session({ listenHost: "127.0.0.1" });
    const seeding = await honest.addTorrent({ torrent: bytes, savePath: seedDir });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
    handle.addPeer({ host: "127.0.0.1", port: honest.listenPort });
    await waitForStatus(handle, (s) => s.state === "seeding", 15_000);
    equal(Buffer.compare(await Deno.readFile(join(dir, "leech", "clip.bin")), fileBytes), 0);
    equal(log.ofType("hash_failed").length, 1);
  } finally {
    await session.close();
    await log.done;
    await Deno.remove(dir, { recursive: true });
  }
});
