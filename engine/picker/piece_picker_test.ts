import assert from "node:assert/strict";
import { Bitfield } from "./bitfield.ts";
import { type BlockRequest, PiecePicker } from "./piece_picker.ts";
import { bitfieldOf, seededRandom } from "./_test_util.ts";

const KIB = 1024;

/** A picker of `pieceCount` one-block pieces (16 KiB), seeded. */
function small(pieceCount: number, seed = 1): PiecePicker {
  return new PiecePicker({
    pieceCount,
    pieceLength: 16 * KIB,
    totalLength: pieceCount * 16 * KIB,
    random: seededRandom(seed),
  });
}

/** Receives and verifies every block in `blocks` from `peer`. */
function deliver(picker: PiecePicker, peer: number, blocks: BlockRequest[]): void {
  for (const b of blocks) {
    const result = picker.blockReceived(peer, b.index, b.begin, b.length);
    if (result.pieceComplete) picker.pieceVerified(b.index);
  }
}

Deno.test("PiecePicker() rejects geometry that does not add up", () => {
  const cases = [
    { pieceCount: 2, pieceLength: 16384, totalLength: 16384 },
    { pieceCount: 1, pieceLength: 0, totalLength: 0 },
    { pieceCount: 1, pieceLength: 16384, totalLength: -1 },
    { pieceCount: 1, pieceLength: 16384, totalLength: 100, blockSize: 0 },
    { pieceCount: 1, pieceLength: 16384, totalLength: 100, endgameRequestsPerBlock: 0 },
  ];
  for (const options of cases) {
    assert.throws(() => new PiecePicker(options), RangeError, JSON.stringify(options));
  }
});

Deno.test("PiecePicker.pieceSize() and blockCount() shorten the last piece and block", () => {
  const cases = [
    // pieceLength, totalLength, piece, size, blocks, last block length
    [32768, 32768 * 2 + 5000, 2, 5000, 1, 5000],
    [32768, 32768 * 2 + 5000, 0, 32768, 2, 16384],
    [40000, 80000, 1, 40000, 3, 7232],
    [40000, 40001, 1, 1, 1, 1],
    [16384, 16384, 0, 16384, 1, 16384],
  ] as const;
  for (const [pieceLength, totalLength, piece, size, blocks, lastBlock] of cases) {
    const picker = new PiecePicker({
      pieceCount: Math.ceil(totalLength / pieceLength),
      pieceLength,
      totalLength,
    });
    assert.equal(picker.pieceSize(piece), size);
    assert.equal(picker.blockCount(piece), blocks);
    for (let i = 0; i < picker.pieceCount; i++) if (i !== piece) picker.setPiecePriority(i, 0);
    picker.addSeed();
    const picked = picker.pickBlocks(1, "all", 100);
    assert.equal(picked.length, blocks);
    assert.deepEqual(picked.at(-1), { index: piece, begin: (blocks - 1) * 16384, length: lastBlock });
    assert.equal(picked.reduce((sum, b) => sum + b.length, 0), size);
  }
  assert.throws(
    () => new PiecePicker({ pieceCount: 1, pieceLength: 10, totalLength: 10 }).pieceSize(1),
    RangeError,
  );
});

Deno.test("PiecePicker.pickBlocks() starts the rarest piece first", () => {
  const cases: { availability: number[]; seeds: number; first: number }[] = [
    { availability: [3, 1, 2, 4], seeds: 0, first: 1 },
    { availability: [2, 2, 2, 1], seeds: 5, first: 3 },
    { availability: [0, 5, 1, 1], seeds: 1, first: 0 }, // only the seed has piece 0
    { availability: [200, 199, 250, 200], seeds: 0, first: 1 },
  ];
  for (const { availability, seeds, first } of cases) {
    for (const bulk of [false, true]) {
      const picker = small(availability.length);
      for (let s = 0; s < seeds; s++) picker.addSeed();
      const most = Math.max(...availability);
      for (let round = 0; round < most; round++) {
        const has = availability.flatMap((count, i) => count > round ? [i] : []);
        if (bulk) picker.addAvailability(bitfieldOf(availability.length, has));
        else for (const i of has) picker.incrementAvailability(i);
      }
      assert.equal(picker.availability(first), availability[first] + seeds);
      const [block] = picker.pickBlocks(1, "all", 1);
      assert.equal(block.index, first, `${JSON.stringify(availability)} bulk=${bulk}`);
    }
  }
});

