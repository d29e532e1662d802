/**
 * `createTorrent` hashing in a disk worker pool: any layout of files hashes as a streaming reference does (v1, v2,
 * hybrid with BEP 47 padding), in a pool of its own or a caller's (left open), with progress, and read errors
 * stop it.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import fc from "fast-check";
import { StorageError } from "../errors.ts";
import { fileMerkle } from "../merkle/file_merkle.ts";
import { FaultyDiskIo } from "../storage/faulty_disk_io.ts";
import { InlineDiskIo } from "../storage/inline_disk_io.ts";
import { WorkerDiskIo } from "../storage/worker_disk_io.ts";
import { createTorrent, type TorrentVersion } from "./create_torrent.ts";
import type { TorrentInfo } from "./types.ts";

async function tree(lengths: readonly number[], seed: number): Promise<{ root: string; data: Uint8Array[] }> {
  const root = await Deno.makeTempDir({ prefix: "ccbt_create_pool_" });
  const data = lengths.map((length, i) =>
    new Uint8Array(length).map((_, k) => (k * 13 + i * 101 + seed) & 0xff)
  );
  await Deno.mkdir(join(root, "d", "sub"), { recursive: true });
  for (const [i, bytes] of data.entries()) await Deno.writeFile(join(root, "d", fileName(i)), bytes);
  return { root, data };
}

/** File i's path under the torrent directory; the names sort in index order. */
function fileName(i: number): string {
  return i % 2 === 0 ? `f${i}` : `sub/g${i}`;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Checks `info`'s hashes against SHA-1 over its files end to end (padding as zeros) and fileMerkle of each file. */
function assertHashes(info: TorrentInfo, data: Uint8Array[], version: TorrentVersion): void {
  const byName = new Map(data.map((bytes, i) => [fileName(i).split("/").pop()!, bytes]));
  const real = info.files.filter((file) => !file.padding);
  assert.equal(real.length, data.length);
  if (version !== "v2") {
    const stream = new Uint8Array(info.files.reduce((n, file) => n + file.length, 0));
    for (const file of real) stream.set(byName.get(file.path[file.path.length - 1])!, file.offset);
    const pieces = new Uint8Array(info.pieceCount * 20);
    for (let p = 0; p < info.pieceCount; p++) {
      const piece = stream.subarray(p * info.pieceLength, (p + 1) * info.pieceLength);
      pieces.set(createHash("sha1").update(piece).digest(), p * 20);
    }
    assert.deepEqual(info.pieceHashes, pieces, "v1 pieces");
  }
  if (version === "v1") return;
  for (const file of real) {
    const { piecesRoot, pieceLayer } = fileMerkle(
      byName.get(file.path[file.path.length - 1])!,
      info.pieceLength,
    );
    assert.deepEqual(file.piecesRoot, piecesRoot, `pieces root of ${file.path.join("/")}`);
    if (file.length > info.pieceLength) {
      assert.deepEqual(
        info.pieceLayers?.get(hex(piecesRoot!)),
        pieceLayer,
        `layer of ${file.path.join("/")}`,
      );
    }
  }
}

Deno.test("createTorrent() hashes any layout in a pool as a streaming reference does", async () => {
  await using workers = new WorkerDiskIo({ workers: 2 });
  await using inline = new InlineDiskIo();
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 70_000 })), { minLength: 1, maxLength: 5 }),
      fc.constantFrom<TorrentVersion>("v1", "v2", "hybrid"),
      fc.constantFrom(16_384, 32_768),
      fc.boolean(),
      async (lengths, version, pieceLength, inWorkers) => {
        if (lengths.every((n) => n === 0)) lengths = [...lengths, 1];
        const { root, data } = await tree(lengths, pieceLength + lengths.length);
        try {
          const diskIo = inWorkers ? workers : inline;
          const { info } = await createTorrent(join(root, "d"), { version, pieceLength, diskIo, workers: 2 });
          assertHashes(info, data, version);
        } finally {
          await Deno.remove(root, { recursive: true });
        }
      },
    ),
    { numRuns: 40 },
  );
  // Both pools are still open, and every storage was removed again.
  const spec = { files: [], pieceLength: 16_384, totalLength: 0, pieceHashes: new Uint8Array(0) };
  assert.equal(typeof await workers.addStorage(spec), "number");
  assert.equal(typeof await inline.addStorage(spec), "number");
});

Deno.test("createTorrent() gives the same bytes in its own pool, any pool size and a caller's pool", async () => {
  const { root } = await tree([100_000, 0, 40_000, 1], 3);
  try {
    for (const version of ["v1", "v2", "hybrid"] as const) {
      const options = { version, pieceLength: 32_768, creationDate: 1 };
      const own = await createTorrent(join(root, "d"), options);
      const one = await createTorrent(join(root, "d"), { ...options, workers: 1 });
      const inline = await createTorrent(join(root, "d"), { ...options, diskIo: new InlineDiskIo() });
      assert.deepEqual(one.bytes, own.bytes, version);
      assert.deepEqual(inline.bytes, own.bytes, version);
    }
    for (const workers of [0, 1.5, 65]) {
      await assert.rejects(
        () => createTorrent(join(root, "d"), { workers }),
        /workers is not a whole number/,
      );
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createTorrent() reports progress in order up to the total, padding not counted", async () => {
  const { root } = await tree([50_000, 20_000, 5], 7);
  try {
    const seen: [number, number][] = [];
    const { info } = await createTorrent(join(root, "d"), {
      version: "hybrid",
      pieceLength: 16_384,
      onProgress: (hashed, total) => seen.push([hashed, total]),
    });
    assert.equal(seen.length, info.pieceCount);
    assert.ok(seen.every(([hashed, total], i) => total === 70_005 && hashed > (seen[i - 1]?.[0] ?? 0)));
    assert.equal(seen[seen.length - 1][0], 70_005);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createTorrent() stops at a read error and leaves a caller's pool usable", async () => {
  const { root } = await tree([50_000, 20_000], 9);
  const io = new FaultyDiskIo(new InlineDiskIo(), {
    failReadsOf: join(await Deno.realPath(root), "d", "sub", "g1"),
  });
  try {
    const error = await createTorrent(join(root, "d"), { diskIo: io, pieceLength: 16_384 }).catch((e) => e);
    assert.ok(error instanceof StorageError && error.code === "EIO", String(error));
    io.faults = {};
    const { info } = await createTorrent(join(root, "d"), { diskIo: io, pieceLength: 16_384 });
    assert.equal(info.totalLength, 70_000);
  } finally {
    await io.close();
    await Deno.remove(root, { recursive: true });
  }
});
