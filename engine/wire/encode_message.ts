/**
 * One-shot encoding of a single peer wire message, for tests and rare messages.
 *
 * @module
 */

import { MessageWriter } from "./message_writer.ts";
import type { WireMessage } from "./wire_message.ts";

/**
 * Encodes one message with its 4-byte big-endian length prefix (BEP 3). On the hot path, append to a
 * {@linkcode MessageWriter} instead.
 *
 * @param msg The message.
 * @returns A new `Uint8Array` holding exactly the encoded message.
 * @throws {RangeError} When a field is out of range for its wire encoding (e.g. an index above 2^32 - 1).
 *
 * @example BEP 3 `have` for piece 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeMessage } from "./encode_message.ts";
 * assert.deepEqual([...encodeMessage({ type: "have", index: 1 })], [0, 0, 0, 5, 4, 0, 0, 0, 1]);
 * ```
 */
export function encodeMessage(msg: WireMessage): Uint8Array {
  const writer = new MessageWriter(64);
  writer.write(msg);
  return writer.take();
}
