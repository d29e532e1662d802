import { deepEqual, equal, match, ok } from "node:assert/strict";
import type { PeerConnection } from "./peer_connection.ts";
import { Bitfield } from "./picker/bitfield.ts";
import { RateMeter } from "./rate_meter.ts";
import type { DiskIo, WriteResult } from "./storage/disk_io.ts";
import { type DownloadEvents, TorrentDownload } from "./torrent_download.ts";

const PIECE = 32768; // two 16 KiB blocks

/** The part of a PeerConnection the pipeline uses, recording the requests sent. */
function fakePeer(options: { choking?: boolean; allowedFast?: number[]; suggested?: number[] } = {}) {
  const requests: string[] = [];
  const peer = {
    key: 1,
    closed: false,
    amInterested: true,
    peerChoking: options.choking ?? false,
    isSeed: true,
    bitfield: new Bitfield(8),
    allowedFast: new Set(options.allowedFast ?? []),
    suggested: new Set(options.suggested ?? []),
    download: new RateMeter(),
    lastBlock: 0,
    wasted: 0,
    sendRequest: (index: number, begin: number) => requests.push(`${index}:${begin}`),
  };
  return { peer: peer as unknown as PeerConnection, requests, suggested: peer.suggested };
}

/** A DiskIo whose hashAndWrite answers `ok` as told. */
function fakeDisk(ok: (piece: number) => boolean): DiskIo {
  return {
    hashAndWrite: (_id: number, piece: number, buffer: ArrayBuffer): Promise<WriteResult> =>
      Promise.resolve({ ok: ok(piece), buffer }),
  } as unknown as DiskIo;
}

function pipeline(disk: DiskIo, log: string[] = [], budget = { used: 0, limit: 1 << 30 }) {
  const events: DownloadEvents = {
    verified: (index) => log.push(`verified ${index}`),
    failed: (index, blamed) => log.push(`failed ${index} blamed ${blamed.join(",")}`),
    unverified: (index) => log.push(`unverified ${index}`),
    error: (error) => log.push(`error ${error}`),
    drained: () => {},
    cancel: () => {},
  };
  const geometry = { pieceCount: 8, pieceLength: PIECE, totalLength: 8 * PIECE };
  return new TorrentDownload(geometry, budget, disk, () => 0, events);
}

Deno.test("TorrentDownload.fill() requests a suggested piece first (BEP 6 suggest)", () => {
  const download = pipeline(fakeDisk(() => true));
  const { peer, requests } = fakePeer({ suggested: [6] });
  download.fill(peer);
  deepEqual(requests.slice(0, 2), ["6:0", "6:16384"]);
  ok(requests.length > 2, "the queue is filled past the suggestion");
});

Deno.test("TorrentDownload.fill() forgets suggestions of pieces no longer needed", () => {
  const download = pipeline(fakeDisk(() => true));
  download.picker.setHave(6);
  const { peer, requests, suggested } = fakePeer({ suggested: [6, 3] });
  download.fill(peer);
  deepEqual([...suggested], [3]);
  deepEqual(requests.slice(0, 2), ["3:0", "3:16384"]);
});

Deno.test("TorrentDownload.fill() while choked requests only allowed fast pieces, suggested ones first", () => {
  const download = pipeline(fakeDisk(() => true));
  const { peer, requests } = fakePeer({ choking: true, allowedFast: [2, 5], suggested: [5, 7] });
  download.fill(peer);
  deepEqual(requests, ["5:0", "5:16384", "2:0", "2:16384"]);
});

Deno.test("TorrentDownload.fill() starts only the pieces the buffer budget holds, and no more once it is full", () => {
  // Room for 5 pieces of 32 KiB; 3 are taken by other torrents: two new pieces, not a queue's worth.
  const budget = { used: 3 * PIECE, limit: 5 * PIECE };
  const download = pipeline(fakeDisk(() => true), [], budget);
  let picked = 0;
  const pick = download.picker.pickBlocks.bind(download.picker);
  download.picker.pickBlocks = (...args) => {
    const blocks = pick(...args);
    picked += blocks.length;
    return blocks;
  };
  const { peer, requests } = fakePeer();
  // A fast peer: a queue of all 16 blocks is wanted.
  peer.download.add(100 * 1024 * 1024, performance.now());
  download.fill(peer);
  equal(requests.length, 4, requests.join(" "));
  equal(new Set(requests.map((r) => r.split(":")[0])).size, 2);
  equal(picked, 4, "nothing picked only to be given back");
  equal(download.picker.partialCount, 2);
  budget.used = 5 * PIECE;
  download.fill(peer);
  equal(requests.length, 4, "a full budget starts nothing");
});

