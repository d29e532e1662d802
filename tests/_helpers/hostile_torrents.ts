/**
 * Hostile .torrent fixtures (HOSTILE_INPUTS.md cases 1–18), built with the engine's bencode encoder: malformed
 * ones that must be refused, and path-traversal ones that are sanitised and must be downloadable into the output
 * directory only.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type Encodable, encode } from "../../engine/bencode/mod.ts";

const PIECE = 16384;
const text = new TextEncoder();

/** SHA-1 of every `pieceLength` slice of `data`, concatenated (BEP 3 `pieces`). */
export function pieceHashes(data: Uint8Array, pieceLength = PIECE): Uint8Array {
  const count = Math.ceil(data.length / pieceLength);
  const out = new Uint8Array(count * 20);
  for (let i = 0; i < count; i++) {
    out.set(
      createHash("sha1").update(data.subarray(i * pieceLength, (i + 1) * pieceLength)).digest(),
      i * 20,
    );
  }
  return out;
}

/** `n` deterministic bytes that differ with `seed`. */
export function bytesOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** One file of a hostile multi-file torrent: raw path components as the metainfo will hold them. */
export interface HostileFile {
  path: string[];
  data: Uint8Array;
}

/**
 * A v1 torrent whose `name` and paths are taken verbatim (no sanitising), with correct piece hashes. With one
 * file and `single`, a single-file torrent named `name`.
 */
export function rawTorrent(name: string, files: HostileFile[], single = false): Uint8Array {
  const all = new Uint8Array(files.reduce((n, f) => n + f.data.length, 0));
  let offset = 0;
  for (const file of files) {
    all.set(file.data, offset);
    offset += file.data.length;
  }
  const info: Record<string, Encodable> = { name, "piece length": PIECE, pieces: pieceHashes(all) };
  if (single) info.length = all.length;
  else info.files = files.map((f) => ({ length: f.data.length, path: f.path }));
  return encode({ info });
}

function validInfo(): Record<string, Encodable> {
  const data = bytesOf(PIECE + 100, 1);
  return { length: data.length, name: "ok.bin", "piece length": PIECE, pieces: pieceHashes(data) };
}

/** Replaces the first occurrence of `from` in `bytes` with `to` (same or different length). */
function replaceBytes(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const haystack = new TextDecoder("latin1").decode(bytes);
  const at = haystack.indexOf(from);
  if (at < 0) throw new Error(`Fixture bug: ${from} not found`);
  const tail = bytes.subarray(at + from.length);
  const head = bytes.subarray(0, at);
  const mid = text.encode(to);
  const out = new Uint8Array(head.length + mid.length + tail.length);
  out.set(head);
  out.set(mid, head.length);
  out.set(tail, head.length + mid.length);
  return out;
}

/** Malformed .torrent files that must be refused (HOSTILE_INPUTS.md cases 1–10, 12). */
export function malformedTorrents(): { name: string; bytes: Uint8Array }[] {
  const valid = encode({ announce: "http://127.0.0.1:1/announce", info: validInfo() });
  const withInfo = (patch: Record<string, Encodable | undefined>) => {
    const info: Record<string, Encodable | undefined> = { ...validInfo(), ...patch };
    return encode({ info });
  };
  const twoFiles = (first: number, second: number) =>
    encode({
      info: {
        files: [{ length: first, path: ["a"] }, { length: second, path: ["b"] }],
        name: "multi",
        "piece length": PIECE,
        pieces: new Uint8Array(40),
      },
    });
  return [
    { name: "not bencode", bytes: text.encode("<html>this is not a torrent</html>") },
    { name: "empty file", bytes: new Uint8Array(0) },
    { name: "truncated", bytes: valid.subarray(0, Math.floor(valid.length / 2)) },
    { name: "cut one byte short", bytes: valid.subarray(0, valid.length - 1) },
    { name: "trailing garbage", bytes: new Uint8Array([...valid, 0x78]) },
    { name: "top-level list", bytes: encode([validInfo()]) },
    { name: "top-level integer", bytes: text.encode("i42e") },
    { name: "info missing", bytes: encode({ announce: "http://127.0.0.1:1/announce" }) },
    { name: "info is a string", bytes: encode({ info: "info" }) },
    { name: "info is a list", bytes: encode({ info: [validInfo()] }) },
    { name: "pieces of 119 bytes", bytes: withInfo({ pieces: new Uint8Array(119) }) },
    { name: "too few pieces for the length", bytes: withInfo({ pieces: new Uint8Array(20) }) },
    { name: "too many pieces for the length", bytes: withInfo({ pieces: new Uint8Array(60) }) },
    { name: "pieces missing", bytes: withInfo({ pieces: undefined }) },
    { name: "piece length 0", bytes: withInfo({ "piece length": 0 }) },
    { name: "piece length negative", bytes: withInfo({ "piece length": -16384 }) },
    { name: "piece length 1 GiB", bytes: withInfo({ "piece length": 1 << 30 }) },
    {
      name: "piece length i016384e",
      bytes: replaceBytes(encode({ info: validInfo() }), "i16384e", "i016384e"),
    },
    { name: "negative single-file length", bytes: withInfo({ length: -1 }) },
    { name: "negative length in files", bytes: twoFiles(PIECE, -PIECE) },
    { name: "total length 0", bytes: withInfo({ length: 0, pieces: new Uint8Array(0) }) },
    { name: "length 2^43 (too many pieces)", bytes: withInfo({ length: 2 ** 43 }) },
    { name: "length 2^45 (file over 16 TiB)", bytes: withInfo({ length: 2 ** 45 }) },
    { name: "length 2^60 (not a safe integer)", bytes: withInfo({ length: 2n ** 60n }) },
    { name: "length 2^64 (not an int64)", bytes: withInfo({ length: 2n ** 64n }) },
    { name: "files is empty", bytes: withInfo({ files: [] }) },
    { name: "file path is empty", bytes: withInfo({ files: [{ length: 10, path: [] }] }) },
    { name: "file path is a string", bytes: withInfo({ files: [{ length: 10, path: "a/b" }] }) },
    {
      name: "file path of 101 components",
      bytes: withInfo({ files: [{ length: 10, path: Array(101).fill("d") }] }),
    },
    { name: "unsorted info keys", bytes: unsortedInfo() },
    { name: "10,000 nested lists", bytes: text.encode("d4:info" + "l".repeat(10_000)) },
    { name: "string length 99999999999999999999", bytes: text.encode("d4:info99999999999999999999:abc") },
    { name: "string length -1", bytes: text.encode("d4:info-1:e") },
    {
      name: "v2-only meta version 2",
      bytes: withInfo({ "meta version": 2, pieces: undefined, "file tree": {} }),
    },
    { name: "meta version 3", bytes: withInfo({ "meta version": 3 }) },
  ];
}

/** A torrent whose info dict has `pieces` before `piece length` (keys out of order). */
function unsortedInfo(): Uint8Array {
  const info = validInfo();
  const pieces = info.pieces as Uint8Array;
  const head = text.encode(`d4:infod6:lengthi${info.length}e4:name6:ok.bin6:pieces${pieces.length}:`);
  const tail = text.encode(`12:piece lengthi${PIECE}eee`);
  return new Uint8Array([...head, ...pieces, ...tail]);
}
