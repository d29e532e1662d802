import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { encode } from "../bencode/mod.ts";
import { BencodeError, MetainfoError } from "../errors.ts";
import { parseTorrent } from "./parse_torrent.ts";
import { resolveInside } from "./resolve_inside.ts";
import { multiFileInfo, torrentBytes } from "./_test_util.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => parseTorrent(bytes), (error) => {
    assert.ok(error instanceof MetainfoError, `expected MetainfoError, got ${error}`);
    assert.match(error.message, pattern);
    assert.match(error.message, /^Cannot parse torrent: .*[^.]$/);
    return true;
  });
}

Deno.test("parseTorrent() reads a single-file torrent", () => {
  const pieces = new Uint8Array(40).map((_, i) => i);
  const bytes = torrentBytes({ pieces }, {
    comment: "hi",
    "created by": "me",
    "creation date": 1_700_000_000,
  });
  const info = parseTorrent(bytes);
  assert.equal(info.name, "file.bin");
  assert.equal(info.pieceLength, 16_384);
  assert.equal(info.pieceCount, 2);
  assert.equal(info.totalLength, 20_000);
  assert.deepEqual(info.pieceHashes, pieces);
  assert.deepEqual(info.files, [{ path: ["file.bin"], length: 20_000, offset: 0 }]);
  assert.equal(info.multiFile, false);
  assert.equal(info.private, false);
  assert.deepEqual(info.announceList, []);
  assert.deepEqual(info.urlList, []);
  assert.equal(info.comment, "hi");
  assert.equal(info.createdBy, "me");
  assert.equal(info.creationDate, 1_700_000_000);
  assert.ok(Object.isFrozen(info) && Object.isFrozen(info.files) && Object.isFrozen(info.files[0].path));
});

Deno.test("parseTorrent() hashes the info bytes exactly as found (HOSTILE_INPUTS 6)", () => {
  const rawInfo = new Uint8Array([
    ...ascii("d6:lengthi5e4:name4:"),
    0xff,
    0xc3,
    0x28,
    0x80,
    ...ascii("12:piece lengthi16384e6:pieces20:"),
    ...new Uint8Array(20),
    ...ascii("7:privatei1e1:xle5:z.notd1:ai1eee"),
  ]);
  const bytes = new Uint8Array([...ascii("d8:announce9:udp://h:14:info"), ...rawInfo, ...ascii("e")]);
  const info = parseTorrent(bytes);
  assert.equal(info.infoHashHex, sha1(rawInfo));
  assert.equal(info.infoHashHex, Buffer.from(info.infoHash).toString("hex"));
  assert.equal(info.infoHash.length, 20);
  assert.deepEqual(info.infoBytes, rawInfo);
  assert.equal(info.name, "\ufffd\ufffd(\ufffd");
  assert.equal(info.private, true);
  assert.deepEqual(info.announceList, [["udp://h:1"]]);
  bytes.fill(0);
  assert.deepEqual(info.infoBytes, rawInfo, "the result does not alias the input");
});

Deno.test("parseTorrent() reads a multi-file torrent with offsets", () => {
  const info = parseTorrent(torrentBytes({
    ...multiFileInfo([
      { length: 10, path: ["a.txt"] },
      { length: 0, path: ["empty"] },
      { length: 20_000, path: ["sub", "b.bin"] },
    ]),
    length: undefined,
  }));
  assert.equal(info.multiFile, true);
  assert.equal(info.name, "dir");
  assert.equal(info.totalLength, 20_010);
  assert.deepEqual(info.files, [
    { path: ["dir", "a.txt"], length: 10, offset: 0 },
    { path: ["dir", "empty"], length: 0, offset: 10 },
    { path: ["dir", "sub", "b.bin"], length: 20_000, offset: 10 },
  ]);
});