Deno.test("PiecePicker.pickBlocks() with a bitfield peer takes the rarest piece it has", () => {
  const picker = small(6);
  picker.addAvailability(bitfieldOf(6, [0, 1, 2, 3, 4, 5]));
  picker.addAvailability(bitfieldOf(6, [0, 1, 2, 4, 5]));
  picker.addAvailability(bitfieldOf(6, [0, 2, 4, 5]));
  const peer = bitfieldOf(6, [0, 1, 2, 3]);
  const order = [...Array(4)].map((_, i) => picker.pickBlocks(i, peer, 1)[0].index);
  assert.equal(order[0], 3);
  assert.equal(order[1], 1);
  assert.deepEqual(order.slice(2).sort(), [0, 2]);
  assert.deepEqual(picker.pickBlocks(9, peer, 1), []);
});

Deno.test("PiecePicker.pickBlocks() breaks availability ties at random, covering every tie", () => {
  const counts = new Array(10).fill(0);
  for (let seed = 0; seed < 500; seed++) {
    const picker = small(10, seed);
    picker.addAvailability(bitfieldOf(10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    picker.incrementAvailability(9); // piece 9 is common: never first
    picker.addSeed();
    counts[picker.pickBlocks(1, "all", 1)[0].index]++;
  }
  assert.equal(counts[9], 0);
  for (let i = 0; i < 9; i++) {
    assert.ok(counts[i] > 20 && counts[i] < 100, `piece ${i} drawn ${counts[i]} times`);
  }
  // Same seed, same choice.
  const a = small(10, 7);
  const b = small(10, 7);
  a.addSeed();
  b.addSeed();
  assert.deepEqual(a.pickBlocks(1, "all", 5), b.pickBlocks(1, "all", 5));
});

Deno.test("PiecePicker.pickBlocks() starts higher priorities first and never priority 0", () => {
  const picker = small(5);
  picker.addSeed();
  picker.setPiecePriority(0, 0);
  picker.setPiecePriority(1, 1);
  picker.setPiecePriority(2, 7);
  picker.incrementAvailability(2); // rarity does not beat priority
  const picked = picker.pickBlocks(1, "all", 10).map((b) => b.index);
  assert.equal(picked[0], 2);
  assert.equal(picked.at(-1), 1);
  assert.deepEqual([...picked].sort(), [1, 2, 3, 4]);
  assert.equal(picker.piecePriority(2), 7);
  assert.equal(picker.wanted(0), false);
  assert.throws(() => picker.setPiecePriority(1, 8), RangeError);
  assert.throws(() => picker.setPiecePriority(1, 1.5), RangeError);
});

Deno.test("PiecePicker.pickBlocks() finishes partial pieces first, preferring the peer's own", () => {
  // 4 pieces of 4 blocks.
  const picker = new PiecePicker({ pieceCount: 4, pieceLength: 64 * KIB, totalLength: 256 * KIB });
  picker.addSeed();
  const a = picker.pickBlocks(1, "all", 2);
  const b = picker.pickBlocks(2, "all", 6);
  assert.ok(a.every((r) => r.index === a[0].index));
  // Peer 2 finishes peer 1's piece, then starts one new piece.
  assert.deepEqual(b.slice(0, 2).map((r) => [r.index, r.begin]), [[a[0].index, 32768], [a[0].index, 49152]]);
  assert.equal(picker.partialCount, 2);
  picker.abortPeer(1);
  // Both pieces now have missing blocks; a newcomer completes both before starting a third.
  const other = b[2].index;
  picker.abortRequest(2, other, 3 * 16384);
  const again = picker.pickBlocks(2, "all", 1);
  assert.equal(again[0].index, a[0].index);
  const newcomer = picker.pickBlocks(3, "all", 3);
  assert.deepEqual(newcomer.map((r) => r.index), [a[0].index, other, newcomer[2].index]);
  assert.equal(picker.partialCount, 3);
});

Deno.test("PiecePicker.pickBlocks() prefers partial pieces the peer worked on over others", () => {
  const picker = new PiecePicker({ pieceCount: 3, pieceLength: 64 * KIB, totalLength: 192 * KIB });
  picker.addSeed();
  const theirs = picker.pickBlocks(2, "all", 4)[0].index;
  const mine = picker.pickBlocks(1, "all", 4)[0].index;
  picker.abortRequest(2, theirs, 3 * 16384); // opened first
  picker.abortRequest(1, mine, 3 * 16384);
  assert.deepEqual(picker.pickBlocks(1, "all", 1), [{ index: mine, begin: 3 * 16384, length: 16384 }]);
  assert.deepEqual(picker.pickBlocks(3, "all", 1), [{ index: theirs, begin: 3 * 16384, length: 16384 }]);
});

Deno.test("PiecePicker.pickBlocks() hands out each block once until endgame, then duplicates to other peers", () => {
  const picker = new PiecePicker({ pieceCount: 2, pieceLength: 32 * KIB, totalLength: 48 * KIB });
  picker.addSeed();
  assert.equal(picker.endgame, false);
  const a = picker.pickBlocks(1, "all", 2);
  assert.equal(picker.endgame, false);
  const b = picker.pickBlocks(2, "all", 1);
  assert.equal(picker.endgame, true);
  const key = (r: BlockRequest) => `${r.index}:${r.begin}`;
  assert.equal(new Set([...a, ...b].map(key)).size, 3);
  // Peer 3 gets duplicates of all three; peer 1 only of peer 2's block; then the cap of 2 per block is reached.
  const c = picker.pickBlocks(3, "all", 10);
  assert.deepEqual(c.map(key).sort(), [...a, ...b].map(key).sort());
  assert.deepEqual(picker.pickBlocks(1, "all", 10), []);
  assert.deepEqual(picker.pickBlocks(4, "all", 10), []);
  assert.equal(picker.requestsOf(3), 3);
  // Peer 3 delivers first: peers 1 and 2 get cancels; their late copies are duplicates.
  const results = c.map((r) => picker.blockReceived(3, r.index, r.begin, r.length));
  assert.deepEqual(results.map((r) => r.status), ["new", "new", "new"]);
  assert.deepEqual(results.flatMap((r) => r.cancel).sort(), [1, 1, 2]);
  assert.equal(results.filter((r) => r.pieceComplete).length, 2);
  assert.equal(picker.requestsOf(1), 0);
  assert.equal(picker.requestsOf(2), 0);
  assert.equal(picker.blockReceived(1, a[0].index, a[0].begin, a[0].length).status, "duplicate");
  picker.pieceVerified(0);
  picker.pieceVerified(1);
  assert.equal(picker.complete, true);
  assert.equal(picker.endgame, false);
  assert.equal(picker.blockReceived(2, b[0].index, b[0].begin, b[0].length).status, "duplicate");
});

Deno.test("PiecePicker.endgame stays off while a wanted piece is unrequested, even if no peer has it", () => {
  const picker = small(3);
  picker.addAvailability(bitfieldOf(3, [0, 1]));
  const peer = bitfieldOf(3, [0, 1]);
  assert.equal(picker.pickBlocks(1, peer, 10).length, 2);
  assert.equal(picker.endgame, false);
  assert.deepEqual(picker.pickBlocks(2, peer, 10), []);
  picker.setPiecePriority(2, 0);
  assert.equal(picker.endgame, true);
  assert.equal(picker.pickBlocks(2, peer, 10).length, 2);
});

Deno.test("PiecePicker.blockReceived() classifies blocks that were not asked for", () => {
  const picker = new PiecePicker({ pieceCount: 2, pieceLength: 32 * KIB, totalLength: 40000 });
  picker.addSeed();
  picker.setPiecePriority(0, 7);
  const picked = picker.pickBlocks(1, "all", 2);
  assert.deepEqual(picked.map((b) => b.index), [0, 0]);
  const p = 0;
  const cases: [number, number, number, number, string][] = [
    [2, p, 0, 16384, "unrequested"], // never asked peer 2
    [1, p, 100, 16384, "unrequested"], // offset not on a block
    [1, p, 0, 1000, "unrequested"], // wrong length
    [1, 7, 0, 16384, "unrequested"], // piece out of range
    [1, -1, 0, 16384, "unrequested"],
    [1, 1 - p, 0, 16384, "unrequested"], // piece not in progress
    [1, p, 32768, 16384, "unrequested"], // past the end of the piece
    [1, p, 0, 16384, "new"],
    [1, p, 0, 16384, "duplicate"],
  ];
  for (const [peer, index, begin, length, status] of cases) {
    assert.equal(
      picker.blockReceived(peer, index, begin, length).status,
      status,
      `${peer} ${index} ${begin}`,
    );
  }
  assert.equal(picker.blockReceived(1, p, 16384, 16384).pieceComplete, true);
  // The short last piece: one block of 40000 - 32768 bytes.
  assert.deepEqual(picker.pickBlocks(1, "all", 5), [{ index: 1, begin: 0, length: 7232 }]);
});

Deno.test("PiecePicker.abortRequest() and abortPeer() make blocks pickable again", () => {
  const picker = new PiecePicker({ pieceCount: 2, pieceLength: 32 * KIB, totalLength: 64 * KIB });
  picker.addSeed();
  const a = picker.pickBlocks(1, "all", 3);
  assert.equal(picker.requestsOf(1), 3);
  picker.abortRequest(1, a[2].index, a[2].begin);
  picker.abortRequest(1, a[2].index, a[2].begin); // twice is a no-op
  picker.abortRequest(2, a[0].index, a[0].begin); // not peer 2's
  assert.equal(picker.requestsOf(1), 2);
  assert.equal(picker.partialCount, 1); // the piece with no request left goes back to the order
  const b = picker.pickBlocks(2, "all", 2);
  assert.deepEqual(b.map((r) => r.index), [a[2].index, a[2].index]);
  const dropped = picker.abortPeer(1);
  assert.deepEqual(dropped, a.slice(0, 2));
  assert.equal(picker.requestsOf(1), 0);
  assert.deepEqual(picker.abortPeer(1), []);
  assert.deepEqual(picker.pickBlocks(3, "all", 2), a.slice(0, 2));
  assert.equal(picker.blockReceived(1, a[0].index, a[0].begin, a[0].length).status, "unrequested");
});

Deno.test("PiecePicker.pieceFailed() resets the piece and reports its contributors", () => {
  const picker = new PiecePicker({ pieceCount: 1, pieceLength: 48 * KIB, totalLength: 48 * KIB });
  picker.addSeed();
  const blocks = [picker.pickBlocks(5, "all", 1)[0], ...picker.pickBlocks(6, "all", 2)];
  assert.deepEqual(blocks.map((b) => b.begin), [0, 16384, 32768]);
  picker.blockReceived(5, 0, 0, 16384);
  picker.blockReceived(6, 0, 16384, 16384);
  assert.equal(picker.blockReceived(6, 0, 32768, 16384).pieceComplete, true);
  assert.deepEqual(picker.pieceFailed(0).sort(), [5, 6]);
  assert.equal(picker.partialCount, 0);
  assert.equal(picker.have.has(0), false);
  assert.deepEqual(picker.pickBlocks(7, "all", 10), blocks);
  assert.equal(picker.blockReceived(5, 0, 0, 16384).status, "unrequested");
  assert.deepEqual(picker.pieceFailed(0), []); // nothing received yet: reset, nobody to blame
  assert.deepEqual(picker.pickBlocks(7, "all", 10), blocks);
});

Deno.test("PiecePicker.pickBlocks() never returns blocks of unwanted or held pieces", () => {
  const picker = small(40, 3);
  picker.addSeed();
  const held = new Set([0, 5, 17, 39]);
  const unwanted = new Set([1, 5, 20, 21]);
  for (const i of held) picker.setHave(i);
  for (const i of unwanted) picker.setPiecePriority(i, 0);
  const seen = new Set<number>();
  for (let peer = 0; peer < 20; peer++) {
    const blocks = picker.pickBlocks(peer, "all", 3);
    deliver(picker, peer, blocks);
    for (const b of blocks) seen.add(b.index);
  }
  assert.equal(picker.complete, true);
  for (let i = 0; i < 40; i++) assert.equal(seen.has(i), !held.has(i) && !unwanted.has(i), `piece ${i}`);
});

Deno.test("PiecePicker.pickBlocks() gives a peer with nothing we want nothing", () => {
  const picker = small(16);
  picker.setHave(3);
  picker.setPiecePriority(4, 0);
  const peer = bitfieldOf(16, [3, 4]);
  picker.addAvailability(peer);
  assert.equal(picker.isInteresting(peer), false);
  assert.deepEqual(picker.pickBlocks(1, peer, 10), []);
  assert.deepEqual(picker.pickBlocks(1, new Bitfield(16), 10), []);
  assert.deepEqual(picker.pickBlocks(1, "all", 0), []);
  peer.set(9);
  picker.incrementAvailability(9);
  assert.equal(picker.isInteresting(peer), true);
  assert.deepEqual(picker.pickBlocks(1, peer, 10), [{ index: 9, begin: 0, length: 16384 }]);
});

Deno.test("PiecePicker.pickBlocks() with an allowed fast set picks only those pieces", () => {
  const picker = small(30);
  const peer = bitfieldOf(30, [2, 4, 6, 8]);
  picker.addAvailability(peer);
  const picked = picker.pickBlocks(1, peer, 10, new Set([4, 8, 9]));
  assert.deepEqual(picked.map((b) => b.index).sort((x, y) => x - y), [4, 8]);
  const fromSeed = picker.pickBlocks(2, "all", 10, new Set([8, 9, 10])).map((b) => b.index);
  assert.deepEqual(fromSeed.sort((x, y) => x - y), [9, 10]);
});

Deno.test("PiecePicker.isInteresting() and needs() follow have and priority", () => {
  const picker = small(9);
  const cases: [Bitfield | "all", boolean][] = [
    ["all", true],
    [new Bitfield(9), false],
    [bitfieldOf(9, [8]), true],
  ];
  for (const [peer, expected] of cases) assert.equal(picker.isInteresting(peer), expected);
  picker.setHave(8);
  assert.equal(picker.needs(8), false);
  assert.equal(picker.isInteresting(bitfieldOf(9, [8])), false);
  for (let i = 0; i < 8; i++) picker.setPiecePriority(i, 0);
  assert.equal(picker.isInteresting("all"), false);
  assert.equal(picker.complete, true);
  assert.throws(() => picker.isInteresting(new Bitfield(10)), RangeError);
});

Deno.test("PiecePicker availability methods reject miscounts", () => {
  const picker = small(4);
  assert.throws(() => picker.removeSeed(), RangeError);
  assert.throws(() => picker.removeAvailability(bitfieldOf(4, [1])), RangeError);
  assert.throws(() => picker.addAvailability(new Bitfield(5)), RangeError);
  assert.throws(() => picker.incrementAvailability(4), RangeError);
  assert.throws(() => picker.pickBlocks(-1, "all", 1), RangeError);
  assert.throws(() => picker.pickBlocks(1.5, "all", 1), RangeError);
  const peer = bitfieldOf(4, [0, 1]);
  picker.addAvailability(peer);
  picker.removeAvailability(peer);
  assert.equal(picker.availability(0), 0);
});

Deno.test("PiecePicker.setPiecePriority() to 0 stops a piece in progress", () => {
  const picker = new PiecePicker({ pieceCount: 2, pieceLength: 32 * KIB, totalLength: 64 * KIB });
  picker.addSeed();
  const [first] = picker.pickBlocks(1, "all", 1);
  picker.setPiecePriority(first.index, 0);
  const rest = picker.pickBlocks(2, "all", 10);
  assert.deepEqual(rest.map((b) => b.index), [1 - first.index, 1 - first.index]);
  assert.equal(picker.endgame, true);
  picker.setPiecePriority(first.index, 4);
  assert.equal(picker.endgame, false);
  assert.deepEqual(picker.pickBlocks(3, "all", 10)[0], { index: first.index, begin: 16384, length: 16384 });
});

Deno.test("PiecePicker.pickBlocks() in endgame never hands out blocks of a piece set to priority 0", () => {
  // 3 pieces of 2 blocks; peer 1 is asked for everything, so the picker is in endgame.
  const picker = new PiecePicker({ pieceCount: 3, pieceLength: 32 * KIB, totalLength: 96 * KIB });
  picker.addSeed();
  assert.equal(picker.pickBlocks(1, "all", 10).length, 6);
  assert.equal(picker.endgame, true);
  picker.setPiecePriority(1, 0);
  const second = picker.pickBlocks(2, "all", 10);
  assert.deepEqual([...new Set(second.map((b) => b.index))].sort(), [0, 2]);
  // Piece 1 still has requests out but is not needed: finishing the others completes the torrent.
  deliver(picker, 2, second);
  assert.equal(picker.have.count, 2);
  assert.equal(picker.complete, true);
  assert.equal(picker.endgame, false);
  assert.deepEqual(picker.pickBlocks(3, "all", 10), []);
});

Deno.test("PiecePicker.setPiecePriorities() sets every piece, or none when one value is bad", () => {
  const picker = small(4);
  picker.addSeed();
  picker.setPiecePriorities([0, 7, 0, 1]);
  assert.deepEqual([0, 1, 2, 3].map((i) => picker.piecePriority(i)), [0, 7, 0, 1]);
  assert.deepEqual(picker.pickBlocks(1, "all", 10).map((b) => b.index), [1, 3]);
  assert.throws(() => picker.setPiecePriorities([4, 4, 4]), /got 3 for 4 pieces/);
  assert.throws(() => picker.setPiecePriorities([4, 4, 8, 4]), /piece 2: 8 is not an integer in 0\.\.7/);
  assert.deepEqual([0, 1, 2, 3].map((i) => picker.piecePriority(i)), [0, 7, 0, 1]);
  picker.setPiecePriorities([4, 4, 4, 4]);
  assert.deepEqual(picker.pickBlocks(2, "all", 2).map((b) => b.index).sort(), [0, 2]);
});

Deno.test("PiecePicker.clearHave() puts a lost wanted piece back, and leaves an unwanted one out", () => {
  const picker = small(3);
  picker.addSeed();
  for (let i = 0; i < 3; i++) picker.setHave(i);
  picker.setPiecePriority(2, 0);
  assert.equal(picker.complete, true);
  picker.clearHave(1);
  picker.clearHave(2);
  picker.clearHave(2);
  assert.equal(picker.have.count, 1);
  assert.equal(picker.complete, false);
  assert.equal(picker.needs(1), true);
  assert.equal(picker.needs(2), false);
  assert.equal(picker.isInteresting(bitfieldOf(3, [2])), false);
  assert.deepEqual(picker.pickBlocks(1, "all", 10), [{ index: 1, begin: 0, length: 16384 }]);
  assert.throws(() => picker.clearHave(3), RangeError);
});

Deno.test("PiecePicker handles 2,097,152 pieces with state only for pieces in progress", () => {
  const pieceCount = 2_097_152;
  const before = Deno.memoryUsage();
  const picker = new PiecePicker({
    pieceCount,
    pieceLength: 256 * KIB,
    totalLength: pieceCount * 256 * KIB,
    random: seededRandom(2),
  });
  picker.addSeed();
  const blocks = picker.pickBlocks(1, "all", 100);
  assert.equal(blocks.length, 100);
  assert.equal(picker.partialCount, 7); // 16 blocks per piece
  const half = new Bitfield(pieceCount);
  for (let i = 0; i < pieceCount; i += 2) half.set(i);
  picker.addAvailability(half);
  const fromHalf = picker.pickBlocks(2, half, 32);
  assert.ok(fromHalf.every((b) => b.index % 2 === 0));
  const sparse = bitfieldOf(pieceCount, [11, 2_000_001]);
  picker.addAvailability(sparse);
  const partials = picker.partialCount;
  const fromSparse = picker.pickBlocks(3, sparse, 40).map((b) => b.index).sort((x, y) => x - y);
  assert.deepEqual(fromSparse, [...Array(16).fill(11), ...Array(16).fill(2_000_001)]);
  assert.equal(picker.partialCount, partials + 2);
  const after = Deno.memoryUsage();
  const grown = after.heapUsed + after.external - before.heapUsed - before.external;
  // Per-piece typed arrays are ~13 bytes × 2M ≈ 27 MB; per-block objects for 33M blocks would be gigabytes.
  assert.ok(grown < 128 * 1024 * 1024, `grew ${grown} bytes`);
});

Deno.test("PiecePicker.pickBlocks() starts at most maxNewPieces pieces, after finishing those in progress", () => {
  // Four pieces of two blocks.
  const picker = new PiecePicker({
    pieceCount: 4,
    pieceLength: 32 * KIB,
    totalLength: 128 * KIB,
    random: seededRandom(3),
  });
  const first = picker.pickBlocks(1, "all", 1);
  assert.equal(first.length, 1);
  const none = picker.pickBlocks(2, "all", 8, undefined, 0);
  assert.deepEqual(none.map((b) => b.index), [first[0].index], "only the piece in progress");
  const one = picker.pickBlocks(3, "all", 8, undefined, 1);
  assert.equal(one.length, 2, "one new piece of two blocks");
  assert.equal(new Set(one.map((b) => b.index)).size, 1);
  const rest = picker.pickBlocks(4, "all", 4);
  assert.equal(new Set(rest.map((b) => b.index)).size, 2, "without a limit, both pieces left are started");
});
