import assert from "node:assert/strict";
import fc from "fast-check";
import type { Bitfield } from "./bitfield.ts";
import { type BlockRequest, PiecePicker } from "./piece_picker.ts";
import { bitfieldOf, seededRandom } from "./_test_util.ts";

const BLOCK = 4;

type Op =
  | { t: "pick"; peer: number; max: number; fast: boolean }
  | { t: "receive"; peer: number; n: number; stray: boolean }
  | { t: "abort"; peer: number; n: number }
  | { t: "abortPeer"; peer: number }
  | { t: "finish"; n: number; ok: boolean }
  | { t: "priority"; piece: number; priority: number }
  | { t: "setHave"; piece: number }
  | { t: "clearHave"; piece: number }
  | { t: "priorities"; priorities: number[] }
  | { t: "haveMessage"; peer: number; piece: number };

const peerArb = fc.integer({ min: 0, max: 2 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      t: fc.constant("pick" as const),
      peer: peerArb,
      max: fc.nat(6),
      fast: fc.boolean(),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      t: fc.constant("receive" as const),
      peer: peerArb,
      n: fc.nat(),
      stray: fc.boolean(),
    }),
    weight: 4,
  },
  fc.record({ t: fc.constant("abort" as const), peer: peerArb, n: fc.nat() }),
  fc.record({ t: fc.constant("abortPeer" as const), peer: peerArb }),
  { arbitrary: fc.record({ t: fc.constant("finish" as const), n: fc.nat(), ok: fc.boolean() }), weight: 2 },
  fc.record({
    t: fc.constant("priority" as const),
    piece: fc.nat(),
    priority: fc.constantFrom(0, 0, 1, 4, 7),
  }),
  fc.record({ t: fc.constant("setHave" as const), piece: fc.nat() }),
  fc.record({ t: fc.constant("clearHave" as const), piece: fc.nat() }),
  fc.record({
    t: fc.constant("priorities" as const),
    priorities: fc.array(fc.constantFrom(0, 1, 4, 7), { minLength: 20, maxLength: 20 }),
  }),
  fc.record({
    t: fc.constant("haveMessage" as const),
    peer: fc.integer({ min: 0, max: 1 }),
    piece: fc.nat(),
  }),
);

const geometryArb = fc.record({
  pieceCount: fc.integer({ min: 1, max: 20 }),
  pieceLength: fc.integer({ min: 1, max: 4 * BLOCK }),
  lastShort: fc.nat(4 * BLOCK),
  seed: fc.nat(),
  // Pieces of the two bitfield peers; short lists make sparse peers, searched by their own bits.
  pieces: fc.tuple(fc.array(fc.nat(19), { maxLength: 20 }), fc.array(fc.nat(19), { maxLength: 20 })),
});

/** The test's own record of what was asked for and received, checked against the picker after every step. */
class Model {
  readonly outstanding = new Map<string, Set<number>>();
  readonly received = new Set<string>();
  readonly contributors = new Map<number, Set<number>>();
  constructor(readonly picker: PiecePicker) {}

  blocksOf(peer: number): string[] {
    return [...this.outstanding].filter(([, peers]) => peers.has(peer)).map(([key]) => key).sort();
  }

  forgetPiece(index: number): void {
    for (const key of [...this.outstanding.keys()]) {
      if (key.startsWith(`${index}:`)) this.outstanding.delete(key);
    }
    for (const key of [...this.received]) if (key.startsWith(`${index}:`)) this.received.delete(key);
    this.contributors.delete(index);
  }

  allReceived(index: number): boolean {
    for (let b = 0; b < this.picker.blockCount(index); b++) {
      if (!this.received.has(`${index}:${b * BLOCK}`)) return false;
    }
    return true;
  }

  /** Whether every block of every wanted, missing piece is requested or received. */
  endgame(): boolean {
    const { picker } = this;
    let needed = false;
    for (let i = 0; i < picker.pieceCount; i++) {
      if (!picker.wanted(i) || picker.have.has(i)) continue;
      needed = true;
      for (let b = 0; b < picker.blockCount(i); b++) {
        const k = `${i}:${b * BLOCK}`;
        if (!this.received.has(k) && !this.outstanding.has(k)) return false;
      }
    }
    return needed;
  }

