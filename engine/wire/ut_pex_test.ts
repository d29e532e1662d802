import assert from "node:assert/strict";
import fc from "fast-check";
import { decode, encode } from "../bencode/mod.ts";
import { PeerProtocolError } from "../errors.ts";
import {
  decodePex,
  encodePex,
  MAX_PEX_MESSAGE,
  MAX_PEX_PEERS_TAKEN,
  PEX_FLAG_OUTGOING,
  PEX_FLAG_SEED,
  PEX_FLAG_UTP,
  type PexMessage,
} from "./ut_pex.ts";

const text = (s: string) => new TextEncoder().encode(s);

function isInvalid(e: unknown): boolean {
  return e instanceof PeerProtocolError && e.code === "invalid_pex";
}

function v4(a: number, b: number, c: number, d: number, port: number): number[] {
  return [a, b, c, d, port >> 8, port & 0xff];
}

Deno.test("encodePex() writes BEP 11 keys that decodePex() reads back", () => {
  const msg: PexMessage = {
    added: [
      { host: "192.0.2.7", port: 6881, flags: PEX_FLAG_SEED | PEX_FLAG_OUTGOING },
      { host: "2001:db8::7", port: 51413, flags: PEX_FLAG_UTP },
      { host: "198.51.100.1", port: 1, flags: 0 },
    ],
    dropped: [{ host: "203.0.113.9", port: 65535 }, { host: "2001:db8::9", port: 80 }],
  };
  const bytes = encodePex(msg);
  const dict = decode(bytes) as Map<string, Uint8Array>;
  assert.deepEqual([...dict.keys()], ["added", "added.f", "added6", "added6.f", "dropped", "dropped6"]);
  assert.deepEqual(dict.get("added"), Uint8Array.of(...v4(192, 0, 2, 7, 6881), ...v4(198, 51, 100, 1, 1)));
  assert.deepEqual(dict.get("added.f"), Uint8Array.of(0x12, 0));
  assert.deepEqual(dict.get("added6.f"), Uint8Array.of(PEX_FLAG_UTP));
  assert.equal(dict.get("added6")?.length, 18);
  assert.equal(dict.get("dropped6")?.length, 18);
  assert.deepEqual(decodePex(bytes), {
    added: [msg.added[0], msg.added[2], msg.added[1]],
    dropped: msg.dropped,
  });
  assert.equal(new TextDecoder().decode(encodePex({ added: [], dropped: [] })), "d5:added0:7:dropped0:e");
});

Deno.test("encodePex() writes IPv4-mapped IPv6 hosts as IPv4 and flags 0 when absent", () => {
  const bytes = encodePex({ added: [{ host: "::ffff:192.0.2.1", port: 80 }], dropped: [] });
  assert.deepEqual(
    bytes,
    Uint8Array.of(
      ...text("d5:added6:"),
      ...v4(192, 0, 2, 1, 80),
      ...text("7:added.f1:"),
      0,
      ...text("7:dropped0:e"),
    ),
  );
});

Deno.test("encodePex() rejects bad hosts, ports and flags", () => {
  assert.throws(() => encodePex({ added: [{ host: "example.com", port: 80 }], dropped: [] }), TypeError);
  assert.throws(() => encodePex({ added: [], dropped: [{ host: "192.0.2.1", port: 0 }] }), RangeError);
  assert.throws(() => encodePex({ added: [{ host: "192.0.2.1", port: 70000 }], dropped: [] }), RangeError);
  assert.throws(
    () => encodePex({ added: [{ host: "192.0.2.1", port: 1, flags: 256 }], dropped: [] }),
    RangeError,
  );
});

Deno.test("decodePex() rejects payloads over 500 KiB, bad bencode and non-dictionaries", () => {
  const big = new Uint8Array(MAX_PEX_MESSAGE + 1);
  assert.throws(() => decodePex(big), isInvalid);
  assert.throws(() => decodePex(text("li1ee")), isInvalid);
  assert.throws(() => decodePex(text("d5:added")), isInvalid);
  assert.throws(() => decodePex(text("d1:xllllllllllllleeeeeeeeeeeeee")), isInvalid);
  assert.deepEqual(decodePex(text("de")), { added: [], dropped: [] });
});

Deno.test("decodePex() ignores trailing bytes, mismatched flags and lists of the wrong type", () => {
  const added = Uint8Array.of(...v4(192, 0, 2, 1, 6881), ...v4(192, 0, 2, 2, 6882), 1, 2, 3);
  const payload = encode({ added, "added.f": Uint8Array.of(2), dropped: 5, added6: new Uint8Array(17) });
  assert.deepEqual(decodePex(payload), {
    added: [{ host: "192.0.2.1", port: 6881 }, { host: "192.0.2.2", port: 6882 }],
    dropped: [],
  });
  const withFlags = encode({ added: added.subarray(0, 12), "added.f": Uint8Array.of(2, 16) });
  assert.deepEqual(decodePex(withFlags).added.map((p) => p.flags), [2, 16]);
});

Deno.test("decodePex() drops port 0, unspecified, multicast and repeated entries", () => {
  const added = Uint8Array.of(
    ...v4(192, 0, 2, 1, 0),
    ...v4(0, 0, 0, 0, 80),
    ...v4(224, 0, 0, 1, 80),
    ...v4(255, 255, 255, 255, 80),
    ...v4(192, 0, 2, 5, 80),
    ...v4(192, 0, 2, 5, 80),
  );
  const added6 = new Uint8Array(36);
  added6[0] = 0xff;
  added6[17] = 80;
  added6[34] = 0x1a;
  const msg = decodePex(encode({ added, added6, dropped: Uint8Array.of(...v4(192, 0, 2, 9, 0)) }));
  assert.deepEqual(msg, { added: [{ host: "192.0.2.5", port: 80 }], dropped: [] });
});

Deno.test("decodePex() takes at most 50 added and 50 dropped peers out of 300", () => {
  const list: number[] = [];
  for (let i = 0; i < 300; i++) list.push(...v4(198, 51, i >> 8, (i & 0xff) || 1, 1000 + i));
  const msg = decodePex(encode({ added: Uint8Array.from(list), dropped: Uint8Array.from(list) }));
  assert.equal(msg.added.length, MAX_PEX_PEERS_TAKEN);
  assert.equal(msg.dropped.length, MAX_PEX_PEERS_TAKEN);
  assert.deepEqual(msg.added[0], { host: "198.51.0.1", port: 1000 });
});

Deno.test("decodePex() never throws on arbitrary dictionaries and round-trips encodePex()", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 60 }), (a, f) => {
    const msg = decodePex(encode({ added: a, "added.f": f, added6: a, dropped6: a }));
    assert.ok(msg.added.length <= MAX_PEX_PEERS_TAKEN);
    assert.deepEqual(
      decodePex(encodePex(msg)).added.map((p) => `${p.host}|${p.port}`),
      msg.added.map((p) => `${p.host}|${p.port}`),
    );
  }));
});
