import assert from "node:assert/strict";
import fc from "fast-check";
import { autoPieceLength } from "./auto_piece_length.ts";

Deno.test("autoPieceLength() aims for 1000-2000 pieces within 16 KiB..16 MiB", () => {
  assert.equal(autoPieceLength(0), 16_384);
  assert.equal(autoPieceLength(1), 16_384);
  assert.equal(autoPieceLength(2000 * 16_384), 16_384);
  assert.equal(autoPieceLength(2000 * 16_384 + 1), 32_768);
  assert.equal(autoPieceLength(1024 ** 4), 16 * 1024 * 1024);
  fc.assert(fc.property(fc.integer({ min: 2000 * 16_384 + 1, max: 2000 * 16 * 1024 * 1024 }), (total) => {
    const length = autoPieceLength(total);
    const pieces = Math.ceil(total / length);
    assert.ok(pieces > 1000 && pieces <= 2000, `${total} -> ${pieces} pieces of ${length}`);
    assert.equal(length & (length - 1), 0);
  }));
  assert.throws(() => autoPieceLength(-1), RangeError);
});
