/**
 * The expected v2 hash of every piece of a storage (BEP 52) and the check of a piece's bytes against it.
 *
 * @module
 */

import { MERKLE_BLOCK_SIZE, MERKLE_HASH_SIZE } from "../merkle/constants.ts";
import { pieceLayerRoot } from "../merkle/piece_layer_root.ts";
import type { StorageSpec } from "./disk_io.ts";
import type { Hasher } from "./hasher.ts";
import { pieceRoot } from "./_piece_root.ts";
import { sameBytes } from "../bytes.ts";

/** What `V2PieceHashes.verify` found. */
export interface V2Check {
  /**
   * `ok` or `failed` against the known root; `unknown` when the piece's layer has not arrived; `none` when the piece
   * holds no bytes of a v2 file (only padding), so there is nothing to check.
   */
  readonly verdict: "ok" | "failed" | "unknown" | "none";
  /** The computed root (32 bytes), given with `unknown`. */
  readonly pieceRoot?: Uint8Array;
}

/**
 * Per-piece v2 hashes of one storage. In BEP 52's layout every file starts on a piece boundary, so each piece holds
 * bytes of at most one file (then padding): the piece's expected hash is the file's layer entry for it, or the
 * file's pieces root when the file fits in one piece. Layers may arrive after construction (`setPieceLayer`).
 *
 * @example A one-piece file is checked against its pieces root
 * ```ts
 * import { createHash } from "node:crypto";
 * import { createHasher } from "./hasher.ts";
 * import { V2PieceHashes } from "./v2_piece_hashes.ts";
 * const data = new Uint8Array(100).fill(3);
 * const piecesRoot = new Uint8Array(createHash("sha256").update(data).digest());
 * const hashes = V2PieceHashes.from({
 *   files: [{ path: "/d/a", length: 100, offset: 0, piecesRoot }],
 *   pieceLength: 16384,
 *   totalLength: 100,
 *   pieceHashes: new Uint8Array(0),
 * });
 * if (hashes?.verify(0, data, await createHasher("native")).verdict !== "ok") throw new Error("it matches");
 * ```
 */
export class V2PieceHashes {
  readonly #spec: StorageSpec;
  /** Index into `spec.files` of the v2 file holding each piece, -1 for none. */
  readonly #fileOf: Int32Array;
  /** 32 bytes per piece: its expected root, valid where `#known` is 1. */
  readonly #expected: Uint8Array;
  readonly #known: Uint8Array;

  private constructor(spec: StorageSpec, pieceCount: number) {
    this.#spec = spec;
    this.#fileOf = new Int32Array(pieceCount).fill(-1);
    this.#expected = new Uint8Array(pieceCount * MERKLE_HASH_SIZE);
    this.#known = new Uint8Array(pieceCount);
  }

