/**
 * Shared fixtures of the wire tests: one message of every type, and a copy helper for decoder views.
 *
 * @module
 */

import type { WireMessage } from "./wire_message.ts";

/** Bytes 0, 1, 2, ... (mod 256) of the given length. */
export function counting(length: number, from = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (from + i) & 0xff;
  return out;
}

/** One message of every type, with fields that exercise every byte of each integer. */
export function everyMessage(): WireMessage[] {
  const root = counting(32, 100);
  return [
    { type: "keep_alive" },
    { type: "choke" },
    { type: "unchoke" },
    { type: "interested" },
    { type: "not_interested" },
    { type: "have", index: 0x01020304 },
    { type: "bitfield", bitfield: Uint8Array.of(0xff, 0x80) },
    { type: "request", index: 7, begin: 0x4000, length: 0x4000 },
    { type: "piece", index: 0xffff_fffe, begin: 0x8000, block: counting(16384, 3) },
    { type: "piece", index: 1, begin: 0, block: new Uint8Array(0) },
    { type: "cancel", index: 7, begin: 0x4000, length: 0x4000 },
    { type: "port", port: 6881 },
    { type: "suggest", index: 42 },
    { type: "have_all" },
    { type: "have_none" },
    { type: "reject", index: 9, begin: 16384, length: 1234 },
    { type: "allowed_fast", index: 0xffff_ffff },
    { type: "extended", id: 0, payload: new TextEncoder().encode("d1:md11:ut_metadatai1eee") },
    { type: "extended", id: 3, payload: new Uint8Array(0) },
    { type: "hash_request", piecesRoot: root, baseLayer: 0, index: 512, length: 512, proofLayers: 3 },
    {
      type: "hashes",
      piecesRoot: root,
      baseLayer: 1,
      index: 2,
      length: 2,
      proofLayers: 0,
      hashes: counting(64),
    },
    { type: "hash_reject", piecesRoot: root, baseLayer: 0, index: 0, length: 2, proofLayers: 1 },
  ];
}

/** A copy of a decoded message whose byte fields no longer alias the decoder's buffer. */
export function detach(msg: WireMessage): WireMessage {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(msg)) {
    copy[key] = value instanceof Uint8Array ? value.slice() : value;
  }
  return copy as WireMessage;
}
