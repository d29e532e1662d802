import { deepEqual, equal, match, throws } from "node:assert/strict";
import { join } from "node:path";
import { PeerProtocolError } from "./errors.ts";
import { createTorrent, type TorrentInfo } from "./metainfo/mod.ts";
import type { PeerConnection } from "./peer_connection.ts";
import type { DiskIo } from "./storage/disk_io.ts";
import { TorrentHashes } from "./torrent_hashes.ts";
import { HashServer } from "./v2/mod.ts";
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

/** A v2 peer that records the hash requests sent to it. */
function v2Peer(key: number) {
  const requests: HashRequestRef[] = [];
  const replies: { type: string; ref: HashRequestRef; hashes?: Uint8Array }[] = [];
  const peer = {
    key,
    v2: true,
    isSeed: true,
    closed: false,
    sendHashRequest: (ref: HashRequestRef) => requests.push(ref),
    sendHashes: (ref: HashRequestRef, hashes: Uint8Array) => replies.push({ type: "hashes", ref, hashes }),
    sendHashReject: (ref: HashRequestRef) => replies.push({ type: "hash_reject", ref }),
  };
  return { peer: peer as unknown as PeerConnection, requests, replies };
}

/** A v2 torrent as a magnet gives it (no piece layers), and a TorrentHashes fetching them into a fake storage. */
async function magnetTorrent() {
  const info = await torrentOf("v2");
  const { pieceLayers: _layers, ...bare } = info;
  const stored: { root: Uint8Array; layer: Uint8Array }[] = [];
  const reverified: number[] = [];
  const banned: string[] = [];
  const diskIo = {
    setPieceLayer: (_id: number, root: Uint8Array, layer: Uint8Array) => {
      stored.push({ root, layer });
      return Promise.resolve();
    },
  } as unknown as DiskIo;
  const hashes = new TorrentHashes(bare as TorrentInfo, {
    diskIo,
    storageId: () => 0,
    reverify: (index) => reverified.push(index),
    ban: (peer, reason) => banned.push(`${peer.key}: ${reason}`),
  });
  return { info, hashes, stored, reverified, banned, server: new HashServer(info) };
}

Deno.test("TorrentHashes fetches a magnet's piece layer, bans a peer whose proof fails and asks another (BEP 52)", async () => {
  const { info, hashes, stored, reverified, banned, server } = await magnetTorrent();
  equal(hashes.layersComplete, false);
  hashes.unverified(1);
  deepEqual(reverified, [], "a piece of a file without its layer waits");

  const liar = v2Peer(1);
  hashes.request(liar.peer);
  equal(liar.requests.length, 1);
  const reply = await server.answer(liar.requests[0]);
  if (reply.type !== "hashes") throw new Error("the reference server rejected the request");
  const forged = reply.hashes.slice();
  forged[0] ^= 1;
  hashes.received(liar.peer, { type: "hashes", ...liar.requests[0], hashes: forged });
  equal(banned.length, 1);
  match(banned[0], /^1: sent piece hashes that fail their proof/);
  hashes.forget(liar.peer);
  hashes.request(liar.peer);
  equal(liar.requests.length, 1, "the liar is not asked again");

  const honest = v2Peer(2);
  hashes.request(honest.peer);
  equal(honest.requests.length, 1, "another peer is asked for the same hashes");
  deepEqual(honest.requests[0], liar.requests[0]);
  hashes.received(honest.peer, { type: "hashes", ...honest.requests[0], hashes: reply.hashes });
  await settle();
  equal(stored.length, 1);
  const root = info.files[0].piecesRoot!;
  deepEqual(stored[0].root, root);
  deepEqual(
    stored[0].layer,
    info.pieceLayers!.get([...root].map((b) => b.toString(16).padStart(2, "0")).join("")),
  );
  deepEqual(reverified, [1], "the pending piece is checked once the layer is stored");
  equal(hashes.layersComplete, true);
  hashes.unverified(2);
  deepEqual(reverified, [1, 2], "a piece written after the layer is checked at once");

  // The fetched layer is served to other v2 peers.
  const asker = v2Peer(3);
  hashes.received(asker.peer, { type: "hash_request", ...honest.requests[0] });
  await settle();
  equal(asker.replies[0]?.type, "hashes");
  deepEqual(asker.replies[0].hashes, reply.hashes);
});

