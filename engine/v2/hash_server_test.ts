import assert from "node:assert/strict";
import fc from "fast-check";
import type { HashRequestRef } from "../wire/mod.ts";
import { type HashReply, HashServer } from "./hash_server.ts";
import { HashRequestBudget } from "./hash_request_budget.ts";
import {
  bytes,
  libtorrentAnswer,
  pieceBlockHashes,
  referenceTree,
  type TestTorrent,
  testTorrent,
} from "./_test_torrent.ts";

const PIECE = 32_768; // two blocks per piece: piece layer 1

/** Files of 1 block, 5 pieces, 600 pieces (two 512-hash chunks), 1 piece of 2 blocks, and an empty file. */
function torrent(): TestTorrent {
  return testTorrent(
    [bytes(100, 1), bytes(5 * PIECE - 100, 2), bytes(600 * PIECE - 16_384, 3), bytes(20_000, 4), bytes(0, 5)],
    PIECE,
  );
}

function hashesOf(reply: HashReply): Uint8Array {
  assert.equal(reply.type, "hashes", reply.type === "hash_reject" ? reply.reason : "");
  return reply.type === "hashes" ? reply.hashes : new Uint8Array(0);
}

function reasonOf(reply: HashReply): string {
  return reply.type === "hash_reject" ? reply.reason : "served";
}

Deno.test("HashServer.answer() gives what libtorrent sends for libtorrent's piece layer requests", async () => {
  const t = torrent();
  const server = new HashServer(t);
  let checked = 0;
  for (const [i, file] of t.files.entries()) {
    if (file.padding || file.length <= PIECE) continue;
    const tree = referenceTree(t.data[i]);
    const height = tree.length - 1;
    const pieces = Math.ceil(file.length / PIECE);
    for (let index = 0; index < pieces; index += 512) {
      // libtorrent's hash_picker::pick_hashes: 512-hash chunks of the piece layer, proof up to the root.
      let length = 1;
      while (length < Math.min(512, pieces - index)) length *= 2;
      const request = { piecesRoot: file.piecesRoot!, baseLayer: 1, index, length, proofLayers: height - 2 };
      const reply = await server.answer(request);
      assert.deepEqual(hashesOf(reply), libtorrentAnswer(tree, request));
      assert.deepEqual(reply.request, request);
      assert.notEqual(reply.request.piecesRoot, request.piecesRoot, "the root is copied");
      checked++;
    }
  }
  assert.equal(checked, 3);
});

Deno.test("HashServer.answer() matches an independent full tree for any valid request at or above the piece layer", async () => {
  const t = torrent();
  const server = new HashServer(t);
  const files = [1, 2].map((i) => ({ file: t.files[t.files.findIndex((f) => f.path[0] === `file${i}`)], i }));
  const trees = files.map(({ file }) => referenceTree(t.data[t.files.indexOf(file)]));
  await fc.assert(
    fc.asyncProperty(fc.nat(1), fc.nat(), fc.nat(), fc.nat(), fc.nat(), async (which, a, b, c, d) => {
      const tree = trees[which];
      const height = tree.length - 1;
      const baseLayer = 1 + (a % (height - 1));
      const width = tree[baseLayer].length;
      const length = 2 ** (1 + (b % Math.min(9, Math.log2(width))));
      const index = (c % (width / length)) * length;
      const proofLayers = d % (height - baseLayer);
      const request = { piecesRoot: files[which].file.piecesRoot!, baseLayer, index, length, proofLayers };
      assert.deepEqual(hashesOf(await server.answer(request)), libtorrentAnswer(tree, request));
    }),
    { numRuns: 300 },
  );
});

Deno.test("HashServer.answer() serves leaf hashes through readBlockHashes, checked against the piece hashes", async () => {
  const pieceLength = 65_536; // four blocks per piece: piece layer 2
  const t = testTorrent([bytes(37 * pieceLength - 5_000, 7), bytes(40_000, 8)], pieceLength);
  const reads: [number, number][] = [];
  const server = new HashServer(t, {
    readBlockHashes: (fileIndex, piece) => {
      reads.push([fileIndex, piece]);
      return Promise.resolve(pieceBlockHashes(t.data[fileIndex], pieceLength, piece));
    },
  });
  const big = t.files[0];
  const tree = referenceTree(t.data[0]);
  const height = tree.length - 1;
  // libtorrent's request after a failed piece: the piece's blocks, proof up past the piece layer.
  for (const piece of [0, 5, 36]) {
    const request = {
      piecesRoot: big.piecesRoot!,
      baseLayer: 0,
      index: piece * 4,
      length: 4,
      proofLayers: 3,
    };
    assert.deepEqual(hashesOf(await server.answer(request)), libtorrentAnswer(tree, request));
  }
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.nat(), fc.nat(), async (b, c, d) => {
      const width = tree[0].length;
      const length = 2 ** (1 + (b % Math.log2(width)));
      const index = (c % (width / length)) * length;
      const proofLayers = d % height;
      const request = { piecesRoot: big.piecesRoot!, baseLayer: 0, index, length, proofLayers };
      assert.deepEqual(hashesOf(await server.answer(request)), libtorrentAnswer(tree, request));
    }),
    { numRuns: 100 },
  );
  // A file of one piece (three blocks in four slots): its root is the only piece hash.
  const small = t.files.findIndex((f) => f.length === 40_000);
  const smallTree = referenceTree(t.data[small]);
  const request = {
    piecesRoot: t.files[small].piecesRoot!,
    baseLayer: 0,
    index: 2,
    length: 2,
    proofLayers: 1,
  };
  assert.deepEqual(hashesOf(await server.answer(request)), libtorrentAnswer(smallTree, request));
  assert.ok(
    reads.every(([f, p]) => (f === 0 && p < 37) || (f === small && p === 0)),
    "only real pieces are read",
  );
});

