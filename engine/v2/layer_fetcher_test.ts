import assert from "node:assert/strict";
import { createTorrent } from "../metainfo/mod.ts";
import { MessageWriter, WireDecoder, type WireMessage } from "../wire/mod.ts";
import { HashServer } from "./hash_server.ts";
import { LayerFetcher } from "./layer_fetcher.ts";
import { bytes, hex, type TestTorrent, testTorrent } from "./_test_torrent.ts";

const PIECE = 32_768;

/** Files of 1 piece, 5 pieces, 1100 pieces (three chunks), the 5-piece file again (same root), 3 pieces. */
function torrent(): TestTorrent {
  const five = bytes(5 * PIECE - 100, 2);
  return testTorrent(
    [bytes(1000, 1), five, bytes(1100 * PIECE - 5, 3), five, bytes(0, 4), bytes(2 * PIECE + 1, 5)],
    PIECE,
  );
}

/** Sends `message` through a MessageWriter and a WireDecoder, as between two peers. */
function overTheWire(message: WireMessage): WireMessage {
  const w = new MessageWriter();
  w.write(message);
  const decoder = new WireDecoder();
  decoder.push(w.take());
  return decoder.next()!;
}

Deno.test("LayerFetcher fetches every file's piece layer from HashServers over the wire codec", async () => {
  const t = torrent();
  const fetcher = new LayerFetcher({ files: t.files, pieceLength: PIECE });
  const server = new HashServer(t);
  assert.deepEqual(fetcher.missingFiles, [2, 4, 6, 9]);
  let rounds = 0;
  while (!fetcher.complete && rounds++ < 100) {
    for (const peer of [1, 2, 3]) {
      const request = fetcher.nextRequest(peer, 0);
      if (request === undefined) continue;
      const received = overTheWire({ type: "hash_request", ...request });
      assert.equal(received.type, "hash_request");
      if (received.type !== "hash_request") continue;
      const reply = await server.answer(received);
      assert.equal(reply.type, "hashes");
      if (reply.type !== "hashes") continue;
      const back = overTheWire({ type: "hashes", ...reply.request, hashes: reply.hashes });
      assert.equal(back.type, "hashes");
      if (back.type !== "hashes") continue;
      assert.equal(fetcher.onHashes(peer, back).type, "accepted");
    }
  }
  assert.equal(fetcher.complete, true);
  assert.deepEqual(fetcher.missingFiles, []);
  assert.equal(rounds, 2, "five chunks over three peers");
  assert.deepEqual(new Map(fetcher.pieceLayers()), t.pieceLayers);
  t.files.forEach((file, i) => {
    const expected = file.piecesRoot && file.length > PIECE
      ? t.pieceLayers.get(hex(file.piecesRoot))
      : undefined;
    assert.deepEqual(fetcher.pieceLayer(i), expected, `file ${i}`);
  });
  assert.equal(fetcher.nextRequest(1, 0), undefined);
});

Deno.test("LayerFetcher.nextRequest() asks in 512-hash chunks with proofs up to the pieces root, like libtorrent", () => {
  const t = torrent();
  const fetcher = new LayerFetcher({ files: t.files, pieceLength: PIECE }, { maxOutstandingPerPeer: 10 });
  const requests = [];
  for (let r = fetcher.nextRequest(1, 0); r !== undefined; r = fetcher.nextRequest(1, 0)) {
    requests.push({ ...r, piecesRoot: hex(r.piecesRoot) });
  }
  const root = (i: number) => hex(t.files[i].piecesRoot!);
  // 5 pieces: 10 blocks -> 16 leaves (height 4), piece layer 1 of 8 slots.
  // 1100 pieces: 2200 blocks -> 4096 leaves (height 12), piece layer 1 of 2048 slots.
  // 3 pieces (2 * 32 KiB + 1 byte): 5 blocks -> 8 leaves (height 3), piece layer 1 of 4 slots.
  assert.deepEqual(requests, [
    { piecesRoot: root(2), baseLayer: 1, index: 0, length: 8, proofLayers: 2 },
    { piecesRoot: root(4), baseLayer: 1, index: 0, length: 512, proofLayers: 10 },
    { piecesRoot: root(4), baseLayer: 1, index: 512, length: 512, proofLayers: 10 },
    { piecesRoot: root(4), baseLayer: 1, index: 1024, length: 128, proofLayers: 10 },
    { piecesRoot: root(9), baseLayer: 1, index: 0, length: 4, proofLayers: 1 },
  ]);
});