  check(): void {
    const { picker } = this;
    for (const peer of [0, 1, 2, 9]) assert.equal(picker.requestsOf(peer), this.blocksOf(peer).length);
    assert.equal(picker.endgame, this.endgame());
    // Block state exists exactly for pieces with a block requested or received.
    const busy = new Set([...this.outstanding.keys(), ...this.received].map((k) => k.split(":")[0]));
    assert.equal(picker.partialCount, busy.size);
  }
}

const key = (b: BlockRequest) => `${b.index}:${b.begin}`;

function pick(
  model: Model,
  peer: number,
  has: Bitfield | "all",
  max: number,
  fast?: Set<number>,
): BlockRequest[] {
  const { picker } = model;
  const blocks = picker.pickBlocks(peer, has, max, fast);
  assert.ok(blocks.length <= max);
  let duplicates = 0;
  for (const b of blocks) {
    assert.ok(picker.wanted(b.index) && !picker.have.has(b.index), `unwanted or held piece ${b.index}`);
    assert.ok(has === "all" || has.has(b.index));
    assert.ok(fast === undefined || fast.has(b.index));
    assert.equal(b.begin % BLOCK, 0);
    assert.equal(b.length, Math.min(BLOCK, picker.pieceSize(b.index) - b.begin));
    assert.ok(!model.received.has(key(b)), "received block handed out");
    const peers = model.outstanding.get(key(b)) ?? new Set();
    assert.ok(!peers.has(peer), "block handed out twice to one peer");
    if (peers.size > 0) duplicates++;
    peers.add(peer);
    assert.ok(peers.size <= 2);
    model.outstanding.set(key(b), peers);
  }
  if (duplicates > 0) assert.ok(model.endgame(), "block handed out twice outside endgame");
  if (blocks.length < max) {
    // Nothing left out: every block this peer could serve is received or requested (twice, or from it, in endgame).
    const endgame = model.endgame();
    for (let i = 0; i < picker.pieceCount; i++) {
      if (!picker.needs(i) || (has !== "all" && !has.has(i)) || (fast !== undefined && !fast.has(i))) {
        continue;
      }
      for (let b = 0; b < picker.blockCount(i); b++) {
        const k = `${i}:${b * BLOCK}`;
        if (model.received.has(k)) continue;
        const peers = model.outstanding.get(k);
        assert.ok(peers !== undefined, `pickable block ${k} left out`);
        if (endgame) assert.ok(peers.has(peer) || peers.size >= 2, `endgame block ${k} left out`);
      }
    }
  }
  return blocks;
}

function receive(model: Model, peer: number, index: number, begin: number, length: number): void {
  const { picker } = model;
  const k = `${index}:${begin}`;
  const peers = model.outstanding.get(k);
  const result = picker.blockReceived(peer, index, begin, length);
  if (picker.have.has(index) || model.received.has(k)) {
    assert.equal(result.status, "duplicate");
  } else if (peers?.has(peer)) {
    assert.equal(result.status, "new");
    assert.deepEqual(result.cancel.sort(), [...peers].filter((p) => p !== peer).sort());
    model.outstanding.delete(k);
    model.received.add(k);
    const set = model.contributors.get(index) ?? new Set();
    model.contributors.set(index, set.add(peer));
    assert.equal(result.pieceComplete, model.allReceived(index));
  } else {
    assert.equal(result.status, "unrequested");
  }
}

function finish(model: Model, index: number, ok: boolean): void {
  const { picker } = model;
  assert.ok(![...model.outstanding.keys()].some((k) => k.startsWith(`${index}:`)));
  if (ok) picker.pieceVerified(index);
  else {
    const blamed = picker.pieceFailed(index).sort();
    assert.deepEqual(blamed, [...(model.contributors.get(index) ?? [])].sort());
  }
  model.forgetPiece(index);
}

