import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { decodeUtMetadata, encodeUtMetadata, METADATA_PIECE_SIZE } from "../wire/ut_metadata.ts";
import { MetadataFetcher } from "./metadata_fetcher.ts";
import { MetadataServer } from "./metadata_server.ts";

const SIZE = 40 * 1024;

function makeMetadata(size = SIZE): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff);
}

function sha1(bytes: Uint8Array): Uint8Array {
  return createHash("sha1").update(bytes).digest();
}

function pieceOf(metadata: Uint8Array, piece: number): Uint8Array {
  return metadata.subarray(piece * METADATA_PIECE_SIZE, (piece + 1) * METADATA_PIECE_SIZE);
}

Deno.test("MetadataFetcher assembles 3 pieces fetched from 3 peers in parallel", () => {
  const metadata = makeMetadata();
  const fetcher = new MetadataFetcher({ infoHash: sha1(metadata) });
  for (const peer of [1, 2, 3]) assert.equal(fetcher.addPeer(peer, SIZE), true);
  assert.equal(fetcher.size, SIZE);
  const asked = new Map([1, 2, 3].map((peer) => [peer, fetcher.requests(peer, 0)]));
  assert.deepEqual([...asked.values()], [[0], [1], [2]]);
  assert.deepEqual(fetcher.requests(1, 1), [], "a piece is asked of one peer at a time");
  // Answers arrive out of order.
  assert.deepEqual(fetcher.received(3, 2, SIZE, pieceOf(metadata, 2)), { result: "stored" });
  assert.deepEqual(fetcher.received(1, 0, SIZE, pieceOf(metadata, 0)), { result: "stored" });
  assert.equal(fetcher.metadata, undefined);
  assert.deepEqual(fetcher.received(2, 1, SIZE, pieceOf(metadata, 1)), { result: "complete" });
  assert.deepEqual(fetcher.metadata, metadata);
  assert.deepEqual(fetcher.requests(1, 2), []);
  assert.deepEqual(fetcher.received(2, 1, SIZE, pieceOf(metadata, 1)), { result: "ignored" });
});

Deno.test("MetadataFetcher.requests() gives a lone peer up to max pieces at a time", () => {
  const metadata = makeMetadata();
  const fetcher = new MetadataFetcher({ infoHash: sha1(metadata) });
  fetcher.addPeer(7, SIZE);
  assert.deepEqual(fetcher.requests(7, 0), [0, 1]);
  assert.deepEqual(fetcher.requests(7, 0), []);
  fetcher.received(7, 0, SIZE, pieceOf(metadata, 0));
  assert.deepEqual(fetcher.requests(7, 1), [2]);
  assert.deepEqual(fetcher.requests(8, 1), [], "an unknown peer gets nothing");
  fetcher.received(7, 1, SIZE, pieceOf(metadata, 1));
  assert.deepEqual(fetcher.received(7, 2, SIZE, pieceOf(metadata, 2)).result, "complete");
  const three = new MetadataFetcher({ infoHash: sha1(metadata) });
  three.addPeer(1, SIZE);
  assert.deepEqual(three.requests(1, 0, 3), [0, 1, 2]);
});

Deno.test("MetadataFetcher refuses hostile sizes and allocates nothing for them (HOSTILE_INPUTS.md 46)", () => {
  const fetcher = new MetadataFetcher({ infoHash: new Uint8Array(20) });
  for (const size of [0, -1, 2 ** 40, 31_457_281, 1.5, NaN]) {
    assert.equal(fetcher.addPeer(1, size), false, `size ${size}`);
    assert.deepEqual(fetcher.requests(1, 0), []);
  }
  assert.equal(fetcher.size, undefined);
  assert.equal(fetcher.addPeer(2, 30 * 1024 * 1024), true, "30 MiB is the largest size accepted");
  assert.equal(fetcher.addPeer(3, SIZE), false, "a size other than the one adopted");
  assert.deepEqual(fetcher.requests(3, 0), []);
  assert.equal(fetcher.size, 30 * 1024 * 1024);
});

