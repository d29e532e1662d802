import assert from "node:assert/strict";
import fc from "fast-check";
import { FileLayout } from "./file_layout.ts";
import type { StorageSpec } from "./disk_io.ts";

function spec(lengths: number[], pieceLength: number): StorageSpec {
  let offset = 0;
  const files = lengths.map((length, i) => {
    const file = { path: `/d/f${i}`, length, offset };
    offset += length;
    return file;
  });
  const pieces = Math.ceil(offset / pieceLength);
  return { files, pieceLength, totalLength: offset, pieceHashes: new Uint8Array(pieces * 20) };
}

/** [fileIndex, fileOffset, length, pieceOffset] */
type Row = [number, number, number, number];
const rows = (layout: FileLayout, piece: number, range?: { begin?: number; length?: number }): Row[] =>
  layout.spans(piece, range).map((s) => [s.fileIndex, s.fileOffset, s.length, s.pieceOffset]);

Deno.test("FileLayout.spans() maps pieces to file spans", () => {
  const cases: { name: string; lengths: number[]; pieceLength: number; piece: number; want: Row[] }[] = [
    { name: "single file, first piece", lengths: [100], pieceLength: 32, piece: 0, want: [[0, 0, 32, 0]] },
    { name: "single file, odd last piece", lengths: [100], pieceLength: 32, piece: 3, want: [[0, 96, 4, 0]] },
    {
      name: "piece spanning 3 files",
      lengths: [10, 5, 30],
      pieceLength: 32,
      piece: 0,
      want: [[0, 0, 10, 0], [1, 0, 5, 10], [2, 0, 17, 15]],
    },
    {
      name: "second piece inside the last file",
      lengths: [10, 5, 30],
      pieceLength: 32,
      piece: 1,
      want: [[2, 17, 13, 0]],
    },
    {
      name: "zero-length files skipped (start, middle, end)",
      lengths: [0, 8, 0, 0, 8, 0],
      pieceLength: 16,
      piece: 0,
      want: [[1, 0, 8, 0], [4, 0, 8, 8]],
    },
    {
      name: "piece starting exactly at a file boundary",
      lengths: [16, 0, 16],
      pieceLength: 16,
      piece: 1,
      want: [[2, 0, 16, 0]],
    },
    {
      name: "last piece spanning files, shorter than nominal",
      lengths: [20, 3, 2],
      pieceLength: 16,
      piece: 1,
      want: [[0, 16, 4, 0], [1, 0, 3, 4], [2, 0, 2, 7]],
    },
    {
      name: "many small files inside one piece",
      lengths: [1, 1, 1, 1, 1],
      pieceLength: 4,
      piece: 1,
      want: [[4, 0, 1, 0]],
    },
  ];
  for (const c of cases) {
    assert.deepEqual(rows(new FileLayout(spec(c.lengths, c.pieceLength)), c.piece), c.want, c.name);
  }
});

Deno.test("FileLayout.spans() maps a range inside a piece", () => {
  const layout = new FileLayout(spec([10, 5, 30], 32));
  assert.deepEqual(rows(layout, 0, { begin: 8, length: 4 }), [[0, 8, 2, 8], [1, 0, 2, 10]]);
  assert.deepEqual(rows(layout, 0, { begin: 12 }), [[1, 2, 3, 12], [2, 0, 17, 15]]);
  assert.deepEqual(rows(layout, 1, { begin: 13, length: 0 }), []);
});

Deno.test("FileLayout.pieceSize() gives a shorter last piece", () => {
  const layout = new FileLayout(spec([50, 50], 32));
  assert.equal(layout.pieceCount, 4);
  assert.deepEqual([0, 1, 2, 3].map((p) => layout.pieceSize(p)), [32, 32, 32, 4]);
  assert.throws(() => layout.pieceSize(4), RangeError);
  assert.throws(() => layout.pieceSize(-1), RangeError);
  assert.throws(() => layout.pieceSize(1.5), RangeError);
});

Deno.test("FileLayout.spans() rejects ranges outside the piece", () => {
  const layout = new FileLayout(spec([50, 50], 32));
  assert.throws(() => layout.spans(3, { begin: 0, length: 5 }), RangeError);
  assert.throws(() => layout.spans(0, { begin: -1, length: 1 }), RangeError);
  assert.throws(() => layout.spans(0, { begin: 30, length: 3 }), RangeError);
  assert.throws(() => layout.spans(9), RangeError);
});

Deno.test("FileLayout() rejects inconsistent specs", () => {
  const good = spec([10, 10], 8);
  assert.throws(() => new FileLayout({ ...good, pieceLength: 0 }), RangeError);
  assert.throws(() => new FileLayout({ ...good, totalLength: 21 }), RangeError);
  assert.throws(() => new FileLayout({ ...good, pieceHashes: new Uint8Array(40) }), RangeError);
  assert.throws(
    () => new FileLayout({ ...good, files: [good.files[0], { ...good.files[1], offset: 11 }] }),
    RangeError,
  );
  assert.throws(
    () => new FileLayout({ ...good, files: [{ ...good.files[0], length: -1 }, good.files[1]] }),
    RangeError,
  );
});

Deno.test("FileLayout() handles an empty storage", () => {
  const layout = new FileLayout(spec([0, 0], 16));
  assert.equal(layout.pieceCount, 0);
  assert.throws(() => layout.spans(0), RangeError);
});

Deno.test("FileLayout.spans() covers every byte exactly once, in order", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 50 }),
      (lengths, pieceLength) => {
        const s = spec(lengths, pieceLength);
        const layout = new FileLayout(s);
        let position = 0;
        for (let piece = 0; piece < layout.pieceCount; piece++) {
          let pieceOffset = 0;
          for (const span of layout.spans(piece)) {
            assert.ok(span.length > 0);
            assert.equal(span.pieceOffset, pieceOffset);
            const file = s.files[span.fileIndex];
            assert.equal(file.offset + span.fileOffset, position);
            assert.ok(span.fileOffset + span.length <= file.length);
            position += span.length;
            pieceOffset += span.length;
          }
          assert.equal(pieceOffset, layout.pieceSize(piece));
        }
        assert.equal(position, s.totalLength);
      },
    ),
  );
});
