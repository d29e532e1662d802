import assert from "node:assert/strict";
import type { PexMessage, PexPeer } from "../wire/ut_pex.ts";
import { PexState } from "./pex_state.ts";

function peer(i: number, port = 6881): PexPeer {
  return { host: `198.51.${i >> 8}.${(i & 0xff) || 1}`, port };
}

function peers(from: number, to: number): PexPeer[] {
  const list: PexPeer[] = [];
  for (let i = from; i < to; i++) list.push(peer(i, 1000 + i));
  return list;
}

Deno.test("PexState.message() sends the diff since the last message to each peer, at most once per interval", () => {
  const pex = new PexState();
  const a = { host: "192.0.2.1", port: 6881, flags: 0x10 };
  const b = { host: "2001:db8::2", port: 6881 };
  const c = { host: "192.0.2.3", port: 6881 };
  assert.deepEqual(pex.message(1, [a, b, a], 0), { added: [a, b], dropped: [] });
  assert.equal(pex.message(1, [a, c], 59_999), null);
  assert.deepEqual(pex.message(2, [a], 10_000), { added: [a], dropped: [] });
  assert.deepEqual(pex.message(1, [a, c], 60_000), { added: [c], dropped: [{ host: b.host, port: b.port }] });
  assert.equal(pex.message(1, [a, c], 200_000), null, "nothing changed");
  assert.deepEqual(pex.message(1, [a], 200_001), { added: [], dropped: [c] });
});

Deno.test("PexState.message() elides a peer that came and went between two messages", () => {
  const pex = new PexState({ interval: 1000 });
  const a = peer(1);
  assert.deepEqual(pex.message(7, [a], 0), { added: [a], dropped: [] });
  assert.equal(pex.message(7, [a, peer(2)], 500), null);
  assert.equal(pex.message(7, [a], 1000), null);
});

Deno.test("PexState.message() sends at most 50 added and 50 dropped, the rest later", () => {
  const pex = new PexState({ interval: 0 });
  const all = peers(0, 120);
  const first = pex.message(1, all, 0) as PexMessage;
  assert.equal(first.added.length, 50);
  assert.deepEqual(first.added, all.slice(0, 50));
  assert.equal(pex.message(1, all, 1)?.added.length, 50);
  assert.deepEqual(pex.message(1, all, 2), { added: all.slice(100), dropped: [] });
  const gone = pex.message(1, [], 3) as PexMessage;
  assert.equal(gone.dropped.length, 50);
  assert.equal(gone.added.length, 0);
  assert.equal(pex.message(1, [], 4)?.dropped.length, 50);
  assert.equal(pex.message(1, [], 5)?.dropped.length, 20);
  assert.equal(pex.message(1, [], 6), null);
});

Deno.test("PexState.message() and accept() do nothing for a private torrent", () => {
  const pex = new PexState({ private: true });
  assert.equal(pex.message(1, [peer(1)], 0), null);
  assert.deepEqual(pex.accept(1, { host: "192.0.2.9" }, { added: [peer(1)], dropped: [] }, 0), []);
});

Deno.test("PexState.accept() ignores the 7th message from one peer within 60 s", () => {
  const pex = new PexState();
  const msg = { added: [peer(1)], dropped: [] };
  const from = { host: "192.0.2.9" };
  for (let i = 0; i < 6; i++) assert.deepEqual(pex.accept(1, from, msg, i * 1000), [peer(1)]);
  assert.deepEqual(pex.accept(1, from, msg, 6000), [], "7th in 60 s");
  assert.deepEqual(pex.accept(2, from, msg, 6000), [peer(1)], "other peers are counted apart");
  assert.deepEqual(pex.accept(1, from, msg, 59_999), [], "still flooding");
  assert.deepEqual(pex.accept(1, from, msg, 200_000), [peer(1)], "quiet for a minute");
  pex.forget(2);
  for (let i = 0; i < 6; i++) assert.equal(pex.accept(2, from, msg, 6000).length, 1);
});

Deno.test("PexState.accept() drops loopback and private peers from a public peer", () => {
  const pex = new PexState({ maxPerMinute: 100 });
  const msg = {
    added: [
      { host: "127.0.0.1", port: 1 },
      { host: "10.0.0.1", port: 2 },
      { host: "192.168.1.1", port: 3 },
      { host: "fd00::1", port: 4 },
      { host: "::1", port: 5 },
      { host: "192.0.2.1", port: 6, flags: 2 },
    ],
    dropped: [],
  };
  assert.deepEqual(pex.accept(1, { host: "203.0.113.1" }, msg, 0), [{
    host: "192.0.2.1",
    port: 6,
    flags: 2,
  }]);
  assert.deepEqual(pex.accept(1, { host: "192.168.1.7" }, msg, 0).map((p) => p.port), [2, 3, 4, 6]);
  assert.deepEqual(pex.accept(1, { host: "127.0.0.1" }, msg, 0).map((p) => p.port), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(pex.accept(1, { host: "::ffff:127.0.0.1" }, msg, 0).length, 6, "IPv4-mapped loopback");
  assert.deepEqual(pex.accept(1, { host: "not an address" }, msg, 0).map((p) => p.port), [6]);
});

Deno.test("PexState.accept() ignores repeated public IPs, peers also dropped, and takes at most 50", () => {
  const pex = new PexState();
  const from = { host: "127.0.0.1" };
  const msg = {
    added: [
      { host: "192.0.2.1", port: 1 },
      { host: "192.0.2.1", port: 2 },
      { host: "127.0.0.1", port: 3 },
      { host: "127.0.0.1", port: 4 },
      { host: "192.0.2.5", port: 5 },
    ],
    dropped: [{ host: "192.0.2.5", port: 5 }],
  };
  assert.deepEqual(pex.accept(1, from, msg, 0).map((p) => p.port), [1, 3, 4]);
  assert.equal(pex.accept(1, from, { added: peers(0, 300), dropped: [] }, 0).length, 50);
});

Deno.test("PexState() rejects bad options", () => {
  assert.throws(() => new PexState({ interval: -1 }), RangeError);
  assert.throws(() => new PexState({ maxPerMinute: 0 }), RangeError);
});