Deno.test("MetadataFetcher.received() ignores pieces that were not asked for or do not fit (HOSTILE_INPUTS.md 47)", () => {
  const metadata = makeMetadata();
  const fetcher = new MetadataFetcher({ infoHash: sha1(metadata) });
  assert.deepEqual(
    fetcher.received(1, 0, SIZE, pieceOf(metadata, 0)).result,
    "ignored",
    "before any request",
  );
  fetcher.addPeer(1, SIZE);
  fetcher.addPeer(2, SIZE);
  assert.deepEqual(fetcher.requests(1, 0), [0, 1]);
  const ignored = (peer: number, piece: number, total: number, data: Uint8Array) =>
    assert.equal(fetcher.received(peer, piece, total, data).result, "ignored", `${peer} ${piece} ${total}`);
  ignored(1, 2, SIZE, pieceOf(metadata, 2)); // never asked
  ignored(2, 0, SIZE, pieceOf(metadata, 0)); // asked of another peer
  ignored(1, 3, SIZE, new Uint8Array(1)); // out of range
  ignored(1, -1, SIZE, new Uint8Array(1));
  ignored(1, 0, SIZE + 1, pieceOf(metadata, 0)); // total_size changed
  ignored(1, 0, SIZE, pieceOf(metadata, 0).subarray(1)); // non-last piece not 16 KiB
  ignored(1, 0, SIZE, pieceOf(metadata, 0)); // its request was dropped with the bad answer
  assert.deepEqual(fetcher.requests(1, 0), [2], "piece 0 is not asked of peer 1 again for a while");
  assert.deepEqual(fetcher.requests(2, 0), [0]);
  assert.equal(fetcher.received(1, 1, SIZE, pieceOf(metadata, 1)).result, "stored");
  assert.equal(fetcher.received(2, 0, SIZE, pieceOf(metadata, 0)).result, "stored");
  ignored(1, 2, SIZE, new Uint8Array(METADATA_PIECE_SIZE)); // the last piece is 8 KiB
  assert.deepEqual(fetcher.requests(1, 0), []);
  assert.deepEqual(fetcher.requests(2, 0), [2]);
  assert.equal(fetcher.received(2, 2, SIZE, pieceOf(metadata, 2)).result, "complete");
});

Deno.test("MetadataFetcher.received() discards corrupt metadata, blames its sources and refetches (HOSTILE_INPUTS.md 48)", () => {
  const metadata = makeMetadata();
  const fetcher = new MetadataFetcher({ infoHash: sha1(metadata) });
  for (const peer of [1, 2, 3, 4]) fetcher.addPeer(peer, SIZE);
  assert.deepEqual(fetcher.requests(1, 0), [0]);
  assert.deepEqual(fetcher.requests(2, 0), [1]);
  assert.deepEqual(fetcher.requests(3, 0), [2]);
  fetcher.received(1, 0, SIZE, pieceOf(metadata, 0));
  const bad = pieceOf(metadata, 1).slice();
  bad[100] ^= 1;
  fetcher.received(2, 1, SIZE, bad);
  assert.deepEqual(fetcher.received(3, 2, SIZE, pieceOf(metadata, 2)), {
    result: "corrupt",
    blame: [1, 2, 3],
  });
  assert.equal(fetcher.metadata, undefined);
  for (const peer of [1, 2, 3]) {
    assert.deepEqual(
      fetcher.requests(peer, 1),
      [],
      `suspect ${peer} is not asked while others make progress`,
    );
    assert.equal(fetcher.addPeer(peer, SIZE), true, "suspects are not banned");
  }
  assert.deepEqual(fetcher.requests(4, 1), [0, 1]);
  assert.equal(fetcher.received(4, 0, SIZE, pieceOf(metadata, 0)).result, "stored");
  assert.equal(fetcher.received(4, 1, SIZE, pieceOf(metadata, 1)).result, "stored");
  assert.deepEqual(fetcher.requests(4, 1), [2]);
  assert.equal(fetcher.received(4, 2, SIZE, pieceOf(metadata, 2)).result, "complete");
  assert.deepEqual(fetcher.metadata, metadata);
});

Deno.test("MetadataFetcher adopts the most announced size after a lying first peer is blamed", () => {
  const metadata = makeMetadata(100);
  const fetcher = new MetadataFetcher({ infoHash: sha1(metadata) });
  assert.equal(fetcher.addPeer(1, 50), true);
  assert.equal(fetcher.addPeer(2, 100), false);
  assert.equal(fetcher.addPeer(3, 100), false);
  assert.deepEqual(fetcher.requests(1, 0), [0]);
  assert.deepEqual(fetcher.received(1, 0, 50, new Uint8Array(50)), { result: "corrupt", blame: [1] });
  assert.equal(fetcher.size, 100);
  assert.deepEqual(fetcher.requests(2, 0), [0]);
  assert.deepEqual(fetcher.received(2, 0, 100, metadata), { result: "complete" });
});