Deno.test("TorrentHashes asks another peer after a hash reject, and only v2 connections", async () => {
  const { hashes } = await magnetTorrent();
  const v1 = v2Peer(1);
  (v1.peer as { v2: boolean }).v2 = false;
  hashes.request(v1.peer);
  equal(v1.requests.length, 0, "a v1 connection cannot be asked");
  const refuser = v2Peer(2);
  hashes.request(refuser.peer);
  equal(refuser.requests.length, 1);
  const other = v2Peer(3);
  hashes.request(other.peer);
  equal(other.requests.length, 0, "a chunk is asked of one peer at a time");
  hashes.received(refuser.peer, { type: "hash_reject", ...refuser.requests[0] });
  equal(refuser.requests.length, 1, "the refuser is not asked again at once");
  hashes.request(other.peer);
  equal(other.requests.length, 1);
  hashes.tick([refuser.peer, other.peer], performance.now() + 120_000);
  equal(refuser.requests.length, 2, "a request unanswered past the timeout goes to another peer");
});

Deno.test("TorrentHashes.reset() forgets the pieces waiting for their layer", async () => {
  const { hashes, reverified, server } = await magnetTorrent();
  hashes.unverified(1);
  hashes.reset();
  const seed = v2Peer(1);
  hashes.request(seed.peer);
  const reply = await server.answer(seed.requests[0]);
  if (reply.type !== "hashes") throw new Error("the reference server rejected the request");
  hashes.received(seed.peer, { type: "hashes", ...seed.requests[0], hashes: reply.hashes });
  await settle();
  equal(hashes.layersComplete, true);
  deepEqual(reverified, [], "a piece from before the new check is not checked again");
});

/**
 * `info` as a magnet gives it (no piece layers), in a TorrentHashes whose storage hashes each piece to `root(piece)`
 * (the v2 root of its data, as the disk workers compute it).
 */
function layerBuilder(info: TorrentInfo, root: (piece: number) => Promise<Uint8Array | undefined>) {
  const { pieceLayers: _layers, ...bare } = info;
  const stored: Uint8Array[] = [];
  const hashed: number[] = [];
  const mismatches: string[] = [];
  const recorded: ReadonlyMap<string, Uint8Array>[] = [];
  const diskIo = {
    hashPiece: async (_id: number, piece: number, want: { sha1: boolean; v2: boolean }) => {
      equal(want.v2, true);
      hashed.push(piece);
      return { root: await root(piece) };
    },
    setPieceLayer: (_id: number, _root: Uint8Array, layer: Uint8Array) => {
      stored.push(layer);
      return Promise.resolve();
    },
  } as unknown as DiskIo;
  const hashes = new TorrentHashes(bare as TorrentInfo, {
    diskIo,
    storageId: () => 0,
    reverify: () => {},
    ban: () => {},
    layersFetched: (layers) => recorded.push(layers),
    layerMismatch: (fileIndex, message) => mismatches.push(`${fileIndex}: ${message}`),
  });
  return { info, hashes, stored, hashed, mismatches, recorded };
}

/** A one-file hybrid (or v2) torrent from a magnet whose pieces hash to `roots(piece)`. */
async function magnetHybrid(version: "hybrid" | "v2", roots: (piece: number) => Uint8Array) {
  return layerBuilder(await torrentOf(version), (piece) => Promise.resolve(roots(piece)));
}

/** The piece layer of the torrent's one file. */
function onlyLayer(info: TorrentInfo): Uint8Array {
  return [...info.pieceLayers!.values()][0];
}

