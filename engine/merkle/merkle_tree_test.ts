import assert from "node:assert/strict";
import fc from "fast-check";
import { blockHashes } from "./block_hashes.ts";
import { fileMerkle } from "./file_merkle.ts";
import { MerkleTree } from "./merkle_tree.ts";
import { merkleRoot } from "./merkle_root.ts";
import { padHash } from "./pad_hash.ts";
import { proofRoot } from "./proof_root.ts";
import { uncleCount } from "./hashes_range.ts";

function filled(length: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 7 + (i >> 14)) & 0xff);
}

Deno.test("MerkleTree() from leaves and from the piece layer agree on the root and upper layers", () => {
  const content = filled(11 * 16_384 + 5); // 12 blocks -> 16 leaf slots
  const { piecesRoot, pieceLayer } = fileMerkle(content, 32_768);
  const leaves = new MerkleTree(blockHashes(content));
  assert.equal(leaves.leafCount, 16);
  assert.equal(leaves.height, 4);
  assert.deepEqual(leaves.root, piecesRoot);
  const pieces = new MerkleTree(pieceLayer, { baseLayer: 1, leafCount: 16 });
  assert.deepEqual(pieces.root, piecesRoot);
  for (let layer = 1; layer <= 4; layer++) {
    for (let i = 0; i < 16 >> layer; i++) assert.deepEqual(pieces.node(layer, i), leaves.node(layer, i));
  }
  assert.deepEqual(leaves.node(0, 12), padHash(0));
  assert.deepEqual(leaves.node(2, 3), padHash(2));
  assert.throws(() => pieces.node(0, 0), RangeError);
  assert.throws(() => leaves.node(1, 8), RangeError);
});

Deno.test("MerkleTree.hashes() answers every valid range with a payload proofRoot() accepts", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.nat(),
      fc.nat(),
      fc.nat(),
      fc.nat(),
      (blocks, a, b, c, d) => {
        const leaves = blockHashes(filled(blocks * 16_384 - (a % 100)));
        const tree = new MerkleTree(leaves);
        if (tree.height === 0) return; // one leaf: nothing to request
        const baseLayer = a % tree.height;
        const width = tree.leafCount >> baseLayer;
        if (width < 2) return;
        const length = 2 ** (1 + (b % Math.log2(width)));
        const index = (c % (width / length)) * length;
        const maxProof = tree.height - baseLayer - 1;
        const proofLayers = d % (maxProof + 1);
        const range = { baseLayer, index, length, proofLayers };
        const payload = tree.hashes(range);
        assert.equal(payload.length, 32 * (length + uncleCount(range)));
        const proven = proofRoot(range, payload);
        assert.deepEqual(proven.hash, tree.node(proven.layer, proven.index));
        if (proofLayers === maxProof) assert.deepEqual([proven.layer, proven.hash], [tree.height, tree.root]);
        const tampered = payload.slice();
        tampered[(a * 31) % tampered.length] ^= 1;
        assert.notDeepEqual(proofRoot(range, tampered).hash, proven.hash);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("MerkleTree.hashes() gives the base hashes then the uncles from the lowest up", () => {
  const leaves = blockHashes(filled(8 * 16_384));
  const tree = new MerkleTree(leaves);
  const payload = tree.hashes({ baseLayer: 0, index: 4, length: 2, proofLayers: 2 });
  const leaf = (i: number) => leaves.subarray(i * 32, i * 32 + 32);
  assert.deepEqual(payload.subarray(0, 64), leaves.subarray(4 * 32, 6 * 32));
  assert.deepEqual(payload.subarray(64, 96), merkleRoot(new Uint8Array([...leaf(6), ...leaf(7)])));
  assert.deepEqual(payload.subarray(96, 128), merkleRoot(leaves.subarray(0, 4 * 32)));
  // Four nodes: the first proof layer is implied by them and not sent.
  assert.equal(tree.hashes({ baseLayer: 0, index: 0, length: 4, proofLayers: 1 }).length, 4 * 32);
  assert.equal(tree.hashes({ baseLayer: 0, index: 0, length: 4, proofLayers: 2 }).length, 5 * 32);
});

Deno.test("MerkleTree.hashes() and proofRoot() refuse malformed or out-of-range requests", () => {
  const tree = new MerkleTree(blockHashes(filled(5 * 16_384))); // 8 leaf slots, height 3
  const bad = [
    { baseLayer: 0, index: 0, length: 3, proofLayers: 0 },
    { baseLayer: 0, index: 0, length: 1, proofLayers: 0 },
    { baseLayer: 0, index: 1, length: 2, proofLayers: 0 },
    { baseLayer: 0, index: 8, length: 2, proofLayers: 0 },
    { baseLayer: 0, index: 0, length: 16, proofLayers: 0 },
    { baseLayer: 3, index: 0, length: 2, proofLayers: 0 },
    { baseLayer: -1, index: 0, length: 2, proofLayers: 0 },
    { baseLayer: 0, index: 0, length: 2, proofLayers: 3 },
    { baseLayer: 0, index: 0, length: 2, proofLayers: -1 },
    { baseLayer: 0, index: 0, length: 2 ** 31, proofLayers: 0 },
  ];
  for (const range of bad) assert.throws(() => tree.hashes(range), RangeError, JSON.stringify(range));
  const pieceTree = new MerkleTree(new Uint8Array(64), { baseLayer: 2, leafCount: 8 });
  assert.throws(() => pieceTree.hashes({ baseLayer: 0, index: 0, length: 2, proofLayers: 0 }), RangeError);
  const range = { baseLayer: 0, index: 0, length: 2, proofLayers: 1 };
  assert.throws(() => proofRoot(range, new Uint8Array(64)), RangeError);
  assert.throws(() => proofRoot(range, new Uint8Array(128)), RangeError);
  assert.throws(() => proofRoot({ ...range, index: 1 }, new Uint8Array(96)), RangeError);
  assert.throws(() => new MerkleTree(new Uint8Array(0)), RangeError);
  assert.throws(() => new MerkleTree(new Uint8Array(33)), RangeError);
  assert.throws(() => new MerkleTree(new Uint8Array(96), { leafCount: 2 }), RangeError);
});