Deno.test("TorrentDownload: a hybrid piece matching only one of its hashes is the torrent's error, not its senders'", async () => {
  const log: string[] = [];
  const disk = {
    hashAndWrite: (_id: number, _piece: number, buffer: ArrayBuffer): Promise<WriteResult> =>
      Promise.resolve({ ok: false, verdict: "failed", inconsistent: true, buffer }),
  } as unknown as DiskIo;
  const download = pipeline(disk, log);
  const { peer } = fakePeer({ suggested: [0] });
  download.fill(peer);
  for (const begin of [0, 16384]) download.blockReceived(peer, 0, begin, new Uint8Array(16384));
  await download.settle();
  equal(log.length, 1, log.join("; "));
  match(
    log[0],
    /^error MetainfoError: Cannot verify piece 0: it matches one of the hybrid torrent's two hashes/,
  );
  equal(download.picker.have.has(0), false);
});

Deno.test("TorrentDownload.blockReceived() writes a complete piece and reports it verified or failed", async () => {
  const log: string[] = [];
  const download = pipeline(fakeDisk((piece) => piece !== 1), log);
  const { peer } = fakePeer({ suggested: [0, 1] });
  download.fill(peer);
  for (const index of [0, 1]) {
    for (const begin of [0, 16384]) download.blockReceived(peer, index, begin, new Uint8Array(16384));
  }
  await download.settle();
  deepEqual(log, ["verified 0", "failed 1 blamed 1"]);
  equal(download.downloaded, 4 * 16384);
  equal(download.wasted, PIECE, "the failed piece is wasted");
});

Deno.test("TorrentDownload.reverify() settles pieces written unverified (BEP 52 layer unknown) once the layer is in", async () => {
  const log: string[] = [];
  const verdicts = new Map<number, string>([[0, "ok"], [1, "failed"], [2, "missing"]]);
  const disk = {
    hashAndWrite: (_id: number, _piece: number, buffer: ArrayBuffer): Promise<WriteResult> =>
      Promise.resolve({ ok: false, verdict: "unknown", pieceRoot: new Uint8Array(32), buffer }),
    verifyPiece: (_id: number, piece: number) => Promise.resolve(verdicts.get(piece)),
  } as unknown as DiskIo;
  const download = pipeline(disk, log);
  // Choked with allowed fast pieces 0..2: only their six blocks are requested, a queue at a time.
  const { peer, requests } = fakePeer({ choking: true, allowedFast: [0, 1, 2] });
  for (let round = 0; round < 3; round++) {
    download.fill(peer);
    for (const request of requests.splice(0)) {
      const [index, begin] = request.split(":").map(Number);
      download.blockReceived(peer, index, begin, new Uint8Array(16384));
    }
  }
  await download.settle();
  log.sort();
  deepEqual(log, ["unverified 0", "unverified 1", "unverified 2"]);
  equal(download.picker.have.count, 0, "an unverified piece is not had");
  requests.length = 0;
  download.fill(peer);
  ok(!requests.some((r) => /^[012]:/.test(r)), `pending pieces are not asked again: ${requests}`);
  for (const index of [0, 1, 2]) download.reverify(index);
  await download.settle();
  deepEqual(log.slice(3), ["verified 0", "failed 1 blamed 1"]);
  equal(download.wasted, PIECE, "the piece that failed late is wasted");
  ok(download.picker.needs(1) && download.picker.needs(2), "failed and missing pieces are wanted again");
  const picked = new Set(download.picker.pickBlocks(2, "all", 100).map((b) => b.index));
  ok(picked.has(1) && picked.has(2) && !picked.has(0), `pieces asked again: ${[...picked]}`);
});
