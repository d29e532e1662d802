/**
 * The least any Deno program can do to make the v1 piece hashes of a file, as a floor for the create bench
 * (issue 5): two workers, each reads and SHA-1s every other piece (node:fs `readSync` + node:crypto, the fastest
 * SHA-1 Deno has: SHA-NI, the same speed as OpenSSL), the main thread only collects the 20-byte digests. No
 * bencoding, no .torrent written, no checks. If this is not faster than mktorrent on a machine, `ccbt create`
 * cannot be either: the rest is Deno's start-up (runtime, node compatibility layer, worker isolates).
 *
 * Usage: `deno run -A bench/create_floor.ts FILE [PIECE_LENGTH]`, timed with `/usr/bin/time` next to
 * `mktorrent -l 20 -t 2 -o X FILE`. Prints the number of pieces.
 *
 * @module
 */

const WORKER_SOURCE = `
import * as fs from "node:fs";
import { createHash } from "node:crypto";
self.onmessage = (e) => {
  const { path, pieceLength, count, first, step } = e.data;
  const fd = fs.openSync(path, "r");
  const buffer = new Uint8Array(pieceLength);
  const out = new Uint8Array(Math.ceil((count - first) / step) * 20);
  for (let piece = first, k = 0; piece < count; piece += step, k++) {
    const n = fs.readSync(fd, buffer, 0, pieceLength, piece * pieceLength);
    out.set(createHash("sha1").update(buffer.subarray(0, n)).digest(), k * 20);
  }
  self.postMessage(out, [out.buffer]);
};`;

/**
 * SHA-1 of every piece of `path`, hashed by `workers` workers.
 *
 * @param path The file.
 * @param pieceLength Bytes per piece.
 * @param workers Workers to start.
 * @returns The concatenated 20-byte digests.
 */
export async function floorPieceHashes(path: string, pieceLength: number, workers = 2): Promise<Uint8Array> {
  const count = Math.ceil(Deno.statSync(path).size / pieceLength);
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  const pieces = new Uint8Array(count * 20);
  await Promise.all(Array.from({ length: workers }, (_, first) =>
    new Promise<void>((resolve) => {
      const worker = new Worker(url, { type: "module" });
      worker.onmessage = (event: MessageEvent<Uint8Array>) => {
        for (let piece = first, k = 0; piece < count; piece += workers, k++) {
          pieces.set(event.data.subarray(k * 20, k * 20 + 20), piece * 20);
        }
        worker.terminate();
        resolve();
      };
      worker.postMessage({ path, pieceLength, count, first, step: workers });
    })));
  return pieces;
}

if (import.meta.main) {
  const pieces = await floorPieceHashes(Deno.args[0], Number(Deno.args[1] ?? 1 << 20));
  console.log(pieces.length / 20);
}
