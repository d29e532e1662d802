import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import type { TorrentInfo } from "./metainfo/mod.ts";
import { PiecePicker } from "./picker/mod.ts";
import {
  checkFilePriorities,
  DEFAULT_FILE_PRIORITY,
  piecePriorities,
  selectOnlyPriorities,
  TorrentFiles,
} from "./torrent_files.ts";

/** A torrent shape (only what selection reads) from file lengths, with 100-byte pieces. */
function infoOf(lengths: number[], options: { pieceLength?: number; padding?: number[] } = {}): TorrentInfo {
  const pieceLength = options.pieceLength ?? 100;
  let offset = 0;
  const files = lengths.map((length, i) => {
    const file = { path: ["t", `f${i}`], length, offset, padding: options.padding?.includes(i) || undefined };
    offset += length;
    return file;
  });
  return {
    name: "t",
    pieceLength,
    pieceCount: Math.ceil(offset / pieceLength),
    totalLength: offset,
    files,
  } as unknown as TorrentInfo;
}

/** a = 0..249 (pieces 0-2), b = 250..449 (pieces 2-4), empty, c = 450..999 (pieces 4-9). */
const INFO = infoOf([250, 200, 0, 550]);

function pickerOf(info: TorrentInfo): PiecePicker {
  const { pieceCount, pieceLength, totalLength } = info;
  return new PiecePicker({ pieceCount, pieceLength, totalLength });
}

Deno.test("checkFilePriorities() takes one integer in 0..7 per file and rejects the rest", () => {
  deepEqual(checkFilePriorities(2, [0, 7]), [0, 7]);
  throws(() => checkFilePriorities(3, [1, 1]), {
    name: "RangeError",
    message: /got 2 for a torrent of 3 files/,
  });
  throws(() => checkFilePriorities(2, [1, 8]), {
    name: "RangeError",
    message: /file 1 has 8, not an integer/,
  });
  throws(() => checkFilePriorities(1, [0.5]), RangeError);
  throws(() => checkFilePriorities(1, [-1]), RangeError);
  throws(() => checkFilePriorities(1, "4" as unknown as number[]), TypeError);
});

Deno.test("selectOnlyPriorities() wants the listed files only and reports indices with no file", () => {
  deepEqual(selectOnlyPriorities(4, [1, 3]), { priorities: [0, 4, 0, 4], ignored: [] });
  deepEqual(selectOnlyPriorities(3, [0, 9, 5, 9]), { priorities: [4, 0, 0], ignored: [5, 9] });
  deepEqual(selectOnlyPriorities(2, [7]), { priorities: [0, 0], ignored: [7] });
});

Deno.test("piecePriorities() gives a piece the highest priority of the files it overlaps", () => {
  // Piece 2 holds a and b; piece 4 holds b and c; the empty file touches nothing.
  deepEqual([...piecePriorities(INFO, [4, 0, 7, 0])], [4, 4, 4, 0, 0, 0, 0, 0, 0, 0]);
  deepEqual([...piecePriorities(INFO, [0, 1, 0, 0])], [0, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
  deepEqual([...piecePriorities(INFO, [2, 0, 0, 6])], [2, 2, 2, 0, 6, 6, 6, 6, 6, 6]);
});

Deno.test("piecePriorities() lets padding files decide only pieces that hold nothing else", () => {
  // a = 0..149, pad = 150..199 (BEP 47), b = 200..299, trailing pad = 300..349 alone in piece 3.
  const info = infoOf([150, 50, 100, 50], { pieceLength: 100, padding: [1, 3] });
  deepEqual([...piecePriorities(info, [0, 4, 4, 4])], [0, 0, 4, 4]);
  deepEqual([...piecePriorities(info, [4, 4, 0, 7])], [4, 4, 0, 7]);
});

Deno.test("piecePriorities() matches a per-byte reference on random layouts", () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(300), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 8, maxLength: 8 }),
      fc.integer({ min: 1, max: 120 }),
      (lengths, priorities, pieceLength) => {
        fc.pre(lengths.some((l) => l > 0));
        const info = infoOf(lengths, { pieceLength });
        const expected = new Array<number>(info.pieceCount).fill(0);
        info.files.forEach((file, i) => {
          for (let b = file.offset; b < file.offset + file.length; b++) {
            const p = Math.floor(b / pieceLength);
            expected[p] = Math.max(expected[p], priorities[i]);
          }
        });
        deepEqual([...piecePriorities(info, priorities.slice(0, lengths.length))], expected);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("TorrentFiles counts wanted and verified bytes as pieces arrive, are lost and get reselected", () => {
  const info = infoOf([250, 200, 0, 545]); // last piece is 95 bytes
  const files = new TorrentFiles(info, { priorities: [0, 4, 4, 0] });
  const picker = pickerOf(info);
  files.attach(picker);
  equal(files.wantedBytes, 300, "pieces 2, 3 and 4");
  equal(picker.wanted(1), false);
  equal(picker.wanted(4), true);
  deepEqual(files.wantedEmptyFiles(), [2]);
  equal(files.fileWanted(0), false);
  for (const p of [2, 3, 9]) equal(files.markHave(p), true);
  equal(files.markHave(2), false);
  equal(files.verifiedBytes, 295);
  equal(files.verifiedWantedBytes, 200);
  equal(files.allVerified, false);
  equal(files.markLost(3), true);
  equal(files.markLost(3), false);
  equal(picker.needs(3), true);
  equal(files.verifiedWantedBytes, 100);

  files.set([DEFAULT_FILE_PRIORITY, 0, 0, 0]);
  equal(files.wantedBytes, 300, "pieces 0, 1 and 2");
  equal(files.verifiedWantedBytes, 100, "piece 2 is had");
  equal(picker.needs(4), false);
  equal(picker.needs(0), true);
  throws(() => files.set([1, 2]), RangeError);
  deepEqual(files.priorities, [4, 0, 0, 0], "a bad set changes nothing");
});

Deno.test("TorrentFiles.adopt() takes recorded priorities unless the caller gave some", async () => {
  const defaults = new TorrentFiles(INFO);
  defaults.attach(pickerOf(INFO));
  equal(defaults.wantedBytes, 1000);
  await defaults.adopt([0, 0, 0, 1]);
  deepEqual(defaults.priorities, [0, 0, 0, 1]);
  equal(defaults.wantedBytes, 600);
  await defaults.adopt([1, 2, 3]);
  deepEqual(defaults.priorities, [0, 0, 0, 1], "a record that does not fit is ignored");

  const given = new TorrentFiles(INFO, { priorities: [4, 4, 4, 0] });
  await given.adopt([0, 0, 0, 1]);
  deepEqual(given.priorities, [4, 4, 4, 0]);
  throws(() => new TorrentFiles(INFO, { priorities: [4] }), RangeError);
});

Deno.test("TorrentFiles.set() records the priorities, creates wanted empty files once open, and reports", () => {
  const saved: number[][] = [];
  const created: number[][] = [];
  let changes = 0;
  const data = {
    storageId: -1,
    savePriorities: (p: readonly number[]) => void saved.push([...p]),
    createEmptyFiles: (indices: readonly number[]) => {
      created.push([...indices]);
      return Promise.resolve();
    },
  };
  const files = new TorrentFiles(INFO, { data, onChange: () => changes++ });
  files.set([0, 0, 0, 4]);
  data.storageId = 3;
  files.set([0, 0, 4, 4]);
  deepEqual(saved, [[0, 0, 0, 4], [0, 0, 4, 4]]);
  deepEqual(created, [[2]]);
  files.lose([]);
  equal(changes, 3);
});
