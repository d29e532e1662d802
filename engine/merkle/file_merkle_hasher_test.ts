import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { python } from "../metainfo/_test_util.ts";
import { FileMerkleHasher } from "./file_merkle_hasher.ts";
import { fileMerkle } from "./file_merkle.ts";
import { pieceLayerRoot } from "./piece_layer_root.ts";

// For each (file, piece length): libtorrent's pieces root and piece layer of a v2-only torrent of that file.
const LIBTORRENT_V2 = `
import libtorrent as lt, sys, json, os
out = {}
for arg in sys.argv[1:]:
    path, piece_length = arg.rsplit(":", 1)
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, int(piece_length), flags=lt.create_torrent.v2_only)
    lt.set_piece_hashes(ct, os.path.dirname(path))
    t = ct.generate()
    leaf = t[b"info"][b"file tree"][os.path.basename(path).encode()][b""]
    root = leaf[b"pieces root"]
    out[arg] = [root.hex(), t.get(b"piece layers", {}).get(root, b"").hex()]
print(json.dumps(out))
`;

function data(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function hex(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? "" : Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const CASES: [length: number, pieceLength: number][] = [
  [1, 16_384],
  [16_383, 16_384],
  [16_384, 16_384],
  [16_385, 16_384],
  [5 * 16_384, 16_384], // five leaves: not a power of two
  [3 * 16_384 + 7, 65_536], // one piece of four blocks, the last one short
  [65_536, 65_536], // exactly one piece
  [65_537, 65_536], // a second piece of one byte
  [170_000, 32_768], // six pieces, the last one partial
  [3 * 131_072, 131_072], // three whole pieces: a piece layer padded to four
  [1_000_000, 16_384],
];

Deno.test("FileMerkleHasher() matches libtorrent's pieces roots and piece layers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_merkle_" });
  try {
    const args: string[] = [];
    const files = new Map<string, Uint8Array>();
    for (const [i, [length, pieceLength]] of CASES.entries()) {
      const path = join(dir, `f${i}`);
      files.set(`${path}:${pieceLength}`, data(length, i + 1));
      await Deno.writeFile(path, files.get(`${path}:${pieceLength}`)!);
      args.push(`${path}:${pieceLength}`);
    }
    const expected: Record<string, [string, string]> = JSON.parse(await python(LIBTORRENT_V2, ...args));
    for (const arg of args) {
      const content = files.get(arg)!;
      const pieceLength = Number(arg.split(":").at(-1));
      const whole = fileMerkle(content, pieceLength);
      assert.deepEqual([hex(whole.piecesRoot), hex(whole.pieceLayer)], expected[arg], arg);
      assert.equal(whole.length, content.length);
      // The same in uneven chunks, across block and piece boundaries.
      const hasher = new FileMerkleHasher(pieceLength);
      for (let at = 0, step = 1; at < content.length; at += step, step = step * 3 + 1) {
        hasher.update(content.subarray(at, Math.min(content.length, at + step)));
      }
      assert.deepEqual(hasher.digest(), whole, arg);
      if (whole.pieceLayer.length > 0) {
        assert.deepEqual(pieceLayerRoot(whole.pieceLayer, pieceLength), whole.piecesRoot);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileMerkleHasher() gives no root for an empty file and a block's hash for a one-block file", () => {
  assert.deepEqual(fileMerkle(new Uint8Array(0), 16_384), {
    piecesRoot: undefined,
    pieceLayer: new Uint8Array(0),
    length: 0,
  });
  const hasher = new FileMerkleHasher(32_768);
  hasher.update(new Uint8Array(0));
  hasher.update(new Uint8Array([1, 2, 3]));
  const { piecesRoot } = hasher.digest();
  assert.deepEqual(
    piecesRoot,
    new Uint8Array(createHash("sha256").update(new Uint8Array([1, 2, 3])).digest()),
  );
  assert.throws(() => hasher.digest(), /twice/);
  assert.throws(() => hasher.update(new Uint8Array(1)), /after digest/);
});

Deno.test("FileMerkleHasher() refuses piece lengths v2 does not allow", () => {
  for (const bad of [0, 8192, 16_383, 16_384 * 3, 1.5, NaN]) {
    assert.throws(() => new FileMerkleHasher(bad), RangeError);
  }
  assert.throws(() => pieceLayerRoot(new Uint8Array(32), 3 * 16_384), RangeError);
  assert.throws(() => pieceLayerRoot(new Uint8Array(31), 16_384), RangeError);
});
