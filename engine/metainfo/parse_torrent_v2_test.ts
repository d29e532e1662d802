import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { type Encodable, encode, textKey } from "../bencode/mod.ts";
import { MetainfoError } from "../errors.ts";
import { fileMerkle } from "../merkle/mod.ts";
import { parseTorrent } from "./parse_torrent.ts";
import { v2TestTorrent } from "./_test_util.ts";

function bytes(length: number, seed: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 13 + seed * 101 + (i >> 9)) & 0xff);
}

function hex(data: Uint8Array | undefined): string {
  return data === undefined ? "" : Buffer.from(data).toString("hex");
}

function rejects(data: Uint8Array, pattern: RegExp): void {
  assert.throws(() => parseTorrent(data), (error) => {
    assert.ok(error instanceof MetainfoError, `expected MetainfoError, got ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
}

const FILES = [
  { path: ["a.bin"], data: bytes(40_000, 1) }, // three pieces of 16 KiB
  { path: ["sub", "b.txt"], data: bytes(1, 2), attr: "x" },
  { path: ["sub", "empty"], data: new Uint8Array(0) },
  { path: ["z"], data: bytes(16_384, 3) },
];

Deno.test("parseTorrent() reads a v2-only torrent: truncated info-hash, aligned files, piece layers", () => {
  const torrent = v2TestTorrent(FILES);
  const data = torrent.bytes({ announce: "http://127.0.0.1:1/announce" });
  const info = parseTorrent(data);
  const sha256 = createHash("sha256").update(info.infoBytes).digest();
  assert.equal(info.version, "v2");
  assert.equal(info.infoHashV2Hex, sha256.toString("hex"));
  assert.deepEqual(info.infoHash, new Uint8Array(sha256.subarray(0, 20)));
  assert.equal(info.infoHashHex, sha256.subarray(0, 20).toString("hex"));
  assert.equal(info.multiFile, true);
  assert.deepEqual(info.files.map((f) => [f.path.join("/"), f.length, f.offset, f.padding ?? false]), [
    ["dir/a.bin", 40_000, 0, false],
    ["dir/.pad/9152", 9152, 40_000, true],
    ["dir/sub/b.txt", 1, 49_152, false],
    ["dir/.pad/16383", 16_383, 49_153, true],
    ["dir/sub/empty", 0, 65_536, false],
    ["dir/z", 16_384, 65_536, false],
  ]);
  assert.equal(info.totalLength, 81_920);
  assert.equal(info.pieceCount, 5);
  assert.equal(info.pieceHashes.length, 0);
  assert.deepEqual(
    info.files.filter((f) => !f.padding).map((f) => hex(f.piecesRoot)),
    torrent.roots.map(hex),
  );
  assert.equal(info.files[2].executable, true);
  assert.deepEqual([...info.pieceLayers!.keys()], [hex(torrent.roots[0])]);
  assert.deepEqual(
    info.pieceLayers!.get(hex(torrent.roots[0])),
    fileMerkle(FILES[0].data, 16_384).pieceLayer,
  );
  assert.deepEqual(info.announceList, [["http://127.0.0.1:1/announce"]]);
});

Deno.test("parseTorrent() reads a v2 tree of one file as a single-file torrent named after its entry", () => {
  const torrent = v2TestTorrent([{ path: ["only.txt"], data: bytes(100, 4) }], { name: "folder" });
  const info = parseTorrent(torrent.bytes());
  assert.equal(info.multiFile, false);
  assert.equal(info.name, "folder");
  // libtorrent pads every v2 file to a piece boundary, the last one too: the tail is a padding file.
  assert.deepEqual(info.files, [{
    path: ["only.txt"],
    length: 100,
    offset: 0,
    piecesRoot: torrent.roots[0],
  }, { path: [".pad", "16284"], length: 16_284, offset: 100, padding: true }]);
  assert.equal(info.pieceLayers?.size, 0);
  const nested = parseTorrent(v2TestTorrent([{ path: ["d", "f"], data: bytes(5, 5) }]).bytes());
  assert.equal(nested.multiFile, true);
  assert.deepEqual(nested.files[0].path, ["dir", "d", "f"]);
});

Deno.test("parseTorrent() reads a hybrid through its v1 list, with the v2 pieces roots", () => {
  const torrent = v2TestTorrent(FILES, { hybrid: true });
  const info = parseTorrent(torrent.bytes());
  assert.equal(info.version, "hybrid");
  assert.equal(info.infoHashHex, createHash("sha1").update(info.infoBytes).digest("hex"));
  assert.equal(info.infoHashV2Hex, createHash("sha256").update(info.infoBytes).digest("hex"));
  assert.equal(info.pieceHashes.length, 20 * info.pieceCount);
  assert.deepEqual(info.files.map((f) => [f.path.join("/"), f.offset, f.padding ?? false]), [
    ["dir/a.bin", 0, false],
    ["dir/.pad/9152", 40_000, true],
    ["dir/sub/b.txt", 49_152, false],
    ["dir/.pad/16383", 49_153, true],
    ["dir/sub/empty", 65_536, false],
    ["dir/z", 65_536, false],
  ]);
  assert.equal(info.totalLength, 81_920);
  assert.deepEqual(
    info.files.filter((f) => !f.padding).map((f) => hex(f.piecesRoot)),
    torrent.roots.map(hex),
  );
  const single = v2TestTorrent([{ path: ["one.bin"], data: bytes(20_000, 6) }], {
    name: "one.bin",
    hybrid: true,
    single: true,
  });
  const one = parseTorrent(single.bytes());
  assert.equal(one.version, "hybrid");
  assert.deepEqual(one.files, [{
    path: ["one.bin"],
    length: 20_000,
    offset: 0,
    piecesRoot: single.roots[0],
  }]);
  assert.equal(one.pieceLayers?.size, 1);
});

Deno.test("parseTorrent() accepts v2 metainfo without piece layers, as magnet metadata comes", () => {
  const torrent = v2TestTorrent(FILES, { hybrid: true });
  const info = parseTorrent(encode({ info: torrent.info }));
  assert.equal(info.version, "hybrid");
  assert.equal(info.pieceLayers, undefined);
});

Deno.test("parseTorrent() checks meta version first, then v2 piece length (HOSTILE_INPUTS 8, 12)", () => {
  const torrent = v2TestTorrent(FILES);
  const withInfo = (extra: Record<string, Encodable | undefined>) =>
    encode({ info: { ...torrent.info, ...extra }, "piece layers": torrent.pieceLayers });
  rejects(
    withInfo({ "meta version": 3, "file tree": "broken", "piece length": 3 }),
    /unsupported meta version 3/,
  );
  rejects(withInfo({ "meta version": 0 }), /unsupported meta version 0/);
  rejects(withInfo({ "meta version": "2" }), /meta version is not an integer/);
  rejects(withInfo({ "piece length": 49_152 }), /piece length 49152 is not a power of two/);
  rejects(withInfo({ "piece length": 8192 }), /piece length 8192 is outside/);
  rejects(withInfo({ "piece length": 2 ** 30 }), /outside/);
});

Deno.test("parseTorrent() refuses malformed file trees (HOSTILE_INPUTS 10-12)", () => {
  const root = fileMerkle(bytes(10, 9), 16_384).piecesRoot!;
  const leaf = (fields: Record<string, Encodable>) => new Map([["", new Map(Object.entries(fields))]]);
  const tree = (entries: Record<string, Encodable>) => new Map(Object.entries(entries));
  const torrent = (fileTree: Encodable) =>
    encode({ info: { "file tree": fileTree, "meta version": 2, name: "t", "piece length": 16_384 } });
  rejects(encode({ info: { "meta version": 2, name: "t", "piece length": 16_384 } }), /file tree is missing/);
  rejects(torrent("x"), /file tree is not a dictionary/);
  rejects(torrent(new Map()), /holds no files/);
  rejects(torrent(tree({ d: new Map() })), /holds no files/);
  rejects(torrent(leaf({ length: 10, "pieces root": root })), /root is a file/);
  rejects(torrent(tree({ a: 5 })), /entry "a" is not a dictionary/);
  rejects(torrent(tree({ a: new Map([["", 5]]) })), /entry "a" is not a dictionary/);
  rejects(
    torrent(tree({ a: new Map<string, Encodable>([["", new Map([["length", 1]])], ["b", new Map()]]) })),
    /is a file with siblings/,
  );
  rejects(torrent(tree({ a: leaf({}) })), /file "a" has no integer length/);
  rejects(torrent(tree({ a: leaf({ length: -1 }) })), /negative length/);
  rejects(torrent(tree({ a: leaf({ length: 2 ** 45, "pieces root": root }) })), /larger than 16 TiB/);
  rejects(torrent(tree({ a: leaf({ length: 10 }) })), /file "a" has no pieces root/);
  rejects(
    torrent(tree({ a: leaf({ length: 10, "pieces root": root.subarray(0, 31) }) })),
    /31 bytes, not 32/,
  );
  rejects(
    torrent(tree({ a: leaf({ length: 10, "pieces root": new Uint8Array(32) }) })),
    /all-zero pieces root/,
  );
  rejects(torrent(tree({ a: leaf({ length: 0 }) })), /total length is 0/);
  let deep: Encodable = leaf({ length: 10, "pieces root": root });
  for (let i = 0; i < 101; i++) deep = tree({ d: deep });
  rejects(torrent(deep), /deeper than 100|depth/);
  const many = tree({
    f: leaf({ length: 2 ** 40, "pieces root": root }),
    g: leaf({ length: 2 ** 40, "pieces root": root }),
  });
  rejects(torrent(many), /pass .* bytes of pieces/);
});

Deno.test("parseTorrent() checks piece layers: present, sized and leading to the root (HOSTILE_INPUTS 12)", () => {
  const torrent = v2TestTorrent(FILES);
  const key = [...torrent.pieceLayers.keys()][0];
  const layer = torrent.pieceLayers.get(key) as Uint8Array;
  const withLayers = (layers: Encodable) => encode({ info: torrent.info, "piece layers": layers });
  rejects(withLayers("x"), /piece layers is not a dictionary/);
  rejects(withLayers(new Map()), /no layer for file "dir\/a.bin"/);
  rejects(withLayers(new Map([[key, layer.subarray(0, 64)]])), /64 bytes where 3 hashes need 96/);
  rejects(withLayers(new Map([[key, new Uint8Array(96 * 1000)]])), /where 3 hashes need 96/);
  rejects(withLayers(new Map([[key, 7]])), /not a byte string/);
  const tampered = layer.slice();
  tampered[40] ^= 1;
  rejects(withLayers(new Map([[key, tampered]])), /does not match its pieces root/);
  const extra = new Map<string, Encodable>([[key, layer], ["x".repeat(32), new Uint8Array(32)]]);
  assert.equal(parseTorrent(withLayers(extra)).pieceLayers?.size, 1);
});

Deno.test("parseTorrent() refuses hybrids whose v1 and v2 views differ", () => {
  const base = v2TestTorrent(FILES, { hybrid: true });
  const v1 = base.info.files as Record<string, Encodable>[];
  const variant = (files: Record<string, Encodable>[]) => {
    const total = files.reduce((n, f) => n + (f.length as number), 0);
    const pieces = new Uint8Array(20 * Math.ceil(total / 16_384));
    return encode({ info: { ...base.info, files, pieces }, "piece layers": base.pieceLayers });
  };
  rejects(variant(v1.filter((f) => f.attr !== "p")), /v1 and v2 views differ: .*starts at byte 40000/);
  rejects(
    variant(v1.map((f, i) => i === 0 ? { ...f, path: ["other.bin"] } : f)),
    /"other.bin" in v1 and "a.bin"/,
  );
  rejects(variant([...v1, { length: 1, path: ["extra"] }]), /5 v1 files against 4/);
  rejects(variant(v1.slice(0, -1)), /3 v1 files against 4/);
  rejects(
    variant([...v1, { attr: "p", length: 16_384, path: [".pad", "16384"] }]),
    /6 v1 pieces against 5/,
  );
  const shorter = v1.map((f, i) => i === 0 ? { ...f, length: 39_999 } : i === 1 ? { ...f, length: 9153 } : f);
  rejects(variant(shorter), /39999 bytes in v1 and 40000 in v2/);
});

Deno.test("parseTorrent() sanitises v2 paths and renames duplicates (HOSTILE_INPUTS 11, 14-20)", () => {
  const data = bytes(10, 8);
  const torrent = v2TestTorrent([
    { path: ["..", "x"], data },
    { path: ["a/b"], data },
    { path: ["a_b"], data },
    { path: ["CON"], data },
  ], { name: ".." });
  const info = parseTorrent(torrent.bytes());
  assert.equal(info.name, info.infoHashHex);
  assert.deepEqual(info.files.filter((f) => !f.padding).map((f) => f.path.slice(1).join("/")), [
    "_/x",
    "_CON",
    "a_b",
    "a_b.1",
  ]);
});

Deno.test("parseTorrent() reads BEP 47 attributes and keeps symlink targets inside (HOSTILE_INPUTS 21)", () => {
  const link = (target: Encodable) =>
    new Map<string, Encodable>([[
      "",
      new Map<string, Encodable>([["attr", "l"], ["length", 0], ["symlink path", target]]),
    ]]);
  const root = fileMerkle(bytes(10, 1), 16_384).piecesRoot!;
  const fileTree = new Map<string, Encodable>([
    [
      "f",
      new Map([["", new Map<string, Encodable>([["attr", "hx"], ["length", 10], ["pieces root", root]])]]),
    ],
    ["l1", link(["..", "..", "etc", "passwd"])],
    ["l2", link(["/etc/passwd"])],
    ["l3", link("not a list")],
    ["l4", link([])],
  ]);
  const info = parseTorrent(
    encode({ info: { "file tree": fileTree, "meta version": 2, name: "t", "piece length": 16_384 } }),
  );
  const [f, l1, l2, l3, l4] = info.files.filter((file) => !file.padding);
  assert.deepEqual([f.executable, f.hidden, f.symlinkPath], [true, true, undefined]);
  assert.deepEqual(l1.symlinkPath, ["t", "_", "_", "etc", "passwd"]);
  assert.deepEqual(l2.symlinkPath, ["t", "_etc_passwd"]);
  assert.equal(l3.symlinkPath, undefined);
  assert.equal(l4.symlinkPath, undefined);
  const v1 = parseTorrent(encode({
    info: {
      files: [
        { length: 5, path: ["a"], attr: "xh" },
        { length: 0, path: ["b"], attr: "l", "symlink path": ["a"] },
      ],
      name: "d",
      "piece length": 16_384,
      pieces: new Uint8Array(20),
    },
  }));
  assert.deepEqual(v1.files, [
    { path: ["d", "a"], length: 5, offset: 0, executable: true, hidden: true },
    { path: ["d", "b"], length: 0, offset: 5, symlinkPath: ["d", "a"] },
  ]);
  assert.equal(textKey("f"), "f");
});

Deno.test("parseTorrent() throws only MetainfoError on cut or mutated v2 and hybrid input (HOSTILE_INPUTS 5, 13)", () => {
  for (const hybrid of [false, true]) {
    const torrent = v2TestTorrent(FILES.slice(0, 2), { hybrid }).bytes();
    assert.ok(parseTorrent(torrent));
    for (let end = 0; end < torrent.length; end++) {
      assert.throws(() => parseTorrent(torrent.subarray(0, end)), MetainfoError, `cut at ${end}`);
    }
    fc.assert(
      fc.property(fc.nat(torrent.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const mutated = torrent.slice();
        mutated[at] = byte;
        try {
          parseTorrent(mutated);
        } catch (error) {
          if (!(error instanceof MetainfoError)) throw error;
        }
      }),
      { numRuns: 5000 },
    );
  }
});