  /**
   * Builds the table of a storage whose files carry pieces roots, with the layers in `spec.pieceLayers`.
   * @returns `undefined` when no file has a pieces root (a v1 storage).
   * @throws {RangeError} When the piece length is not a power of two of at least 16 KiB, a non-empty non-padding
   *   file lacks a pieces root while others have one, a v2 file does not start on a piece boundary, two files
   *   share a piece, or a given layer does not lead to its root.
   */
  static from(spec: StorageSpec): V2PieceHashes | undefined {
    const { files, pieceLength, totalLength } = spec;
    if (!files.some((file) => file.piecesRoot !== undefined)) return undefined;
    const blocks = pieceLength / MERKLE_BLOCK_SIZE;
    if (!Number.isInteger(blocks) || blocks < 1 || (blocks & (blocks - 1)) !== 0) {
      throw new RangeError(
        `Cannot verify v2 pieces: piece length ${pieceLength} is not a power of two >= 16 KiB`,
      );
    }
    const table = new V2PieceHashes(spec, Math.ceil(totalLength / pieceLength));
    files.forEach((file, index) => {
      if (file.padding === true || file.length === 0) return;
      const root = file.piecesRoot;
      if (root === undefined || root.length !== MERKLE_HASH_SIZE) {
        throw new RangeError(`Cannot verify v2 pieces: file ${index} has no 32-byte pieces root`);
      }
      if (file.offset % pieceLength !== 0) {
        throw new RangeError(
          `Cannot verify v2 pieces: file ${index} starts at ${file.offset}, not a piece boundary`,
        );
      }
      const first = file.offset / pieceLength;
      const count = Math.ceil(file.length / pieceLength);
      for (let p = first; p < first + count; p++) {
        if (table.#fileOf[p] !== -1) {
          throw new RangeError(
            `Cannot verify v2 pieces: files ${table.#fileOf[p]} and ${index} share piece ${p}`,
          );
        }
        table.#fileOf[p] = index;
      }
      if (count === 1) {
        table.#expected.set(root, first * MERKLE_HASH_SIZE);
        table.#known[first] = 1;
      }
    });
    for (const [hex, layer] of spec.pieceLayers ?? []) {
      const root = fromHex(hex);
      if (root !== undefined && table.#hasLargeFile(root)) table.setPieceLayer(root, layer);
    }
    return table;
  }

  /** Whether piece `piece`'s expected root is known (or it needs none). */
  known(piece: number): boolean {
    return this.#fileOf[piece] === -1 || this.#known[piece] === 1;
  }

  /**
   * Adds the piece layer of every file larger than one piece whose pieces root is `piecesRoot`.
   * @param piecesRoot 32 bytes.
   * @param layer `32 * ceil(length / pieceLength)` bytes, leading to `piecesRoot` (BEP 52 padding to a power of two).
   * @throws {RangeError} When no such file exists, or the layer has the wrong size or does not lead to the root.
   */
  setPieceLayer(piecesRoot: Uint8Array, layer: Uint8Array): void {
    const { files, pieceLength } = this.#spec;
    const matching = files.filter((file) =>
      file.length > pieceLength && file.piecesRoot !== undefined && sameBytes(file.piecesRoot, piecesRoot)
    );
    if (matching.length === 0) {
      throw new RangeError("Cannot set piece layer: no file larger than one piece has this pieces root");
    }
    const pieces = Math.ceil(matching[0].length / pieceLength);
    if (layer.length !== pieces * MERKLE_HASH_SIZE) {
      throw new RangeError(
        `Cannot set piece layer: ${layer.length} bytes for ${pieces} pieces (${
          pieces * MERKLE_HASH_SIZE
        } expected)`,
      );
    }
    if (!sameBytes(pieceLayerRoot(layer, pieceLength), piecesRoot)) {
      throw new RangeError("Cannot set piece layer: it does not lead to the file's pieces root");
    }
    for (const file of matching) {
      const first = file.offset / pieceLength;
      this.#expected.set(layer, first * MERKLE_HASH_SIZE);
      this.#known.fill(1, first, first + pieces);
    }
  }

  /**
   * Computes the Merkle root of the v2 file bytes in `bytes` (the whole piece; padding after the file is ignored)
   * and compares it with the expected root.
   * @param bytes Exactly the piece's bytes.
   */
  verify(piece: number, bytes: Uint8Array, hasher: Hasher): V2Check {
    const index = this.#fileOf[piece];
    if (index === -1) return { verdict: "none" };
    const { files, pieceLength } = this.#spec;
    const file = files[index];
    const start = piece * pieceLength - file.offset;
    const data = bytes.subarray(0, Math.min(pieceLength, file.length - start));
    const width = file.length > pieceLength
      ? pieceLength / MERKLE_BLOCK_SIZE
      : nextPowerOfTwo(Math.ceil(file.length / MERKLE_BLOCK_SIZE));
    const root = pieceRoot(data, width, hasher);
    if (this.#known[piece] === 0) return { verdict: "unknown", pieceRoot: root };
    const at = piece * MERKLE_HASH_SIZE;
    return { verdict: sameBytes(root, this.#expected.subarray(at, at + MERKLE_HASH_SIZE)) ? "ok" : "failed" };
  }

  #hasLargeFile(root: Uint8Array): boolean {
    const { files, pieceLength } = this.#spec;
    return files.some((file) =>
      file.length > pieceLength && file.piecesRoot !== undefined && sameBytes(file.piecesRoot, root)
    );
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function fromHex(hex: string): Uint8Array | undefined {
  if (!/^[0-9a-f]{64}$/.test(hex)) return undefined;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