Deno.test("parseTorrent() checks piece length (HOSTILE_INPUTS 8)", () => {
  rejects(torrentBytes({ "piece length": undefined }), /piece length is missing/);
  rejects(torrentBytes({ "piece length": "16384" }), /piece length is missing or not an integer/);
  for (const bad of [0, -16_384, 16_383, 512 * 1024 * 1024 + 1, 2 ** 40]) {
    rejects(torrentBytes({ "piece length": bad, pieces: new Uint8Array(20) }), /piece length .* is outside/);
  }
  assert.equal(
    parseTorrent(torrentBytes({ "piece length": 16_385, pieces: new Uint8Array(40) })).pieceCount,
    2,
  );
  assert.equal(
    parseTorrent(torrentBytes({ "piece length": 49_152, pieces: new Uint8Array(20) })).pieceLength,
    49_152,
  );
  const big = 512 * 1024 * 1024;
  assert.equal(
    parseTorrent(torrentBytes({ "piece length": big, pieces: new Uint8Array(20) })).pieceLength,
    big,
  );
});

Deno.test("parseTorrent() checks the piece hashes against the size (HOSTILE_INPUTS 9)", () => {
  rejects(torrentBytes({ pieces: new Uint8Array(119) }), /119 bytes, not a multiple of 20/);
  rejects(torrentBytes({ pieces: new Uint8Array(20) }), /holds 1 hashes but 20000 bytes need 2/);
  rejects(torrentBytes({ pieces: new Uint8Array(60) }), /holds 3 hashes/);
  rejects(torrentBytes({ pieces: undefined }), /pieces is missing/);
  rejects(torrentBytes({ pieces: 5 }), /pieces is missing or not a byte string/);
  rejects(torrentBytes({ length: 0, pieces: new Uint8Array() }), /total length is 0/);
  rejects(torrentBytes({ length: 32_769 }), /holds 2 hashes but 32769 bytes need 3/);
});

Deno.test("parseTorrent() enforces size caps before allocating (HOSTILE_INPUTS 10)", () => {
  rejects(torrentBytes({ length: -1 }), /negative length -1/);
  rejects(torrentBytes({ length: 16 * 1024 ** 4 + 1 }), /larger than 16 TiB/);
  rejects(
    torrentBytes({ length: 16_384 * 2_097_153, pieces: new Uint8Array(20) }),
    /allowed number of pieces/,
  );
  const huge = { length: 16 * 1024 ** 4, path: ["a"] };
  rejects(
    torrentBytes({ ...multiFileInfo([]), files: [huge, huge], pieces: new Uint8Array(20) }),
    /total length passes/,
  );
  rejects(new Uint8Array(10_000_001), /10000001 bytes, more than the 10000000 allowed/);
  rejects(torrentBytes({ length: "5" }), /has no integer length/);
});

Deno.test("parseTorrent() dedupes repeated paths and caps depth (HOSTILE_INPUTS 11)", () => {
  const same = Array.from({ length: 501 }, () => ({ length: 1, path: ["a.txt"] }));
  const info = parseTorrent(torrentBytes(multiFileInfo(same)));
  const names = info.files.map((f) => f.path.join("/"));
  assert.equal(new Set(names).size, 501);
  assert.equal(names[0], "dir/a.txt");
  assert.equal(names[1], "dir/a.1.txt");
  assert.equal(names[500], "dir/a.500.txt");

  const deep = (n: number) => Array.from({ length: n }, (_, i) => `d${i}`);
  rejects(torrentBytes(multiFileInfo([{ length: 1, path: deep(101) }])), /deeper than 100/);
  assert.equal(
    parseTorrent(torrentBytes(multiFileInfo([{ length: 1, path: deep(100) }]))).files[0].path.length,
    101,
  );
  rejects(torrentBytes(multiFileInfo([{ length: 1, path: [] }])), /empty path/);
  rejects(torrentBytes(multiFileInfo([{ length: 1, path: "a" }])), /no path list/);
  rejects(torrentBytes(multiFileInfo([{ length: 1, path: [1] }])), /not a byte string/);
  rejects(torrentBytes({ files: [], name: "x", length: undefined }), /files is empty/);
  rejects(torrentBytes({ files: "x", length: undefined }), /files is not a list/);
  rejects(torrentBytes({ files: [5], length: undefined }), /file 0 is not a dictionary/);
});

