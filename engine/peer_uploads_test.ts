import { deepEqual, equal, throws } from "node:assert/strict";
import { PeerProtocolError } from "./errors.ts";
import { MAX_INVALID_REQUESTS, UploadQueue } from "./peer_uploads.ts";

function host(options: { choking?: boolean } = {}) {
  const log: string[] = [];
  const state = { choking: options.choking ?? false, closed: false };
  const reads: ((block: Uint8Array | null) => void)[] = [];
  const queue = new UploadQueue({
    closed: () => state.closed,
    choking: () => state.choking,
    bufferedBytes: () => 0,
    pieceCount: 4,
    havePiece: (index) => index !== 3,
    pieceSize: () => 32768,
    readBlock: () => new Promise((resolve) => reads.push(resolve)),
    sendPiece: (index, begin, block) => log.push(`piece ${index}:${begin}+${block.length}`),
    reject: (index, begin, length) => log.push(`reject ${index}:${begin}+${length}`),
    fail: (reason) => log.push(`fail ${reason}`),
  });
  return { queue, log, state, reads };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("UploadQueue.request() serves valid requests in order and rejects invalid ones (BEP 6)", async () => {
  const { queue, log, reads } = host();
  queue.request(0, 0, 16384);
  queue.request(3, 0, 16384); // a piece we do not have
  queue.request(1, 16384, 32768); // longer than a block
  queue.request(1, 16384, 16384);
  equal(queue.size, 2);
  reads[0](new Uint8Array(16384));
  reads[1](null);
  await settle();
  deepEqual(log, [
    "reject 3:0+16384",
    "reject 1:16384+32768",
    "piece 0:0+16384",
    "reject 1:16384+16384",
  ]);
  equal(queue.size, 0);
});

Deno.test("UploadQueue.choked() rejects every queued request, and a cancel is answered with a reject", () => {
  const { queue, log, state } = host();
  for (let i = 0; i < 12; i++) queue.request(0, 0, 16384); // 8 go to the disk, 4 wait
  queue.cancel(0, 0, 16384);
  state.choking = true;
  queue.choked();
  deepEqual(log, Array(4).fill("reject 0:0+16384"));
});

Deno.test("UploadQueue.request() drops a peer after too many invalid requests", () => {
  const { queue } = host();
  for (let i = 0; i < MAX_INVALID_REQUESTS; i++) queue.request(9, 0, 16384);
  throws(
    () => queue.request(9, 0, 16384),
    (error) => error instanceof PeerProtocolError && error.code === "too_many_invalid_requests",
  );
});
