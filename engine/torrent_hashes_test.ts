import { deepEqual, equal, throws } from "node:assert/strict";
import { join } from "node:path";
import { PeerProtocolError } from "./errors.ts";
import { createTorrent } from "./metainfo/mod.ts";
import type { PeerConnection } from "./peer_connection.ts";
import { TorrentHashes } from "./torrent_hashes.ts";
import type { HashRequestRef } from "./wire/mod.ts";

function fakePeer() {
  const replies: { type: string; ref: HashRequestRef; hashes?: Uint8Array }[] = [];
  const peer = {
    key: 1,
    sendHashes: (ref: HashRequestRef, hashes: Uint8Array) => replies.push({ type: "hashes", ref, hashes }),
    sendHashReject: (ref: HashRequestRef) => replies.push({ type: "hash_reject", ref }),
  };
  return { peer: peer as unknown as PeerConnection, replies };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function torrentOf(version: "v1" | "v2" | "hybrid") {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(join(dir, "f.bin"), new Uint8Array(100_000).map((_, i) => i % 251));
    return (await createTorrent(join(dir, "f.bin"), { pieceLength: 32768, version })).info;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("TorrentHashes.received() answers a piece-layer request with the metainfo's piece layer", async () => {
  for (const version of ["v2", "hybrid"] as const) {
    const info = await torrentOf(version);
    const root = info.files.find((f) => f.piecesRoot !== undefined)!.piecesRoot!;
    const layer = info.pieceLayers!.get([...root].map((b) => b.toString(16).padStart(2, "0")).join(""))!;
    const hashes = new TorrentHashes(info);
    const { peer, replies } = fakePeer();
    // 32 KiB pieces: the piece layer is one above the 16 KiB leaves; 4 pieces fill the layer.
    const request = {
      type: "hash_request" as const,
      piecesRoot: root,
      baseLayer: 1,
      index: 0,
      length: 4,
      proofLayers: 0,
    };
    hashes.received(peer, request);
    await settle();
    equal(replies.length, 1, version);
    equal(replies[0].type, "hashes", version);
    deepEqual(replies[0].hashes, layer, version);
    hashes.received(peer, { ...request, piecesRoot: new Uint8Array(32) });
    await settle();
    equal(replies[1].type, "hash_reject", "an unknown root is rejected");
  }
});

Deno.test("TorrentHashes.received() rejects every request of a v1 torrent and drops a flood", async () => {
  const info = await torrentOf("v1");
  const hashes = new TorrentHashes(info);
  const { peer, replies } = fakePeer();
  const request = {
    type: "hash_request" as const,
    piecesRoot: new Uint8Array(32),
    baseLayer: 0,
    index: 0,
    length: 2 ** 31,
    proofLayers: 0,
  };
  throws(() => {
    for (let i = 0; i < 10_000; i++) hashes.received(peer, request);
  }, (error) => error instanceof PeerProtocolError && error.code === "hash_request_flood");
  await settle();
  equal(replies.every((r) => r.type === "hash_reject"), true);
  equal(replies.length < 1_000, true, `${replies.length} replies to a flood`);
});
