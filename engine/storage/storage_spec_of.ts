/**
 * From a parsed torrent to the `StorageSpec` a `DiskIo` registers: paths joined inside the save directory, BEP 47
 * attributes and BEP 52 hashes carried over.
 *
 * @module
 */

import type { TorrentInfo } from "../metainfo/types.ts";
import { resolveInside } from "../metainfo/resolve_inside.ts";
import type { StorageFile, StorageSpec } from "./disk_io.ts";

/**
 * The storage of `info` under `saveDir`, with every file in `info.files` order (so `DiskIo.applyAttributes` takes
 * the same file indices): padding flags, pieces roots, executable and hidden flags, symbolic link targets joined
 * inside `saveDir` (only for zero-length entries: a "link" that holds piece data stays an ordinary file, so its
 * bytes are never written through a link), the SHA-1 piece hashes (empty for v2-only) and the piece layers known so far. Zero-length
 * files are kept; `DiskIo.addStorage` creates them (links and padding files excepted).
 *
 * @param info A parsed torrent (v1, v2 or hybrid).
 * @param saveDir The save directory.
 * @returns The spec, sharing `info`'s hash arrays.
 * @throws {RangeError} When a path or link target would leave `saveDir` (see `resolveInside`).
 *
 * @example
 * ```ts
 * import { storageSpecOf } from "./storage_spec_of.ts";
 * import type { TorrentInfo } from "../metainfo/types.ts";
 * const info = {
 *   files: [{ path: ["t", "a"], length: 5, offset: 0, executable: true }],
 *   pieceLength: 16384,
 *   totalLength: 5,
 *   pieceHashes: new Uint8Array(20),
 * } as unknown as TorrentInfo;
 * const spec = storageSpecOf(info, "/srv/dl");
 * if (spec.files[0].path !== "/srv/dl/t/a" || !spec.files[0].executable) throw new Error("joined, flags kept");
 * ```
 */
export function storageSpecOf(info: TorrentInfo, saveDir: string): StorageSpec {
  const files = info.files.map((file): StorageFile => ({
    path: resolveInside(saveDir, file.path),
    length: file.length,
    offset: file.offset,
    ...(file.padding ? { padding: true } : {}),
    ...(file.piecesRoot !== undefined ? { piecesRoot: file.piecesRoot } : {}),
    ...(file.executable ? { executable: true } : {}),
    ...(file.hidden ? { hidden: true } : {}),
    ...(file.symlinkPath !== undefined && file.length === 0
      ? { symlinkTarget: resolveInside(saveDir, file.symlinkPath) }
      : {}),
  }));
  return {
    files,
    pieceLength: info.pieceLength,
    totalLength: info.totalLength,
    pieceHashes: info.pieceHashes,
    ...(info.pieceLayers !== undefined ? { pieceLayers: info.pieceLayers } : {}),
    saveDir,
  };
}
