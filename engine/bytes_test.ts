import { equal } from "node:assert/strict";
import { hex, sameBytes } from "./bytes.ts";

Deno.test("hex() writes two lowercase digits per byte", () => {
  equal(hex(Uint8Array.of(0, 1, 0x0f, 0xa0, 0xff)), "00010fa0ff");
  equal(hex(new Uint8Array(0)), "");
});

Deno.test("sameBytes() compares length and every byte", () => {
  equal(sameBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)), true);
  equal(sameBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)), false);
  equal(sameBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3)), false);
});
