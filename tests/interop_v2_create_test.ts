/**
 * BitTorrent v2 and hybrid metainfo (BEP 52, BEP 47 padding) against libtorrent 2.0: torrents made by
 * `ccbt create --v2/--hybrid` load in libtorrent with the info-hashes libtorrent computes itself for the same
 * files and piece length, and torrents made by libtorrent parse in ccbt with the same info-hashes, file layout,
 * pieces roots and piece layers.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileMerkle, parseTorrent, type TorrentInfo } from "../mod.ts";
import { runCcbt } from "./_helpers/ccbt.ts";
import { makePayload } from "./_helpers/files.ts";
import { libtorrentCreate, libtorrentDescribe, type LtTorrentSummary } from "./_helpers/libtorrent.ts";

/** Odd sizes, an empty file, a nested directory, a file of exactly one piece, files of several pieces. */
const FILES = [
  { path: "a.bin", size: 100_003 },
  { path: "docs/readme.txt", size: 1 },
  { path: "docs/empty", size: 0 },
  { path: "docs/deep/er/block", size: 32_768 },
  { path: "docs/deep/er/x.dat", size: 70_001 },
  { path: "z.iso", size: 300_000 },
];

async function withPayload(fn: (dir: string, payload: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_interop_v2_" });
  try {
    await makePayload(join(dir, "set"), { files: FILES }, 52);
    await Deno.chmod(join(dir, "set", "docs", "readme.txt"), 0o755);
    await fn(dir, join(dir, "set"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function hex(bytes: Uint8Array | undefined): string | null {
  return bytes === undefined ? null : Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** ccbt's files (padding left out) as libtorrent lists them. */
function realFiles(info: TorrentInfo) {
  return info.files.filter((f) => !f.padding).map((f) => ({
    path: f.path.join("/"),
    size: f.length,
    offset: f.offset,
    root: hex(f.piecesRoot),
  }));
}

function ltRealFiles(summary: LtTorrentSummary) {
  return summary.files.filter((f) => !f.pad).map(({ path, size, offset, root }) => ({
    path,
    size,
    offset,
    root,
  }));
}

/** Every non-empty file's piece layer, computed from its bytes, is the one ccbt parsed (none for single pieces). */
async function checkPieceLayers(info: TorrentInfo, dataDir: string): Promise<void> {
  ok(info.pieceLayers !== undefined);
  let layers = 0;
  for (const file of info.files) {
    if (file.padding || file.length === 0) continue;
    const data = await Deno.readFile(join(dataDir, ...file.path));
    const { piecesRoot, pieceLayer } = fileMerkle(data, info.pieceLength);
    deepEqual(file.piecesRoot, piecesRoot, file.path.join("/"));
    if (file.length > info.pieceLength) {
      deepEqual(info.pieceLayers.get(hex(piecesRoot)!), pieceLayer, file.path.join("/"));
      layers++;
    } else {
      equal(info.pieceLayers.get(hex(piecesRoot)!), undefined);
    }
  }
  equal(info.pieceLayers.size, layers);
}

Deno.test("ccbt create --v2 and --hybrid give the info-hashes libtorrent computes for the same files", async () => {
  await withPayload(async (dir, payload) => {
    for (const kind of ["v2", "hybrid"] as const) {
      for (const pieceLength of [16_384, 65_536]) {
        const ours = join(dir, `ccbt-${kind}-${pieceLength}.torrent`);
        const created = await runCcbt([
          "create",
          payload,
          "-o",
          ours,
          `--${kind}`,
          "--piece-length",
          String(pieceLength),
          "--json",
        ]);
        equal(created.code, 0, created.stderr);
        const printed = JSON.parse(created.stdout);
        equal(printed.version, kind);

        // libtorrent loads ccbt's torrent and computes the same info-hashes from its bytes...
        const loaded = await libtorrentDescribe(ours);
        equal(loaded.infoHash, printed.infoHash);
        equal(loaded.infoHashV2, printed.infoHashV2);
        // ...which are the ones libtorrent's own create_torrent gives for the same files and piece length.
        const theirs = await libtorrentCreate(payload, join(dir, `lt-${kind}-${pieceLength}.torrent`), {
          kind,
          pieceLength,
        });
        equal(theirs.infoHash, printed.infoHash, `${kind} ${pieceLength}`);
        equal(theirs.infoHashV2, printed.infoHashV2, `${kind} ${pieceLength}`);
        equal(printed.infoHash, kind === "v2" ? printed.infoHashV2.slice(0, 40) : printed.infoHash);

        const info = parseTorrent(await Deno.readFile(ours));
        deepEqual(realFiles(info), ltRealFiles(loaded));
        ok(info.files.some((f) => f.executable), "the executable file has BEP 47 attr x");
        await checkPieceLayers(info, dir);
      }
    }
  });
});

Deno.test("torrents made by libtorrent parse in ccbt with its info-hashes, pieces roots and piece layers", async () => {
  await withPayload(async (dir, payload) => {
    for (const kind of ["v2", "hybrid"] as const) {
      for (const pieceLength of [16_384, 32_768, 262_144]) {
        const path = join(dir, `lt-${kind}-${pieceLength}.torrent`);
        const summary = await libtorrentCreate(payload, path, { kind, pieceLength });
        const info = parseTorrent(await Deno.readFile(path));
        equal(info.version, kind);
        equal(info.infoHashHex, summary.infoHash);
        equal(info.infoHashV2Hex, summary.infoHashV2);
        equal(info.pieceLength, summary.pieceLength);
        equal(info.pieceCount, summary.numPieces, `${kind} ${pieceLength}`);
        deepEqual(realFiles(info), ltRealFiles(summary), `${kind} ${pieceLength}`);
        if (kind === "hybrid") {
          // The v1 list is libtorrent's layout, padding files included.
          equal(info.totalLength, summary.totalSize);
          deepEqual(
            info.files.map((f) => [f.length, f.offset, f.padding ?? false]),
            summary.files.map((f) => [f.size, f.offset, f.pad]),
          );
        }
        await checkPieceLayers(info, dir);
      }
    }
  });
});
