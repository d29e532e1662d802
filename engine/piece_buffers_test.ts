import { equal } from "node:assert/strict";
import { PieceBuffers } from "./piece_buffers.ts";

Deno.test("PieceBuffers.allocate() keeps to the budget, but always allows four pieces in flight", () => {
  const small = { used: 0, limit: 64 * 1024 };
  const buffers = new PieceBuffers(small, 16384);
  for (let i = 0; i < 4; i++) equal(buffers.allocate(i, 16384), true, `piece ${i}`);
  equal(buffers.allocate(4, 16384), false, "the 64 KiB budget is full");
  equal(buffers.allocate(0, 16384), true, "a piece that has a buffer keeps it");

  const big = { used: 0, limit: 1024 * 1024 };
  const large = new PieceBuffers(big, 4 * 1024 * 1024);
  for (let i = 0; i < 4; i++) {
    equal(large.allocate(i, 4 * 1024 * 1024), true, `4 MiB piece ${i} over a 1 MiB budget`);
  }
  equal(large.allocate(4, 4 * 1024 * 1024), false, "a fifth 4 MiB piece waits");
  large.take(0);
  large.written(4 * 1024 * 1024);
  equal(large.allocate(4, 4 * 1024 * 1024), true, "a finished write makes room");
});

Deno.test("PieceBuffers.available() counts the buffers the budget still allows", () => {
  const budget = { used: 0, limit: 64 * 1024 };
  const buffers = new PieceBuffers(budget, 16384);
  equal(buffers.available(16384), 4);
  buffers.allocate(0, 16384);
  buffers.allocate(1, 16384);
  equal(buffers.available(16384), 2);
  buffers.allocate(2, 16384);
  buffers.allocate(3, 16384);
  equal(buffers.available(16384), 0);
  buffers.take(3);
  equal(buffers.available(16384), 0, "a piece at the disk still counts");
  buffers.written(16384);
  equal(buffers.available(16384), 1);
  equal(new PieceBuffers({ used: 0, limit: 1024 }, 1 << 20).available(1 << 20), 4, "four pieces of any size");
});

Deno.test("PieceBuffers.written() keeps at most 4 MiB of spare buffers for reuse", () => {
  const budget = { used: 0, limit: 1 << 30 };
  const buffers = new PieceBuffers(budget, 1024 * 1024);
  const taken = [];
  for (let i = 0; i < 8; i++) {
    buffers.allocate(i, 1024 * 1024);
    taken.push(buffers.take(i)!);
  }
  for (const buffer of taken) buffers.written(buffer.byteLength, buffer.buffer as ArrayBuffer);
  equal(budget.used, 0);
  // The first four allocations reuse the spares (same ArrayBuffer objects); the fifth is new.
  const reused = new Set(taken.map((b) => b.buffer));
  let fromSpares = 0;
  for (let i = 0; i < 8; i++) {
    buffers.allocate(100 + i, 1024 * 1024);
    if (reused.has(buffers.get(100 + i)!.buffer)) fromSpares++;
  }
  equal(fromSpares, 4);
});