Deno.test("HashServer.answer() rejects leaf hashes it cannot vouch for", async () => {
  const pieceLength = 65_536;
  const t = testTorrent([bytes(9 * pieceLength, 9)], pieceLength);
  const root = t.files[0].piecesRoot!;
  const leaves = { piecesRoot: root, baseLayer: 0, index: 8, length: 4, proofLayers: 2 };
  assert.equal(reasonOf(await new HashServer(t).answer(leaves)), "no_block_hashes");
  const missing = new HashServer(t, { readBlockHashes: () => Promise.resolve(undefined) });
  assert.equal(reasonOf(await missing.answer(leaves)), "no_block_hashes");
  const short = new HashServer(t, { readBlockHashes: () => Promise.resolve(new Uint8Array(64)) });
  assert.equal(reasonOf(await short.answer(leaves)), "no_block_hashes");
  const changed = new HashServer(t, {
    readBlockHashes: (_, piece) =>
      Promise.resolve(pieceBlockHashes(bytes(9 * pieceLength, 10), pieceLength, piece)),
  });
  assert.equal(reasonOf(await changed.answer(leaves)), "block_hashes_mismatch");
  const between = { piecesRoot: root, baseLayer: 1, index: 0, length: 2, proofLayers: 0 };
  assert.equal(reasonOf(await changed.answer(between)), "unsupported_layer");
});

Deno.test("HashServer.answer() rejects hostile requests without allocating for them", async () => {
  const t = torrent();
  const server = new HashServer(t);
  const big = t.files.find((f) => f.length === 600 * PIECE - 16_384)!.piecesRoot!; // 1200 blocks: height 11
  const oneBlock = t.files[0].piecesRoot!;
  const ok = { piecesRoot: big, baseLayer: 1, index: 0, length: 512, proofLayers: 9 };
  assert.equal(reasonOf(await server.answer(ok)), "served");
  const cases: [Partial<HashRequestRef>, string][] = [
    [{ length: 2 ** 31 }, "bad_length"], // HOSTILE_INPUTS 43 (libtorrent #8692)
    [{ length: 0xffff_ffff }, "bad_length"],
    [{ length: 1024 }, "bad_length"],
    [{ length: 3 }, "bad_length"],
    [{ length: 1 }, "bad_length"],
    [{ length: 0 }, "bad_length"],
    [{ piecesRoot: new Uint8Array(32) }, "unknown_root"],
    [{ piecesRoot: big.subarray(0, 20) }, "unknown_root"],
    [{ baseLayer: 40 }, "bad_base_layer"],
    [{ baseLayer: 11 }, "bad_base_layer"],
    [{ baseLayer: 0xffff_ffff }, "bad_base_layer"],
    [{ index: 256 }, "bad_index"],
    [{ index: 1 }, "bad_index"],
    [{ index: 1024 }, "out_of_range"],
    [{ index: 0xffff_fe00 }, "out_of_range"],
    [{ baseLayer: 10, length: 4, proofLayers: 0 }, "out_of_range"],
    [{ proofLayers: 10 }, "bad_proof_layers"],
    [{ proofLayers: 0xffff_ffff }, "bad_proof_layers"],
    [{ piecesRoot: oneBlock, length: 2 }, "bad_base_layer"],
  ];
  for (const [change, reason] of cases) {
    const request = { ...ok, ...change };
    assert.equal(server.check(request), reason, JSON.stringify({ ...change, piecesRoot: undefined }));
    const reply = await server.answer(request);
    assert.equal(reasonOf(reply), reason);
    assert.deepEqual(reply.request, request);
  }
  const noLayers = new HashServer({ files: t.files, pieceLength: PIECE });
  assert.equal(reasonOf(await noLayers.answer(ok)), "no_piece_layer");
});

Deno.test("HashServer with a HashRequestBudget answers a flood of 10,000 requests with at most burst hashes, then drops", async () => {
  const t = torrent();
  const server = new HashServer(t);
  const budget = new HashRequestBudget({ ratePerSecond: 10, burst: 20, maxOverBudget: 300 });
  const root = t.files.find((f) => f.length === 600 * PIECE - 16_384)!.piecesRoot!;
  let served = 0;
  let rejected = 0;
  let sentBytes = 0;
  let droppedAt = -1;
  for (let i = 0; i < 10_000; i++) {
    const request = { piecesRoot: root, baseLayer: 1, index: (i % 2) * 512, length: 512, proofLayers: 9 };
    const decision = budget.take(1_000 + i / 1000); // 10,000 requests within 10 ms
    if (decision === "drop") {
      droppedAt = i;
      break;
    }
    if (decision === "reject") {
      rejected++;
      continue;
    }
    const reply = await server.answer(request);
    served++;
    sentBytes += hashesOf(reply).length;
  }
  assert.equal(served, 20);
  assert.equal(rejected, 300);
  assert.equal(droppedAt, 320);
  assert.ok(sentBytes <= 20 * 513 * 32);
});