Deno.test("parseTorrent() renames a file that collides with a directory or a sanitised twin", () => {
  const info = parseTorrent(torrentBytes(multiFileInfo([
    { length: 1, path: ["a"] },
    { length: 1, path: ["a", "b"] },
    { length: 1, path: ["x."] },
    { length: 1, path: ["x"] },
    { length: 1, path: ["x.1"] },
  ])));
  assert.deepEqual(info.files.map((f) => f.path.join("/")), [
    "dir/a.1",
    "dir/a/b",
    "dir/x",
    "dir/x.1",
    "dir/x.1.1",
  ]);
});

Deno.test("parseTorrent() keeps hostile paths inside the save directory (HOSTILE_INPUTS 14-20)", () => {
  const paths = [
    ["..", "..", "etc", "passwd"],
    ["a/../../b"],
    ["..\\..\\x"],
    ["/etc/x"],
    ["C:\\x"],
    ["\\\\server\\share\\x"],
    ["", "a"],
    ["", ""],
    [".", "a"],
    ["a\u202Egpj.exe"],
    ["x\u0000y", "\n"],
    ["CON"],
    ["nul.txt"],
    ["z".repeat(300) + ".txt"],
  ];
  for (const name of ["dir", "..", ".", "", "/tmp/x", "a/../../.."]) {
    const info = parseTorrent(torrentBytes({
      ...multiFileInfo(paths.map((path) => ({ length: 1, path }))),
      name,
    }));
    for (const file of info.files) {
      for (const component of file.path) {
        assert.ok(!["", ".", ".."].includes(component) && !/[/\\\0]/.test(component), component);
      }
      assert.ok(resolveInside("/srv/dl", file.path).startsWith("/srv/dl/"));
    }
    if (["..", ".", ""].includes(name)) assert.equal(info.name, info.infoHashHex);
  }
  const info = parseTorrent(torrentBytes(multiFileInfo(paths.map((path) => ({ length: 1, path })))));
  assert.deepEqual(info.files.map((f) => f.path.slice(1).join("/")).slice(0, 13), [
    "_/_/etc/passwd",
    "a_.._.._b",
    ".._.._x",
    "_etc_x",
    "C__x",
    "__server_share_x",
    "_/a",
    "_/_.1", // "_/_" is already a directory, from the first path
    "_/a.1",
    "agpj.exe",
    "x_y/_",
    "_CON",
    "_nul.txt",
  ]);
  assert.equal(parseTorrent(torrentBytes({ name: "/tmp/x" })).name, "_tmp_x");
  assert.equal(parseTorrent(torrentBytes({ name: undefined })).files[0].path[0].length, 40);
});

Deno.test("parseTorrent() prefers valid name.utf-8 and path.utf-8", () => {
  const latin1Name = new Uint8Array([0x63, 0x61, 0x66, 0xe9]);
  const info = parseTorrent(torrentBytes({
    ...multiFileInfo([{ length: 1, path: [new Uint8Array([0xe9])], "path.utf-8": ["é"] }]),
    name: latin1Name,
    "name.utf-8": "café",
  }));
  assert.equal(info.name, "café");
  assert.deepEqual(info.files[0].path, ["café", "é"]);
  const fallback = parseTorrent(torrentBytes({
    ...multiFileInfo([{ length: 1, path: ["p"], "path.utf-8": [new Uint8Array([0xff])] }]),
    name: "n",
    "name.utf-8": new Uint8Array([0xff]),
  }));
  assert.equal(fallback.name, "n");
  assert.deepEqual(fallback.files[0].path, ["n", "p"]);
});