function apply(model: Model, peers: [Bitfield, Bitfield, "all"], op: Op): void {
  const { picker } = model;
  const n = picker.pieceCount;
  switch (op.t) {
    case "pick": {
      const fast = op.fast ? new Set([0, n - 1]) : undefined;
      pick(model, op.peer, peers[op.peer], op.max, fast);
      break;
    }
    case "receive": {
      const mine = model.blocksOf(op.peer);
      if (op.stray || mine.length === 0) {
        const index = op.n % n;
        const begin = (op.n % picker.blockCount(index)) * BLOCK;
        receive(model, op.peer, index, begin, Math.min(BLOCK, picker.pieceSize(index) - begin));
      } else {
        const [index, begin] = mine[op.n % mine.length].split(":").map(Number);
        receive(model, op.peer, index, begin, Math.min(BLOCK, picker.pieceSize(index) - begin));
      }
      break;
    }
    case "abort": {
      const mine = model.blocksOf(op.peer);
      if (mine.length === 0) break;
      const k = mine[op.n % mine.length];
      const [index, begin] = k.split(":").map(Number);
      picker.abortRequest(op.peer, index, begin);
      model.outstanding.get(k)!.delete(op.peer);
      if (model.outstanding.get(k)!.size === 0) model.outstanding.delete(k);
      break;
    }
    case "abortPeer": {
      const expected = model.blocksOf(op.peer);
      assert.deepEqual(picker.abortPeer(op.peer).map(key).sort(), expected);
      for (const k of expected) {
        model.outstanding.get(k)!.delete(op.peer);
        if (model.outstanding.get(k)!.size === 0) model.outstanding.delete(k);
      }
      break;
    }
    case "finish": {
      const done = [...Array(n).keys()].filter((i) => !picker.have.has(i) && model.allReceived(i));
      if (done.length > 0) finish(model, done[op.n % done.length], op.ok);
      break;
    }
    case "priority":
      picker.setPiecePriority(op.piece % n, op.priority);
      break;
    case "setHave":
      picker.setHave(op.piece % n);
      model.forgetPiece(op.piece % n);
      break;
    case "clearHave": {
      const had = picker.have.has(op.piece % n);
      picker.clearHave(op.piece % n);
      assert.equal(picker.have.has(op.piece % n), false);
      if (had) assert.equal(picker.needs(op.piece % n), picker.wanted(op.piece % n));
      break;
    }
    case "priorities":
      picker.setPiecePriorities(op.priorities.slice(0, n));
      for (let i = 0; i < n; i++) assert.equal(picker.piecePriority(i), op.priorities[i]);
      break;
    case "haveMessage": {
      const bitfield = peers[op.peer] as Bitfield;
      if (bitfield.set(op.piece % n)) picker.incrementAvailability(op.piece % n);
      break;
    }
  }
  model.check();
}

Deno.test("PiecePicker keeps its invariants over random operation sequences", () => {
  fc.assert(
    fc.property(geometryArb, fc.array(opArb, { maxLength: 80 }), (g, ops) => {
      const totalLength = Math.max(1, g.pieceCount * g.pieceLength - (g.lastShort % g.pieceLength));
      const picker = new PiecePicker({
        pieceCount: Math.ceil(totalLength / g.pieceLength),
        pieceLength: g.pieceLength,
        totalLength,
        blockSize: BLOCK,
        random: seededRandom(g.seed),
      });
      const n = picker.pieceCount;
      const peers: [Bitfield, Bitfield, "all"] = [
        bitfieldOf(n, g.pieces[0].filter((i) => i < n)),
        bitfieldOf(n, g.pieces[1].filter((i) => i < n)),
        "all",
      ];
      picker.addAvailability(peers[0]);
      picker.addAvailability(peers[1]);
      picker.addSeed();
      const model = new Model(picker);
      for (const op of ops) apply(model, peers, op);

      // Every missing block is eventually pickable: a fresh seed finishes the torrent.
      for (const peer of [0, 1, 2]) apply(model, peers, { t: "abortPeer", peer });
      for (let round = 0; !picker.complete; round++) {
        assert.ok(round <= n + 1, "seed could not finish the torrent");
        for (let i = 0; i < n; i++) if (!picker.have.has(i) && model.allReceived(i)) finish(model, i, true);
        for (const b of pick(model, 9, "all", 1000)) receive(model, 9, b.index, b.begin, b.length);
        model.check();
      }
      for (let i = 0; i < n; i++) assert.equal(picker.have.has(i) || !picker.wanted(i), true);
    }),
    { numRuns: 1000 },
  );
});