Deno.test("TorrentHashes.buildLayers() makes a hybrid magnet's piece layer from its verified data (BEP 52)", async () => {
  let layer: Uint8Array = new Uint8Array(0);
  const t = await magnetHybrid("hybrid", (piece) => layer.slice(piece * 32, piece * 32 + 32));
  layer = onlyLayer(t.info);
  await t.hashes.buildLayers((piece) => piece !== 2);
  deepEqual(t.hashed, [], "a file with a piece not verified yet is not hashed");
  equal(t.hashes.layersComplete, false);
  await t.hashes.buildLayers(() => true);
  deepEqual(t.hashed, [0, 1, 2, 3]);
  await settle();
  deepEqual(t.stored, [layer]);
  equal(t.hashes.layersComplete, true);
  equal(t.recorded.length, 1, "the complete layers are recorded");
  deepEqual([...t.recorded[0].values()], [layer]);
  deepEqual(t.mismatches, []);
  // Then it is served to v2 peers like a layer from the metainfo.
  const asker = v2Peer(9);
  const root = t.info.files[0].piecesRoot!;
  t.hashes.received(asker.peer, {
    type: "hash_request",
    piecesRoot: root,
    baseLayer: 1,
    index: 0,
    length: 4,
    proofLayers: 0,
  });
  await settle();
  deepEqual(asker.replies[0]?.hashes, layer);
  await t.hashes.buildLayers(() => true);
  equal(t.hashed.length, 4, "nothing is hashed again once complete");
});

Deno.test("TorrentHashes.buildLayers() reports a hybrid whose v2 hashes do not match its data, and keeps nothing", async () => {
  let layer: Uint8Array = new Uint8Array(0);
  const t = await magnetHybrid("hybrid", (piece) => {
    const root = layer.slice(piece * 32, piece * 32 + 32);
    if (piece === 1) root[0] ^= 1;
    return root;
  });
  layer = onlyLayer(t.info);
  await t.hashes.buildLayers(() => true);
  await settle();
  await t.hashes.buildLayers(() => true);
  equal(t.hashed.length, 4, "a file found inconsistent is not hashed again");
  equal(t.mismatches.length, 1);
  match(t.mismatches[0], /^0: File 0 passed its SHA-1 checks but does not match its v2 pieces root/);
  deepEqual(t.stored, []);
  equal(t.hashes.layersComplete, false);
  const asker = v2Peer(9);
  t.hashes.received(asker.peer, {
    type: "hash_request",
    piecesRoot: t.info.files[0].piecesRoot!,
    baseLayer: 1,
    index: 0,
    length: 4,
    proofLayers: 0,
  });
  await settle();
  equal(asker.replies[0]?.type, "hash_reject", "v2 peers are refused the layer");
});

Deno.test("TorrentHashes.buildLayers() called during a pass looks again once it ends", async () => {
  // Two files of 4 pieces each (32 KiB pieces); the second is verified while the first is being hashed.
  const dir = await Deno.makeTempDir();
  let info: TorrentInfo;
  try {
    await Deno.mkdir(join(dir, "set"));
    await Deno.writeFile(join(dir, "set", "a.bin"), new Uint8Array(100_000).map((_, i) => i % 251));
    await Deno.writeFile(join(dir, "set", "b.bin"), new Uint8Array(110_000).map((_, i) => i % 241));
    info = (await createTorrent(join(dir, "set"), { pieceLength: 32768, version: "hybrid" })).info;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const roots = new Map<number, Uint8Array>();
  for (const file of info.files) {
    if (file.padding) continue;
    const layer = info.pieceLayers!.get(
      [...file.piecesRoot!].map((b) => b.toString(16).padStart(2, "0")).join(""),
    )!;
    const first = file.offset / info.pieceLength;
    for (let i = 0; i < layer.length / 32; i++) roots.set(first + i, layer.slice(i * 32, i * 32 + 32));
  }
  let open!: () => void;
  const gate = new Promise<void>((resolve) => open = resolve);
  const { hashes, stored } = layerBuilder(info, async (piece) => {
    await gate;
    return roots.get(piece);
  });
  const second = info.files.findIndex((f) => f.path.at(-1) === "b.bin");
  const secondFirst = info.files[second].offset / info.pieceLength;
  const pass = hashes.buildLayers((piece) => piece < secondFirst);
  await hashes.buildLayers(() => true);
  equal(stored.length, 0, "the first pass is still hashing: the second call only asks for another pass");
  open();
  await pass;
  await settle();
  equal(stored.length, 2, "both files' layers, the second from the pass after");
  equal(hashes.layersComplete, true);
});

Deno.test("TorrentHashes.buildLayers() leaves a v2-only torrent to its peers: its pieces are not verified otherwise", async () => {
  const t = await magnetHybrid("v2", () => new Uint8Array(32));
  await t.hashes.buildLayers(() => true);
  deepEqual(t.hashed, []);
  equal(t.hashes.layersComplete, false);
});