Deno.test("parseTorrent() reads tracker tiers and web seeds, dropping bad URLs", () => {
  const info = parseTorrent(torrentBytes({}, {
    announce: "http://ignored.example/announce",
    "announce-list": [
      ["http://a.example/announce", "udp://b.example:80", "file:///etc/passwd"],
      [],
      ["javascript:alert(1)", new Uint8Array([0xff]), "https://c.example/a", "http://a.example/announce"],
      "udp://d.example:1",
      [5, ["x"]],
    ],
    "url-list": ["http://w.example/", "ftp://x.example/", "http://w.example/"],
  }));
  assert.deepEqual(info.announceList, [
    ["http://a.example/announce", "udp://b.example:80"],
    ["https://c.example/a"],
    ["udp://d.example:1"],
  ]);
  assert.deepEqual(info.urlList, ["http://w.example/"]);
  const fallback = parseTorrent(torrentBytes({}, {
    announce: " http://only.example/a ",
    "announce-list": [["wss://x.example"]],
    "url-list": "https://seed.example/f",
  }));
  assert.deepEqual(fallback.announceList, [["http://only.example/a"]]);
  assert.deepEqual(fallback.urlList, ["https://seed.example/f"]);
  const many = Array.from({ length: 2000 }, (_, i) => [`http://t${i}.example/a`]);
  assert.equal(parseTorrent(torrentBytes({}, { "announce-list": many })).announceList.length, 1000);
  const junk = parseTorrent(
    torrentBytes({}, { announce: 5, "announce-list": "x", "url-list": 3, comment: 1 }),
  );
  assert.deepEqual([junk.announceList, junk.urlList, junk.comment], [[], [], undefined]);
});

Deno.test("parseTorrent() handles versions, padding files and both length and files", () => {
  rejects(
    torrentBytes({ "meta version": 2, pieces: undefined, "file tree": {} }),
    /file tree holds no files/,
  );
  rejects(torrentBytes({ "meta version": 3 }), /unsupported meta version 3/);
  rejects(torrentBytes({ "meta version": 2, "file tree": {} }), /file tree holds no files/);
  assert.equal(parseTorrent(torrentBytes({ "meta version": 1 })).version, "v1");
  const padded = parseTorrent(torrentBytes(multiFileInfo([
    { length: 100, path: ["a"] },
    { length: 16_284, path: [".pad", "16284"], attr: "p" },
    { length: 16_284, path: [".pad", "16284"], attr: "p" },
    { length: 5, path: ["b"], attr: "x" },
  ])));
  assert.deepEqual(padded.files.map((f) => [f.path.join("/"), f.offset, f.padding ?? false]), [
    ["dir/a", 0, false],
    ["dir/.pad/16284", 100, true],
    ["dir/.pad/16284", 16_384, true],
    ["dir/b", 32_668, false],
  ]);
  const both = parseTorrent(torrentBytes({ ...multiFileInfo([{ length: 20_000, path: ["f"] }]), length: 7 }));
  assert.equal(both.multiFile, true);
});

Deno.test("parseTorrent() gives a typed error for bad tops (HOSTILE_INPUTS 7)", () => {
  rejects(encode([1, 2]), /top level is not a dictionary/);
  rejects(encode({ announce: "http://x/" }), /info is missing/);
  rejects(encode({ info: [1] }), /info is not a dictionary/);
  const trailing = new Uint8Array([...torrentBytes(), 0x78]);
  assert.throws(() => parseTorrent(trailing), (error) => {
    assert.ok(error instanceof MetainfoError);
    assert.ok(error.cause instanceof BencodeError);
    assert.match(error.message, /trailing bytes/);
    return true;
  });
  rejects(ascii("d4:infod4:name1:x4:name1:yee"), /duplicate dictionary key/);
  rejects(ascii("d4:infod4:name1:x1:ai1eee"), /not sorted/);
});

Deno.test("parseTorrent() throws only MetainfoError on cut, mutated or random input (HOSTILE_INPUTS 5, 13)", () => {
  const torrent = torrentBytes(
    multiFileInfo([{ length: 5, path: ["a", "b"] }, { length: 40_000, path: ["c"] }]),
    { announce: "http://127.0.0.1:6969/announce", "creation date": 1 },
  );
  assert.ok(parseTorrent(torrent));
  for (let end = 0; end < torrent.length; end++) {
    assert.throws(() => parseTorrent(torrent.subarray(0, end)), MetainfoError, `cut at ${end}`);
  }
  const check = (bytes: Uint8Array) => {
    try {
      parseTorrent(bytes);
    } catch (error) {
      if (!(error instanceof MetainfoError)) throw error;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1024 }), check), { numRuns: 10_000 });
  fc.assert(
    fc.property(fc.nat(torrent.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const mutated = torrent.slice();
      mutated[at] = byte;
      check(mutated);
    }),
    { numRuns: 10_000 },
  );
});
