import assert from "node:assert/strict";
import type { PeerConnection } from "./peer_connection.ts";
import { TorrentExtensions, UT_PEX_ID } from "./peer_extensions.ts";
import { decodeExtensionHandshake, encodeExtensionHandshake, encodePex, type PexPeer } from "./wire/mod.ts";

/** The part of a PeerConnection TorrentExtensions uses, recording what it sends. */
function fakePeer(key: number, port: number) {
  const sent: { id: number; payload: Uint8Array }[] = [];
  const peer = {
    key,
    name: `10.0.0.${key}:${port}`,
    incoming: false,
    isSeed: false,
    sendExtended: (id: number, payload: Uint8Array) => sent.push({ id, payload }),
  };
  return { peer: peer as unknown as PeerConnection, sent };
}

function extensions(options: { private?: boolean; pex?: boolean }) {
  const learnt: PexPeer[][] = [];
  const ext = new TorrentExtensions({
    infoBytes: new Uint8Array(100),
    private: options.private ?? false,
    pex: options.pex,
    onPeers: (peers) => learnt.push(peers),
    listenPort: () => 6881,
  });
  return { ext, learnt };
}

Deno.test("TorrentExtensions behaviour: pex false neither offers, reads nor sends ut_pex (BEP 11)", () => {
  const pexMessage = encodePex({ added: [{ host: "10.9.9.9", port: 7000, flags: 0 }], dropped: [] });
  for (
    const [options, on] of [[{}, true], [{ pex: true }, true], [{ pex: false }, false], [
      { private: true },
      false,
    ]] as const
  ) {
    const { ext, learnt } = extensions(options);
    const a = fakePeer(1, 6001);
    const b = fakePeer(2, 6002);
    ext.handshake(a.peer);
    const ours = decodeExtensionHandshake(a.sent[0].payload);
    assert.equal(ours.m.has("ut_pex"), on, JSON.stringify(options));
    assert.equal(ours.m.get("ut_metadata"), 1);
    for (const { peer } of [a, b]) {
      ext.received(peer, 0, encodeExtensionHandshake({ m: new Map([["ut_pex", 5]]) }));
    }
    ext.received(a.peer, UT_PEX_ID, pexMessage);
    assert.equal(learnt.length, on ? 1 : 0, `peers learnt with ${JSON.stringify(options)}`);
    a.sent.length = 0;
    ext.tick([a.peer, b.peer], 120_000);
    assert.equal(a.sent.some((m) => m.id === 5), on, `ut_pex sent with ${JSON.stringify(options)}`);
  }
});

Deno.test("TorrentExtensions.handshake() sends m, v, p, reqq, metadata_size and the peer's address as yourip (BEP 10)", () => {
  const { ext } = extensions({});
  const a = fakePeer(7, 6001);
  ext.handshake(a.peer);
  const ours = decodeExtensionHandshake(a.sent[0].payload);
  assert.equal(a.sent[0].id, 0);
  assert.deepEqual(ours.yourip, Uint8Array.of(10, 0, 0, 7));
  assert.equal(ours.p, 6881);
  assert.equal(ours.reqq, 500);
  assert.equal(ours.metadataSize, 100);
  assert.equal(ours.v, "ccbt/0.1.0");
  const v6 = fakePeer(8, 6002);
  (v6.peer as unknown as { name: string }).name = "[2001:db8::5]:6002";
  ext.handshake(v6.peer);
  assert.deepEqual(
    decodeExtensionHandshake(v6.sent[0].payload).yourip,
    Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5),
  );
});
