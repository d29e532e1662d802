import assert from "node:assert/strict";
import { encode } from "../bencode/mod.ts";
import { decodeKrpc, encodeError, encodeQuery, encodeResponse, MAX_KRPC_PACKET } from "./krpc.ts";
import { KrpcError } from "./krpc_error.ts";

const id = new Uint8Array(20).fill(9);
const t = new Uint8Array([0xaa, 0xbb]);
const ascii = (s: string) => new TextEncoder().encode(s);

function code203(bytes: Uint8Array, withT: boolean): void {
  assert.throws(() => decodeKrpc(bytes), (error: unknown) => {
    assert.ok(error instanceof KrpcError);
    assert.equal(error.code, 203);
    assert.equal(error.transactionId !== undefined, withT);
    return true;
  });
}

Deno.test("decodeKrpc() behaviour: round trips query, response and error", () => {
  const q = decodeKrpc(encodeQuery(t, "find_node", { id, target: id }));
  assert.equal(q.y, "q");
  if (q.y === "q") {
    assert.equal(q.q, "find_node");
    assert.deepEqual(q.id, id);
    assert.deepEqual(q.t, t);
  }
  const r = decodeKrpc(encodeResponse(t, { id, token: ascii("tok") }));
  assert.equal(r.y, "r");
  if (r.y === "r") assert.deepEqual(r.r.get("token"), ascii("tok"));
  const e = decodeKrpc(encodeError(t, 204, "Method Unknown"));
  assert.deepEqual(e, { y: "e", t, code: 204, message: "Method Unknown" });
});

Deno.test("decodeKrpc() behaviour: rejects hostile packets with 203 (HOSTILE 51)", () => {
  code203(ascii("garbage"), false);
  code203(ascii("li1ee"), false);
  code203(encode({ y: "q", q: "ping", a: { id } }), false);
  code203(encode({ t: new Uint8Array(17), y: "q", q: "ping", a: { id } }), false);
  code203(encode({ t, q: "ping", a: { id } }), true);
  code203(encode({ t, y: "q", q: "ping", a: { id: new Uint8Array(19) } }), true);
  code203(encode({ t, y: "r", r: { id: new Uint8Array(21) } }), true);
  code203(encode({ t, y: "r", r: {} }), true);
  code203(encode({ t, y: "q", q: "ping" }), true);
  code203(encode({ t, y: "x" }), true);
  code203(encode({ t, y: "e", e: ["x"] }), true);
  let deep: unknown = 1;
  for (let i = 0; i < 12; i++) deep = [deep];
  code203(encode({ t, y: "q", q: "ping", a: { id, x: deep as number[] } }), false);
  code203(encode({ t, y: "q", q: "ping", a: { id, x: new Array(600).fill(0) } }), false);
  code203(new Uint8Array(MAX_KRPC_PACKET + 1), false);
  code203(ascii("d1:t99999999999:xe"), false);
});

Deno.test("decodeKrpc() behaviour: copies byte strings out of the datagram", () => {
  const bytes = encodeQuery(t, "ping", { id });
  const q = decodeKrpc(bytes);
  bytes.fill(0);
  assert.deepEqual(q.t, t);
  if (q.y === "q") assert.deepEqual(q.id, id);
});
