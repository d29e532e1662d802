import { deepEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import type { TorrentInfo } from "./metainfo/mod.ts";
import { Bitfield } from "./picker/bitfield.ts";
import {
  CHECK_INTERRUPTED,
  filePieces,
  lostData,
  piecesLost,
  planResume,
  stampFiles,
} from "./torrent_resume.ts";

/** Three files over 10 pieces of 100 bytes: a = 0..249 (pieces 0-2), b = 250..249 (empty), c = 250..999. */
const INFO = {
  name: "t",
  pieceLength: 100,
  pieceCount: 10,
  totalLength: 1000,
  files: [
    { path: ["t", "a"], length: 250, offset: 0 },
    { path: ["t", "b"], length: 0, offset: 250 },
    { path: ["t", "c"], length: 750, offset: 250 },
  ],
} as unknown as TorrentInfo;

const stamp = (size: number, mtimeMs = 1000) => ({ size, mtimeMs });
const bits = (...pieces: number[]) => {
  const b = new Bitfield(10);
  for (const p of pieces) b.set(p);
  return b;
};

Deno.test("filePieces() gives each file's piece range, null for an empty file", () => {
  deepEqual(filePieces(INFO, 0), [0, 2]);
  equal(filePieces(INFO, 1), null);
  deepEqual(filePieces(INFO, 2), [2, 9]);
});

Deno.test("planResume() checks every piece when there is no usable record and data exists", () => {
  const none = planResume(INFO, undefined, [stamp(-1, 0), stamp(0), stamp(-1, 0)]);
  equal(none.check.length, 0);
  const data = planResume(INFO, undefined, [stamp(250), stamp(0), stamp(-1, 0)]);
  deepEqual(data.check, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  equal(data.trusted.count, 0);
  const wrongSize = planResume(INFO, { have: new Uint8Array(1), files: [stamp(250), stamp(0), stamp(750)] }, [
    stamp(250),
    stamp(0),
    stamp(750),
  ]);
  equal(wrongSize.check.length, 10, "a bitfield of the wrong size is not used");
});

Deno.test("planResume() trusts recorded pieces of unchanged files and checks every piece of changed ones", () => {
  const files = [stamp(250), stamp(0), stamp(750)];
  const record = { have: bits(0, 1, 2, 5, 9).bytes, files };
  const same = planResume(INFO, record, files);
  deepEqual([...same.trusted.indices()], [0, 1, 2, 5, 9]);
  deepEqual(same.check, []);

  // c was written after the record (mtime moved): its pieces 2..9 are hashed, a's pieces 0 and 1 trusted.
  const later = planResume(INFO, record, [stamp(250), stamp(0), stamp(750, 2000)]);
  deepEqual([...later.trusted.indices()], [0, 1]);
  deepEqual(later.check, [2, 3, 4, 5, 6, 7, 8, 9]);
  match(later.reasons[0], /t\/c changed/);

  // a was deleted: pieces 0..2 are hashed (and will fail), c's recorded pieces stay trusted.
  const deleted = planResume(INFO, record, [stamp(-1, 0), stamp(0), stamp(750)]);
  deepEqual([...deleted.trusted.indices()], [5, 9]);
  deepEqual(deleted.check, [0, 1, 2]);
});

Deno.test("planResume() after an interrupted check trusts what it verified and checks the rest (case 66)", () => {
  const files = [stamp(250), stamp(0), stamp(750)];
  const record = { have: bits(0, 1, 2, 5).bytes, files, state: CHECK_INTERRUPTED };
  const plan = planResume(INFO, record, files);
  deepEqual([...plan.trusted.indices()], [0, 1, 2, 5]);
  deepEqual(plan.check, [3, 4, 6, 7, 8, 9]);
  match(plan.reasons[0], /interrupted/);
  // With no data on disk at all there is nothing to check.
  const missing = [stamp(-1, 0), stamp(-1, 0), stamp(-1, 0)];
  const gone = planResume(INFO, { ...record, have: bits().bytes, files: missing }, missing);
  deepEqual(gone.check, []);
});

Deno.test("lostData() names a deleted or truncated file that held verified pieces", () => {
  const paths = ["/s/t/a", "/s/t/b", "/s/t/c"];
  equal(lostData(INFO, bits(0, 9), [stamp(250), stamp(0), stamp(750)], paths), null);
  // Only piece 3 of c (bytes 300..399, file offsets 50..149) is verified: a 150-byte c still holds it.
  equal(lostData(INFO, bits(3), [stamp(-1, 0), stamp(0), stamp(150)], paths), null);
  const truncated = lostData(INFO, bits(3), [stamp(-1, 0), stamp(0), stamp(149)], paths)!;
  equal(truncated.file, 2);
  equal(truncated.code, "ENODATA");
  match(truncated.message, /\/s\/t\/c: the file was truncated/);
  const deleted = lostData(INFO, bits(0), [stamp(-1, 0), stamp(0), stamp(750)], paths)!;
  equal(deleted.file, 0);
  equal(deleted.code, "ENOENT");
  match(deleted.message, /\/s\/t\/a: the file was deleted/);
});

Deno.test("planResume() checks a changed unwanted file's pieces without naming it", () => {
  const files = [stamp(250), stamp(0), stamp(-1, 0)];
  const record = { have: bits(0, 1, 2).bytes, files };
  // c (unwanted) appeared since the record: its pieces are hashed, but that is no news worth a reason.
  const plan = planResume(INFO, record, [stamp(250), stamp(0), stamp(50)], { fileWanted: (i) => i !== 2 });
  deepEqual([...plan.trusted.indices()], [0, 1]);
  deepEqual(plan.check, [2, 3, 4, 5, 6, 7, 8, 9]);
  deepEqual(plan.reasons, []);
  const unchanged = planResume(INFO, record, files, { fileWanted: (i) => i !== 2 });
  deepEqual(unchanged.check, []);
});

Deno.test("lostData() does not report an unwanted file, and piecesLost() names what it cost", () => {
  const paths = ["/s/t/a", "/s/t/b", "/s/t/c"];
  // c shares piece 2 with a; c (unwanted) was deleted: no error, but piece 2's data is gone.
  const current = [stamp(250), stamp(0), stamp(-1, 0)];
  equal(lostData(INFO, bits(0, 1, 2), current, paths, { fileWanted: (i) => i !== 2 }), null);
  equal(lostData(INFO, bits(0, 1, 2), current, paths)?.file, 2);
  deepEqual(piecesLost(INFO, 2, bits(0, 1, 2), current[2]), [2]);
  // Truncated to 149 bytes: piece 3 (file bytes 50..149) is gone, piece 2 (file bytes 0..49) is kept.
  deepEqual(piecesLost(INFO, 2, bits(2, 3, 4), stamp(149)), [3, 4]);
  deepEqual(piecesLost(INFO, 2, bits(2, 3, 4), stamp(750)), []);
  deepEqual(piecesLost(INFO, 1, bits(2), stamp(-1, 0)), [], "an empty file holds no piece");
});

Deno.test("stampFiles() gives size and mtime, and -1 for missing files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "x"), "hello");
    const [x, missing, inMissingDir] = await stampFiles([
      join(dir, "x"),
      join(dir, "nope"),
      join(dir, "x", "y"),
    ]);
    equal(x.size, 5);
    equal(x.mtimeMs, (await Deno.stat(join(dir, "x"))).mtime!.getTime());
    deepEqual(missing, { size: -1, mtimeMs: 0 });
    deepEqual(inMissingDir, { size: -1, mtimeMs: 0 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