Deno.test("LayerFetcher.onHashes() blames a peer whose hashes or proof are wrong and asks someone else", async () => {
  const t = torrent();
  const server = new HashServer(t);
  for (const corrupt of ["base hash", "uncle hash", "one hash short", "root of another file"]) {
    const fetcher = new LayerFetcher({ files: t.files, pieceLength: PIECE });
    // Skip to the first chunk of the big file, whose answer carries an uncle hash.
    fetcher.nextRequest(7, 0);
    const request = fetcher.nextRequest(1, 0)!;
    assert.equal(request.length, 512);
    const reply = await server.answer(request);
    assert.equal(reply.type, "hashes");
    if (reply.type !== "hashes") continue;
    let hashes = reply.hashes.slice();
    if (corrupt === "base hash") hashes[100] ^= 1;
    if (corrupt === "uncle hash") hashes[hashes.length - 1] ^= 0x80;
    if (corrupt === "one hash short") hashes = hashes.subarray(32);
    const message = { ...request, hashes };
    if (corrupt === "root of another file") message.piecesRoot = t.files[2].piecesRoot!;
    const outcome = fetcher.onHashes(1, message);
    if (corrupt === "root of another file") {
      assert.equal(outcome.type, "unexpected", corrupt);
      continue;
    }
    assert.equal(outcome.type, "invalid", corrupt);
    assert.equal(fetcher.outstanding(1), 0);
    // The liar is not asked for that chunk again, even much later; an honest peer gets it.
    const next = fetcher.nextRequest(1, 1e9);
    assert.notEqual(next?.index, request.index, corrupt);
    const honest = fetcher.nextRequest(2, 0)!;
    assert.deepEqual(honest, request);
    const good = await server.answer(honest);
    assert.equal(
      good.type === "hashes" && fetcher.onHashes(2, { ...honest, hashes: good.hashes }).type,
      "accepted",
    );
  }
});

Deno.test("LayerFetcher.onHashes() ignores answers nobody asked for", async () => {
  const t = torrent();
  const server = new HashServer(t);
  const fetcher = new LayerFetcher({ files: t.files, pieceLength: PIECE });
  const request = fetcher.nextRequest(1, 0)!;
  const reply = await server.answer(request);
  assert.equal(reply.type, "hashes");
  if (reply.type !== "hashes") return;
  const message = { ...request, hashes: reply.hashes };
  assert.equal(fetcher.onHashes(2, message).type, "unexpected", "asked of another peer");
  assert.equal(fetcher.onHashes(1, { ...message, proofLayers: 1 }).type, "unexpected", "other fields");
  assert.equal(fetcher.onHashes(1, { ...message, index: 3 }).type, "unexpected");
  assert.equal(fetcher.onHashes(1, { ...message, piecesRoot: new Uint8Array(5) }).type, "unexpected");
  assert.equal(fetcher.onHashes(1, message).type, "accepted");
  assert.equal(fetcher.onHashes(1, message).type, "unexpected", "answered twice");
});

Deno.test("LayerFetcher retries rejected and timed-out chunks with other peers", () => {
  const t = torrent();
  const options = { timeout: 1000, retryAfter: 5000, maxOutstandingPerPeer: 2 };
  const fetcher = new LayerFetcher({ files: t.files, pieceLength: PIECE }, options);
  const first = fetcher.nextRequest(1, 0)!;
  const second = fetcher.nextRequest(1, 0)!;
  assert.equal(fetcher.nextRequest(1, 0), undefined, "two in flight at most");
  assert.equal(fetcher.onReject(2, first, 10), false, "not asked of peer 2");
  assert.equal(fetcher.onReject(1, first, 10), true);
  assert.equal(fetcher.onReject(1, first, 10), false, "already settled");
  // Peer 1 is not asked for the rejected chunk again before retryAfter.
  const third = fetcher.nextRequest(1, 20)!;
  assert.notDeepEqual(third, first);
  assert.deepEqual(fetcher.nextRequest(2, 20), first);
  assert.deepEqual(fetcher.expire(999), []);
  const expired = fetcher.expire(1000);
  assert.deepEqual(expired.map((e) => [e.peer, e.request.index, e.request.length]), [
    [1, second.index, second.length],
  ]);
  assert.equal(fetcher.outstanding(1), 1);
  fetcher.removePeer(2);
  assert.equal(fetcher.outstanding(2), 0);
  assert.deepEqual(fetcher.nextRequest(3, 1000), first, "a removed peer's chunk goes to the next peer");
  assert.deepEqual(fetcher.nextRequest(3, 1000), second, "so does a timed-out one");
  fetcher.removePeer(1);
  assert.deepEqual(fetcher.nextRequest(1, 5010), third);
});

Deno.test("LayerFetcher.nextRequest() with has() asks a peer only for hashes of pieces it has", () => {
  const t = torrent();
  const fetcher = new LayerFetcher({ files: t.files, pieceLength: PIECE }, { maxOutstandingPerPeer: 10 });
  const big = t.files[4];
  const firstPiece = big.offset / PIECE;
  // The peer has one piece, in the big file's second chunk.
  const request = fetcher.nextRequest(1, 0, { has: (piece) => piece === firstPiece + 600 });
  assert.deepEqual(request && [request.piecesRoot, request.index], [big.piecesRoot, 512]);
  assert.equal(fetcher.nextRequest(1, 0, { has: (piece) => piece === firstPiece + 600 }), undefined);
  assert.equal(fetcher.nextRequest(1, 0, { has: () => false }), undefined);
});

