import { deepEqual, equal } from "node:assert/strict";
import { type ByteTransport, HAVE_DELAY_MS, PeerConnection, type PeerDelegate } from "./peer_connection.ts";
import { Bitfield } from "./picker/bitfield.ts";
import { encodeMessage, WireDecoder, type WireMessage } from "./wire/mod.ts";

/** An in-memory transport: the test queues what the peer sends; writes are collected. */
class MemoryTransport implements ByteTransport {
  #queue: Uint8Array[] = [];
  #wake: (() => void) | undefined;
  closed = false;
  written: Uint8Array[] = [];

  send(...messages: WireMessage[]): void {
    for (const m of messages) this.#queue.push(encodeMessage(m));
    this.#wake?.();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#queue.length === 0) {
      if (this.closed) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const chunk = this.#queue.shift()!;
    buffer.set(chunk);
    return chunk.length;
  }

  write(data: Uint8Array): Promise<number> {
    this.written.push(data.slice());
    return Promise.resolve(data.length);
  }

  close(): void {
    this.closed = true;
    this.#wake?.();
  }
}

function setup(pieceCount: number, fast = false, v2 = false) {
  const transport = new MemoryTransport();
  const has: number[] = [];
  const closed: string[] = [];
  const rejected: string[] = [];
  const hashMessages: string[] = [];
  const delegate: PeerDelegate = {
    peerHas: (_, index) => has.push(index),
    peerChoked: () => {},
    peerUnchoked: () => {},
    peerInterestChanged: () => {},
    blockReceived: () => {},
    readBlock: () => Promise.resolve(null),
    havePiece: () => true,
    pieceSize: () => 16384,
    afterMessages: () => {},
    peerClosed: (_, reason) => closed.push(reason),
    requestRejected: (_, index, begin, length) => rejected.push(`${index}:${begin}+${length}`),
    extendedMessage: () => {},
    hashMessage: (_, message) => hashMessages.push(message.type),
  };
  const peer = new PeerConnection({
    transport,
    decoder: new WireDecoder(),
    handshake: { reserved: new Uint8Array(8), infoHash: new Uint8Array(20), peerId: new Uint8Array(20) },
    pieceCount,
    name: "127.0.0.1:1",
    incoming: true,
    key: 0,
    delegate,
    fast,
    v2,
  });
  return { transport, has, closed, rejected, hashMessages, peer, done: peer.run() };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("PeerConnection merges a late or repeated bitfield as haves (aria2 sends one after its requests)", async () => {
  const { transport, has, closed, peer, done } = setup(12);
  transport.send(
    { type: "interested" },
    { type: "have", index: 3 },
    { type: "bitfield", bitfield: Uint8Array.of(0b1001_0000, 0) },
    { type: "bitfield", bitfield: Uint8Array.of(0b1001_0000, 0b0001_0000) },
  );
  await tick();
  deepEqual(has, [3, 0, 11]);
  equal(peer.bitfield.count, 3);
  deepEqual(closed, []);
  peer.close("test over");
  await done;
});

Deno.test("PeerConnection reports a first bitfield once and drops a bitfield of the wrong size", async () => {
  const { transport, has, closed, peer, done } = setup(12);
  transport.send({ type: "bitfield", bitfield: Uint8Array.of(0xff, 0xff) });
  await tick();
  deepEqual(has, [-1]);
  equal(peer.bitfield.count, 12, "spare bits are ignored");
  transport.send({ type: "bitfield", bitfield: Uint8Array.of(0xff) });
  await done;
  deepEqual(closed, ["invalid_bitfield"]);
});

Deno.test("PeerConnection drops a peer that sends more than 300 requests while choked", async () => {
  const { transport, closed, done } = setup(4);
  for (let i = 0; i < 300; i++) transport.send({ type: "request", index: 0, begin: 0, length: 16384 });
  await tick();
  deepEqual(closed, []);
  transport.send({ type: "request", index: 0, begin: 0, length: 16384 });
  await done;
  deepEqual(closed, ["too_many_invalid_requests"]);
});

/** The wire messages `transport` carried, decoded. */
function sent(transport: MemoryTransport): WireMessage[] {
  const decoder = new WireDecoder();
  for (const chunk of transport.written) decoder.push(chunk);
  const out: WireMessage[] = [];
  for (let m = decoder.next(); m !== null; m = decoder.next()) out.push(m);
  return out;
}

Deno.test("PeerConnection drops a peer sending BEP 6 messages when the fast extension is off", async () => {
  const { transport, closed, done } = setup(8);
  transport.send({ type: "have_all" });
  await done;
  deepEqual(closed, ["unexpected_message"]);
});

Deno.test("PeerConnection with the fast extension takes have_all, reject and allowed_fast (BEP 6)", async () => {
  const { transport, has, rejected, closed, peer, done } = setup(8, true);
  transport.send(
    { type: "have_all" },
    { type: "allowed_fast", index: 3 },
    { type: "suggest", index: 5 },
    { type: "reject", index: 2, begin: 16384, length: 16384 },
  );
  await tick();
  deepEqual(has, [-1]);
  equal(peer.bitfield.count, 8);
  deepEqual([...peer.allowedFast], [3]);
  deepEqual([...peer.suggested], [5]);
  deepEqual(rejected, ["2:16384+16384"]);
  transport.send({ type: "allowed_fast", index: 8 });
  await done;
  deepEqual(closed, ["invalid_allowed_fast"]);
});

Deno.test("PeerConnection with the fast extension rejects requests it will not serve and sends have_none", async () => {
  const { transport, peer, done } = setup(8, true);
  peer.sendBitfield(new Bitfield(8));
  transport.send({ type: "request", index: 1, begin: 0, length: 16384 });
  await tick();
  await tick();
  deepEqual(sent(transport), [
    { type: "have_none" },
    { type: "reject", index: 1, begin: 0, length: 16384 },
  ]);
  peer.close("test over");
  await done;
});

Deno.test("PeerConnection keeps at most 32 suggested pieces (BEP 6 suggest)", async () => {
  const { transport, closed, peer, done } = setup(100, true);
  for (let i = 0; i < 50; i++) transport.send({ type: "suggest", index: i });
  await tick();
  equal(peer.suggested.size, 32);
  deepEqual(closed, []);
  peer.close("test over");
  await done;
});

const hashRef = {
  piecesRoot: new Uint8Array(32).fill(7),
  baseLayer: 0,
  index: 0,
  length: 512,
  proofLayers: 3,
};

Deno.test("PeerConnection answers a hash request on a v1 connection with a hash reject (BEP 52)", async () => {
  const { transport, closed, hashMessages, peer, done } = setup(8);
  transport.send({ type: "hash_request", ...hashRef, length: 0x7fff_ffff });
  await tick();
  await tick();
  deepEqual(sent(transport), [{ type: "hash_reject", ...hashRef, length: 0x7fff_ffff }]);
  deepEqual(hashMessages, []);
  deepEqual(closed, []);
  transport.send({ type: "hashes", ...hashRef, length: 2, proofLayers: 0, hashes: new Uint8Array(64) });
  await done;
  deepEqual(closed, ["unexpected_message"]);
  equal(peer.v2, false);
});

Deno.test("PeerConnection hands hash messages of a v2 connection to its delegate", async () => {
  const { transport, closed, hashMessages, peer, done } = setup(8, true, true);
  transport.send({ type: "hash_request", ...hashRef }, { type: "hash_reject", ...hashRef });
  await tick();
  deepEqual(hashMessages, ["hash_request", "hash_reject"]);
  deepEqual(closed, []);
  peer.close("test over");
  await done;
});

Deno.test("PeerConnection sends a have with the next message, or on its own within HAVE_DELAY_MS", async () => {
  const { transport, peer, done } = setup(8);
  peer.sendHave(1);
  peer.sendHave(2);
  await tick();
  equal(transport.written.length, 0, "haves wait for company");
  peer.sendRequest(3, 0, 16384);
  await tick();
  equal(transport.written.length, 1, "one write carries both haves and the request");
  deepEqual(sent(transport).map((m) => m.type), ["have", "have", "request"]);
  peer.sendHave(4);
  await new Promise((resolve) => setTimeout(resolve, HAVE_DELAY_MS + 20));
  equal(transport.written.length, 2, "alone, a have goes out after the delay");
  deepEqual(sent(transport).at(-1), { type: "have", index: 4 });
  peer.sendHave(5);
  peer.close("test over");
  await done;
  await new Promise((resolve) => setTimeout(resolve, HAVE_DELAY_MS + 20));
  equal(transport.written.length, 2, "nothing is written after close");
});
