import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeCompactNodes,
  decodeCompactPeer,
  encodeCompactNodes,
  encodeCompactPeer,
  ipv4Bytes,
} from "./compact.ts";

Deno.test("decodeCompactNodes() behaviour: ignores trailing bytes and drops port 0 (HOSTILE 55)", () => {
  const a = { id: new Uint8Array(20).fill(1), host: "1.2.3.4", port: 80 };
  const b = { id: new Uint8Array(20).fill(2), host: "5.6.7.8", port: 6881 };
  const bytes = encodeCompactNodes([a, b]);
  bytes[26 + 24] = 0;
  bytes[26 + 25] = 0;
  const withTail = new Uint8Array(bytes.length + 25);
  withTail.set(bytes);
  assert.deepEqual(decodeCompactNodes(withTail), [a]);
  assert.deepEqual(decodeCompactNodes(new Uint8Array(25)), []);
});

Deno.test("decodeCompactNodes() behaviour: caps the count", () => {
  const many = Array.from(
    { length: 40 },
    (_, i) => ({ id: new Uint8Array(20).fill(i), host: "1.1.1.1", port: i + 1 }),
  );
  assert.equal(decodeCompactNodes(encodeCompactNodes(many)).length, 16);
  assert.equal(decodeCompactNodes(encodeCompactNodes(many), 40).length, 40);
});

Deno.test("encodeCompactPeer() behaviour: round trips and rejects bad input", () => {
  fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (host, port) => {
    assert.deepEqual(decodeCompactPeer(encodeCompactPeer({ host, port })), { host, port });
  }));
  assert.throws(() => encodeCompactPeer({ host: "::1", port: 1 }), TypeError);
  assert.throws(() => encodeCompactPeer({ host: "1.2.3.4", port: 0 }), RangeError);
  assert.equal(decodeCompactPeer(new Uint8Array([1, 2, 3, 4, 0, 0])), undefined);
  assert.equal(decodeCompactPeer(new Uint8Array(7)), undefined);
  assert.equal(ipv4Bytes("256.1.1.1"), undefined);
});

Deno.test("decodeCompactPeer() behaviour: reads 18-byte IPv6 entries (BEP 32) and drops unusable ones", () => {
  const loopback = new Uint8Array(18);
  loopback[15] = 1;
  loopback.set([0x1a, 0xe1], 16);
  assert.deepEqual(decodeCompactPeer(loopback), { host: "::1", port: 6881 });
  const mapped = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7, 0, 80);
  assert.deepEqual(decodeCompactPeer(mapped), { host: "10.0.0.7", port: 80 });
  const zeroPort = loopback.slice();
  zeroPort.set([0, 0], 16);
  assert.equal(decodeCompactPeer(zeroPort), undefined);
  const multicast = loopback.slice();
  multicast[0] = 0xff;
  assert.equal(decodeCompactPeer(multicast), undefined);
  assert.equal(decodeCompactPeer(new Uint8Array(17)), undefined);
});
