import assert from "node:assert/strict";
import { PeerProtocolError } from "../errors.ts";
import { checkBitfield } from "./check_bitfield.ts";

function isInvalid(e: unknown): boolean {
  return e instanceof PeerProtocolError && e.code === "invalid_bitfield";
}

Deno.test("checkBitfield() accepts exactly ceil(pieceCount / 8) bytes", () => {
  const bitfield = checkBitfield(Uint8Array.of(0b1010_0000, 0b0000_0001), 16);
  assert.equal(bitfield.size, 16);
  assert.deepEqual([...bitfield.indices()], [0, 2, 15]);
  assert.equal(checkBitfield(Uint8Array.of(0xff), 8).complete, true);
  assert.equal(checkBitfield(new Uint8Array(0), 0).size, 0);
});

Deno.test("checkBitfield() throws invalid_bitfield for one byte short or long", () => {
  assert.throws(() => checkBitfield(new Uint8Array(1), 9), isInvalid);
  assert.throws(() => checkBitfield(new Uint8Array(3), 9), isInvalid);
  assert.throws(() => checkBitfield(new Uint8Array(0), 1), isInvalid);
  assert.throws(() => checkBitfield(new Uint8Array(125_001), 1_000_000), isInvalid);
});

Deno.test("checkBitfield() ignores spare bits and copies its input", () => {
  const bytes = Uint8Array.of(0xff, 0xff);
  const bitfield = checkBitfield(bytes, 10);
  assert.equal(bitfield.count, 10);
  assert.equal(bitfield.complete, true);
  assert.equal(bitfield.bytes[1], 0b1100_0000);
  bytes.fill(0);
  assert.equal(bitfield.count, 10);
  assert.equal(bitfield.has(9), true);
});