Deno.test("MetadataFetcher.rejected() re-requests the piece from another peer", () => {
  const metadata = makeMetadata();
  const fetcher = new MetadataFetcher({ infoHash: sha1(metadata), rejectBackoffMs: 5_000 });
  fetcher.addPeer(1, SIZE);
  assert.deepEqual(fetcher.requests(1, 0), [0, 1]);
  fetcher.rejected(1, 0);
  fetcher.rejected(1, 2); // never asked: no effect
  assert.deepEqual(fetcher.requests(1, 100), [2], "piece 0 is not asked of the rejecting peer");
  fetcher.addPeer(2, SIZE);
  assert.deepEqual(fetcher.requests(2, 200), [0]);
  fetcher.rejected(2, 0, 250);
  assert.deepEqual(fetcher.requests(2, 5_249), []);
  assert.deepEqual(fetcher.requests(2, 300), [], "every other piece is asked of peer 1");
  fetcher.received(1, 1, SIZE, pieceOf(metadata, 1));
  fetcher.received(1, 2, SIZE, pieceOf(metadata, 2));
  assert.deepEqual(fetcher.requests(1, 4_999), []);
  assert.deepEqual(fetcher.requests(1, 5_000), [0], "after the backoff the piece may be asked again");
});

Deno.test("MetadataFetcher.requests() re-issues timed-out requests elsewhere and takes late answers", () => {
  const metadata = makeMetadata();
  const fetcher = new MetadataFetcher({ infoHash: sha1(metadata), timeoutMs: 1_000 });
  fetcher.addPeer(1, SIZE);
  assert.deepEqual(fetcher.requests(1, 0), [0, 1]);
  fetcher.addPeer(2, SIZE);
  assert.deepEqual(fetcher.requests(2, 500), [2]);
  assert.deepEqual(fetcher.requests(2, 999), []);
  fetcher.received(2, 2, SIZE, pieceOf(metadata, 2));
  assert.deepEqual(fetcher.requests(2, 1_000), [0], "peer 1's requests timed out");
  assert.deepEqual(fetcher.requests(1, 1_000), [1], "peer 1 is asked again only for what nobody else has");
  assert.equal(fetcher.received(1, 0, SIZE, pieceOf(metadata, 0)).result, "stored", "a late answer counts");
  assert.equal(fetcher.received(2, 0, SIZE, pieceOf(metadata, 0)).result, "ignored", "already have it");
  assert.equal(fetcher.received(1, 1, SIZE, pieceOf(metadata, 1)).result, "complete");
});

Deno.test("MetadataFetcher.removePeer() hands the peer's pieces to others", () => {
  const metadata = makeMetadata();
  const fetcher = new MetadataFetcher({ infoHash: sha1(metadata) });
  fetcher.addPeer(1, SIZE);
  fetcher.addPeer(2, SIZE);
  assert.deepEqual(fetcher.requests(1, 0), [0, 1]);
  fetcher.removePeer(1);
  assert.deepEqual(fetcher.requests(2, 0, 3), [0, 1, 2]);
  assert.equal(fetcher.received(1, 0, SIZE, pieceOf(metadata, 0)).result, "ignored");
});

Deno.test("MetadataFetcher constructor checks its options", () => {
  assert.throws(() => new MetadataFetcher({ infoHash: new Uint8Array(32) }), RangeError);
  assert.throws(() => new MetadataFetcher({ infoHash: new Uint8Array(20), timeoutMs: -1 }), RangeError);
  assert.throws(() => new MetadataFetcher({}), RangeError);
  assert.throws(() => new MetadataFetcher({ infoHashV2: new Uint8Array(20) }), RangeError);
  const calls: number[] = [];
  const fetcher = new MetadataFetcher({
    infoHash: new Uint8Array(20),
    sha1: (bytes) => (calls.push(bytes.length), new Uint8Array(20)),
  });
  fetcher.addPeer(1, 10);
  fetcher.requests(1, 0);
  assert.equal(fetcher.received(1, 0, 10, new Uint8Array(10)).result, "complete");
  assert.deepEqual(calls, [10]);
});

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}

/** Fetches `sent` from one peer in one go; the fetcher's verdict on the last piece. */
function fetchAll(fetcher: MetadataFetcher, peer: number, sent: Uint8Array): string {
  assert.equal(fetcher.addPeer(peer, sent.length), true);
  const pieces = fetcher.requests(peer, 0, 8);
  assert.equal(pieces.length, Math.ceil(sent.length / METADATA_PIECE_SIZE));
  return pieces.map((p) => fetcher.received(peer, p, sent.length, pieceOf(sent, p)).result).at(-1)!;
}

Deno.test("MetadataFetcher checks a v2-only torrent's metadata by SHA-256 against the v2 info-hash (BEP 52)", () => {
  const metadata = makeMetadata();
  const forged = metadata.slice();
  forged[5] ^= 1;
  const fetcher = new MetadataFetcher({ infoHashV2: sha256(metadata) });
  assert.equal(fetchAll(fetcher, 1, forged), "corrupt");
  assert.equal(fetcher.addPeer(1, SIZE), false, "a sole source of corrupt metadata is banned");
  assert.equal(fetchAll(fetcher, 2, metadata), "complete");
  assert.deepEqual(fetcher.metadata, metadata);
});

