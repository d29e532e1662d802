/**
 * A hybrid torrent whose v1 and v2 hashes describe different data (BEP 52 "Upgrade Path": pieces must match both
 * formats): its SHA-1 pieces come from one file, its `file tree` and `piece layers` from another of the same name
 * and size. A peer serving the first file's true bytes is not to blame: the torrent stops with a typed error
 * naming the disagreement, and no peer is banned or blamed for a hash failure.
 */

import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, parseTorrent, Session } from "../mod.ts";
import { type BencodeDict, decode, encode } from "../engine/bencode/mod.ts";
import { makePayload } from "./_helpers/files.ts";
import { AlertLog, waitForStatus } from "./_helpers/hostile_session.ts";
import { playSeeder } from "./_helpers/hostile_wire.ts";
import { ScriptedPeer } from "./_helpers/scripted_peer.ts";

const PIECE = 32768;

Deno.test("Session stops a hybrid torrent whose v1 and v2 hashes disagree, blaming no peer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hostile_hybrid_" });
  const session = new Session({ listenHost: "127.0.0.1", handshakeTimeout: 1000 });
  const log = new AlertLog(session);
  try {
    const files = { files: [{ path: "clip.bin", size: 3 * PIECE + 999 }] };
    await makePayload(join(dir, "x"), files, 1);
    await makePayload(join(dir, "y"), files, 2);
    const x = await createTorrent(join(dir, "x", "clip.bin"), { pieceLength: PIECE, version: "hybrid" });
    const y = await createTorrent(join(dir, "y", "clip.bin"), { pieceLength: PIECE, version: "hybrid" });
    const torrent = decode(x.bytes) as BencodeDict;
    const other = decode(y.bytes) as BencodeDict;
    (torrent.get("info") as BencodeDict).set(
      "file tree",
      (other.get("info") as BencodeDict).get("file tree")!,
    );
    torrent.set("piece layers", other.get("piece layers")!);
    const bytes = encode(torrent);
    const info = parseTorrent(bytes);
    equal(info.version, "hybrid", "a well-formed torrent: only the data can tell");

    const handle = await session.addTorrent({ torrent: bytes, savePath: join(dir, "leech") });
    await waitForStatus(handle, (s) => s.state === "downloading", 10_000);
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    handle.addPeer({ host: "127.0.0.1", port: listener.addr.port });
    using peer = await ScriptedPeer.accept(listener, 5_000);
    const serving = playSeeder(peer, {
      info,
      data: await Deno.readFile(join(dir, "x", "clip.bin")),
    }).catch(() => 0);
    const error = await log.waitFor((a) => a.type === "torrent_error", 10_000);
    ok(error.type === "torrent_error");
    match(error.message, /matches one of the hybrid torrent's two hashes and not the other/);
    equal(handle.status().state, "error");
    await serving;
    equal(log.ofType("peer_banned").length, 0, "the peer sent the right bytes for the v1 hashes");
    equal(log.ofType("hash_failed").length, 0);
    equal(log.ofType("piece_finished").length, 0);
  } finally {
    await session.close();
    await log.done;
    await Deno.remove(dir, { recursive: true });
  }
});