Deno.test("LayerFetcher is complete at once when no file is larger than a piece", () => {
  const t = testTorrent([bytes(PIECE, 1), bytes(10, 2)], PIECE);
  const fetcher = new LayerFetcher({ files: t.files, pieceLength: PIECE });
  assert.equal(fetcher.complete, true);
  assert.equal(fetcher.nextRequest(1, 0), undefined);
  assert.equal(fetcher.pieceLayers().size, 0);
  assert.throws(() => new LayerFetcher({ files: t.files, pieceLength: 3 * 16_384 }), RangeError);
  assert.throws(() => new LayerFetcher(t, { maxOutstandingPerPeer: 0 }), RangeError);
});

Deno.test("LayerFetcher gets exactly the piece layers of created v2 and hybrid torrents from a HashServer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const contents = [
      bytes(3 * PIECE + 10, 1),
      bytes(100, 2),
      bytes(0, 3),
      bytes(PIECE, 4),
      bytes(70 * PIECE, 5),
    ];
    await Deno.mkdir(`${dir}/t`);
    for (const [i, c] of contents.entries()) await Deno.writeFile(`${dir}/t/f${i}`, c);
    for (const version of ["v2", "hybrid"] as const) {
      const { info } = await createTorrent(`${dir}/t`, { version, pieceLength: PIECE });
      const server = new HashServer(info);
      const fetcher = new LayerFetcher({ files: info.files, pieceLength: info.pieceLength });
      for (
        let request = fetcher.nextRequest(1, 0);
        request !== undefined;
        request = fetcher.nextRequest(1, 0)
      ) {
        const reply = await server.answer(request);
        assert.equal(reply.type, "hashes");
        if (reply.type === "hashes") fetcher.onHashes(1, { ...request, hashes: reply.hashes });
      }
      assert.equal(fetcher.complete, true, version);
      assert.deepEqual(new Map(fetcher.pieceLayers()), info.pieceLayers, version);
      assert.equal(fetcher.pieceLayers().size, 2);
      for (const [i, file] of info.files.entries()) {
        const layer = file.piecesRoot && info.pieceLayers!.get(hex(file.piecesRoot));
        assert.deepEqual(fetcher.pieceLayer(i), layer, `${version} file ${i}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LayerFetcher.setLayer() keeps a whole layer only when it leads to the pieces root", () => {
  const t = torrent();
  const fetcher = new LayerFetcher({ files: t.files, pieceLength: PIECE });
  // Indices in t.files of the contents (padding files sit between them).
  const at = t.files.flatMap((f, i) => f.padding ? [] : [i]);
  // File 1 (5 pieces) shares its root with file 3; file 2 has three chunks, one of them in flight.
  const fiveLayer = t.pieceLayers.get(hex(t.files[at[1]].piecesRoot!))!;
  const wrong = fiveLayer.slice();
  wrong[31] ^= 1;
  assert.equal(fetcher.setLayer(at[1], wrong), false, "other hashes");
  assert.equal(fetcher.setLayer(at[1], fiveLayer.subarray(32)), false, "one hash short");
  assert.deepEqual(fetcher.missingFiles.includes(at[1]), true, "nothing kept");
  assert.equal(fetcher.setLayer(at[1], fiveLayer), true);
  assert.deepEqual(fetcher.pieceLayer(at[1]), fiveLayer);
  assert.deepEqual(fetcher.pieceLayer(at[3]), fiveLayer, "the file with the same root is complete too");
  assert.equal(fetcher.setLayer(at[3], wrong), true, "a complete layer stays as it is");
  assert.deepEqual(fetcher.pieceLayer(at[3]), fiveLayer);

  const bigRoot = hex(t.files[at[2]].piecesRoot!);
  let asked = fetcher.nextRequest(7, 0)!;
  while (hex(asked.piecesRoot) !== bigRoot) asked = fetcher.nextRequest(7, 0)!;
  assert.equal(fetcher.setLayer(at[2], t.pieceLayers.get(bigRoot)!), true);
  assert.equal(fetcher.outstanding(7) < 4, true, "its request in flight no longer counts");
  assert.equal(fetcher.onHashes(7, { ...asked, hashes: new Uint8Array(0) }).type, "unexpected");
  assert.equal(fetcher.setLayer(at[5], t.pieceLayers.get(hex(t.files[at[5]].piecesRoot!))!), true);
  assert.equal(fetcher.complete, true);
  assert.equal(fetcher.pieceLayers().size, 3);
  assert.throws(
    () => fetcher.setLayer(at[0], new Uint8Array(32)),
    RangeError,
    "a one-piece file has no layer",
  );
});
