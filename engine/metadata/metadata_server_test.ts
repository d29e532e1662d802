import assert from "node:assert/strict";
import { decodeUtMetadata, encodeUtMetadata, METADATA_PIECE_SIZE } from "../wire/ut_metadata.ts";
import { MAX_METADATA_REQUESTS_PER_PEER, MetadataServer } from "./metadata_server.ts";

const SIZE = 40 * 1024;
const info = Uint8Array.from({ length: SIZE }, (_, i) => i & 0xff);

Deno.test("MetadataServer.answer() serves every piece, the last one short", () => {
  const server = new MetadataServer(info);
  const parts: Uint8Array[] = [];
  for (const piece of [0, 1, 2]) {
    const answer = server.answer({ type: "request", piece }, 1);
    assert.equal(answer.type, "data");
    if (answer.type !== "data") continue;
    assert.equal(answer.piece, piece);
    assert.equal(answer.totalSize, SIZE);
    assert.equal(answer.data.length, piece < 2 ? METADATA_PIECE_SIZE : SIZE - 2 * METADATA_PIECE_SIZE);
    assert.deepEqual(decodeUtMetadata(encodeUtMetadata(answer)), answer, "the answer is a valid message");
    parts.push(answer.data);
  }
  assert.deepEqual(Uint8Array.of(...parts.flatMap((p) => [...p])), info);
});

Deno.test("MetadataServer.answer() rejects pieces out of range", () => {
  const server = new MetadataServer(info);
  for (const piece of [3, 1000, -1, 0.5]) {
    assert.deepEqual(server.answer({ type: "request", piece }, 1), { type: "reject", piece });
  }
});

Deno.test("MetadataServer.answer() rejects every request while we have no metadata (BEP 9 MUST)", () => {
  const server = new MetadataServer(undefined);
  for (const piece of [0, 1, 2]) {
    assert.deepEqual(server.answer({ type: "request", piece }, 1), { type: "reject", piece });
  }
});

Deno.test("MetadataServer.answer() rejects a peer after 1024 requests (HOSTILE_INPUTS.md 49)", () => {
  const server = new MetadataServer(info);
  const types = Array.from(
    { length: 2000 },
    (_, i) => server.answer({ type: "request", piece: i % 3 }, 1).type,
  );
  assert.equal(MAX_METADATA_REQUESTS_PER_PEER, 1024);
  assert.deepEqual(types.slice(0, 1024).filter((t) => t !== "data"), []);
  assert.deepEqual(types.slice(1024).filter((t) => t !== "reject"), []);
  assert.equal(server.answer({ type: "request", piece: 0 }, 2).type, "data", "other peers are still served");
  server.removePeer(1);
  assert.equal(
    server.answer({ type: "request", piece: 0 }, 1).type,
    "data",
    "a new connection starts afresh",
  );
  const small = new MetadataServer(info, { maxRequestsPerPeer: 1 });
  assert.equal(small.answer({ type: "request", piece: 0 }, 1).type, "data");
  assert.equal(small.answer({ type: "request", piece: 0 }, 1).type, "reject");
});

Deno.test("MetadataServer checks its arguments", () => {
  assert.throws(() => new MetadataServer(new Uint8Array()), RangeError);
  assert.throws(() => new MetadataServer(info, { maxRequestsPerPeer: -1 }), RangeError);
  const server = new MetadataServer(info);
  assert.throws(() => server.answer({ type: "reject", piece: 0 }, 1), TypeError);
});