Deno.test("MetadataFetcher wants both hashes of a hybrid to match (BEP 52)", () => {
  const metadata = makeMetadata();
  // SHA-1 matches, SHA-256 does not: the btmh hash names other metadata.
  const wrongV2 = new MetadataFetcher({ infoHash: sha1(metadata), infoHashV2: sha256(new Uint8Array(1)) });
  assert.equal(fetchAll(wrongV2, 1, metadata), "corrupt");
  assert.equal(wrongV2.metadata, undefined);
  const wrongV1 = new MetadataFetcher({ infoHash: new Uint8Array(20), infoHashV2: sha256(metadata) });
  assert.equal(fetchAll(wrongV1, 1, metadata), "corrupt");
  const both = new MetadataFetcher({ infoHash: sha1(metadata), infoHashV2: sha256(metadata) });
  assert.equal(fetchAll(both, 1, metadata), "complete");
});

Deno.test("MetadataFetcher fetches through the wire codec from MetadataServers, one of them lying", () => {
  const metadata = makeMetadata();
  const forged = metadata.slice();
  forged[0] ^= 0xff;
  const servers = new Map([
    [1, new MetadataServer(forged)],
    [2, new MetadataServer(undefined)],
    [3, new MetadataServer(metadata)],
  ]);
  const fetcher = new MetadataFetcher({ infoHash: sha1(metadata) });
  for (const peer of servers.keys()) fetcher.addPeer(peer, SIZE);
  const results: string[] = [];
  for (let now = 0; fetcher.metadata === undefined && now < 100_000; now += 500) {
    for (const [peer, server] of servers) {
      for (const piece of fetcher.requests(peer, now)) {
        const request = decodeUtMetadata(encodeUtMetadata({ type: "request", piece }));
        const answer = decodeUtMetadata(encodeUtMetadata(server.answer(request, peer)));
        if (answer.type === "reject") {
          fetcher.rejected(peer, answer.piece, now);
        } else if (answer.type === "data") {
          const { result, blame } = fetcher.received(peer, answer.piece, answer.totalSize, answer.data);
          if (result !== "stored") results.push(blame === undefined ? result : `${result} ${blame}`);
        }
      }
    }
  }
  // Peers 1 and 3 both sent pieces, so both are suspects; then each is asked alone: 1 is banned, 3 completes.
  assert.deepEqual(results, ["corrupt 1,3", "corrupt 1", "complete"]);
  assert.equal(fetcher.addPeer(1, SIZE), false, "the proven liar is banned");
  assert.ok(fetcher.metadata?.every((x, i) => x === metadata[i]));
});

Deno.test("MetadataFetcher lets a suspect fetch alone, and takes the fetch back when it stalls", () => {
  const metadata = makeMetadata();
  const fetcher = new MetadataFetcher({ infoHash: sha1(metadata), timeoutMs: 10_000 });
  fetcher.addPeer(1, SIZE);
  fetcher.addPeer(2, SIZE);
  assert.deepEqual(fetcher.requests(1, 0), [0, 1]);
  assert.deepEqual(fetcher.requests(2, 0), [2]);
  fetcher.received(1, 0, SIZE, pieceOf(metadata, 0));
  fetcher.received(1, 1, SIZE, pieceOf(metadata, 1));
  assert.deepEqual(fetcher.received(2, 2, SIZE, new Uint8Array(SIZE - 2 * METADATA_PIECE_SIZE)).blame, [
    1,
    2,
  ]);
  assert.deepEqual(fetcher.requests(2, 9_999), [], "suspects wait for a stall before fetching alone");
  assert.deepEqual(fetcher.requests(2, 10_000), [0, 1], "a suspect fetching alone is not limited to a share");
  assert.deepEqual(fetcher.requests(1, 10_000), [], "another suspect may not join");
  assert.equal(fetcher.received(2, 0, SIZE, pieceOf(metadata, 0)).result, "stored");
  fetcher.addPeer(3, SIZE);
  assert.deepEqual(fetcher.requests(3, 19_999), [], "the suspect made progress recently");
  assert.deepEqual(fetcher.requests(3, 20_000), [0, 1], "a trusted peer takes over and starts afresh");
  assert.equal(
    fetcher.received(2, 1, SIZE, pieceOf(metadata, 1)).result,
    "ignored",
    "the suspect's attempt is over",
  );
  fetcher.received(3, 0, SIZE, pieceOf(metadata, 0));
  fetcher.received(3, 1, SIZE, pieceOf(metadata, 1));
  assert.deepEqual(fetcher.requests(3, 20_001), [2]);
  assert.equal(fetcher.received(3, 2, SIZE, pieceOf(metadata, 2)).result, "complete");
});
