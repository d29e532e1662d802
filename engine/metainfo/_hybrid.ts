/**
 * The consistency check of a hybrid v1/v2 torrent (BEP 52 "Upgrade Path"): both views must describe the same
 * files, in the same order, at the same piece alignment.
 *
 * @module
 */

import { MetainfoError } from "../errors.ts";
import type { V1Files } from "./_files.ts";
import type { V2Files } from "./_file_tree.ts";

function bad(detail: string): never {
  throw new MetainfoError(`Cannot parse torrent: the v1 and v2 views differ: ${detail}`);
}

/**
 * Checks that the non-padding v1 files match the v2 files one to one (same sanitised path relative to the torrent
 * root, same length, and for non-empty files the same offset, which BEP 47 padding files in the v1 list must
 * produce), and that both views have the same number of pieces. A padding file after the last file is allowed
 * (libtorrent writes one). Then gives each v1 file its v2 pieces root.
 *
 * @throws {MetainfoError} On any difference.
 */
export function checkHybrid(v1: V1Files, v2: V2Files, pieceLength: number): void {
  const real = [];
  let offset = 0;
  for (const file of v1.drafts) {
    if (!file.padding) real.push({ file, offset });
    offset += file.length;
  }
  if (real.length !== v2.real.length) bad(`${real.length} v1 files against ${v2.real.length} v2 files`);
  for (let i = 0; i < real.length; i++) {
    const { file, offset } = real[i];
    const relative = (v1.multiFile ? file.path.slice(1) : file.path).join("/");
    const other = v2.relative[i].join("/");
    if (relative !== other) {
      bad(`file ${i} is ${JSON.stringify(relative)} in v1 and ${JSON.stringify(other)} in v2`);
    }
    if (file.length !== v2.real[i].length) {
      bad(`file ${JSON.stringify(relative)} is ${file.length} bytes in v1 and ${v2.real[i].length} in v2`);
    }
    if (file.length > 0 && offset !== v2.offsets[i]) {
      bad(
        `file ${JSON.stringify(relative)} starts at byte ${offset} in v1, not on its piece boundary ${
          v2.offsets[i]
        }`,
      );
    }
  }
  const v1Pieces = Math.ceil(v1.totalLength / pieceLength);
  if (v1Pieces !== v2.pieceCount) bad(`${v1Pieces} v1 pieces against ${v2.pieceCount} v2 pieces`);
  for (let i = 0; i < real.length; i++) {
    const root = v2.real[i].piecesRoot;
    if (root !== undefined) real[i].file.piecesRoot = root;
  }
}
