/**
 * Maps pieces to the byte ranges of the files they cover (BEP 3: a torrent's files are laid end to end in the
 * order of the `files` list and cut into pieces of `piece length` bytes; the last piece may be shorter).
 *
 * @module
 */

import type { StorageSpec } from "./disk_io.ts";

/** One contiguous run of a piece's bytes inside one file. */
export interface FileSpan {
  /** Index of the file in `StorageSpec.files`. */
  readonly fileIndex: number;
  /** Byte offset inside the file. */
  readonly fileOffset: number;
  /** Number of bytes, always > 0. */
  readonly length: number;
  /** Byte offset of the span's first byte counted from the start of the piece (not from `begin`). */
  readonly pieceOffset: number;
}

/**
 * The piece geometry of one storage: piece sizes and piece-to-file spans, found by binary search over the
 * start offsets of the non-empty files (zero-length files hold no piece bytes and are skipped).
 *
 * @example Spans of a piece that straddles two files
 * ```ts
 * import { FileLayout } from "./file_layout.ts";
 * const layout = new FileLayout({
 *   files: [{ path: "/d/a", length: 10, offset: 0 }, { path: "/d/b", length: 10, offset: 10 }],
 *   pieceLength: 16,
 *   totalLength: 20,
 *   pieceHashes: new Uint8Array(40),
 * });
 * const spans = layout.spans(0);
 * if (spans.length !== 2 || spans[1].length !== 6) throw new Error("piece 0 covers a[0..10) and b[0..6)");
 * ```
 */
export class FileLayout {
  /** Number of pieces: `ceil(totalLength / pieceLength)`. */
  readonly pieceCount: number;
  /** Nominal piece length in bytes. */
  readonly pieceLength: number;
  /** Total bytes of the storage. */
  readonly totalLength: number;
  /** Start offsets (torrent byte order) of the non-empty files, ascending. */
  #starts: number[] = [];
  /** Lengths of the non-empty files, parallel to `#starts`. */
  #lengths: number[] = [];
  /** Indices into `StorageSpec.files` of the non-empty files, parallel to `#starts`. */
  #indices: number[] = [];

  /**
   * @param spec The storage; file offsets must be the running sum of the lengths.
   * @throws {RangeError} When a length or offset is negative, not an integer or inconsistent, the piece
   *   length is not positive, or `pieceHashes` is not 20 bytes per piece (nor empty with v2 pieces roots).
   */
  constructor(spec: StorageSpec) {
    const { files, pieceLength, totalLength, pieceHashes } = spec;
    if (!Number.isSafeInteger(pieceLength) || pieceLength <= 0) {
      throw new RangeError(`Cannot lay out storage: piece length ${pieceLength} is not a positive integer`);
    }
    let offset = 0;
    files.forEach((file, index) => {
      if (!Number.isSafeInteger(file.length) || file.length < 0) {
        throw new RangeError(`Cannot lay out storage: file ${index} has length ${file.length}`);
      }
      if (file.offset !== offset) {
        throw new RangeError(
          `Cannot lay out storage: file ${index} starts at ${file.offset}, expected ${offset}`,
        );
      }
      if (file.length > 0) {
        this.#starts.push(offset);
        this.#lengths.push(file.length);
        this.#indices.push(index);
      }
      offset += file.length;
    });
    if (offset !== totalLength || !Number.isSafeInteger(totalLength)) {
      throw new RangeError(
        `Cannot lay out storage: files hold ${offset} bytes, total length is ${totalLength}`,
      );
    }
    this.pieceLength = pieceLength;
    this.totalLength = totalLength;
    this.pieceCount = Math.ceil(totalLength / pieceLength);
    const v2Only = pieceHashes.length === 0 && files.some((file) => file.piecesRoot !== undefined);
    if (pieceHashes.length !== this.pieceCount * 20 && !v2Only && spec.hashOnly !== true) {
      throw new RangeError(
        `Cannot lay out storage: ${this.pieceCount} pieces need ${
          this.pieceCount * 20
        } hash bytes, got ${pieceHashes.length}`,
      );
    }
  }

  /**
   * Size of piece `piece` in bytes: `pieceLength`, except for a shorter last piece.
   * @throws {RangeError} When `piece` is outside `[0, pieceCount)`.
   */
  pieceSize(piece: number): number {
    if (!Number.isInteger(piece) || piece < 0 || piece >= this.pieceCount) {
      throw new RangeError(`Piece index ${piece} is outside 0..${this.pieceCount - 1}`);
    }
    return Math.min(this.pieceLength, this.totalLength - piece * this.pieceLength);
  }

  /**
   * The file spans of bytes `[begin, begin + length)` of piece `piece`, in order.
   *
   * @param piece Piece index.
   * @param range `begin` (bytes from the piece start, default 0) and `length` (bytes, default to the piece end).
   * @returns Spans whose lengths sum to `length`; empty when `length` is 0.
   * @throws {RangeError} When the piece or the range lies outside the piece.
   */
  spans(piece: number, range: { begin?: number; length?: number } = {}): FileSpan[] {
    const size = this.pieceSize(piece);
    const begin = range.begin ?? 0;
    const length = range.length ?? size - begin;
    if (
      !Number.isInteger(begin) || !Number.isInteger(length) || begin < 0 || length < 0 ||
      begin + length > size
    ) {
      throw new RangeError(`Range ${begin}+${length} is outside piece ${piece} of ${size} bytes`);
    }
    const spans: FileSpan[] = [];
    let position = piece * this.pieceLength + begin;
    let remaining = length;
    let pieceOffset = begin;
    for (let i = this.#find(position); remaining > 0; i++) {
      const fileOffset = position - this.#starts[i];
      const take = Math.min(remaining, this.#lengths[i] - fileOffset);
      spans.push({ fileIndex: this.#indices[i], fileOffset, length: take, pieceOffset });
      position += take;
      pieceOffset += take;
      remaining -= take;
    }
    return spans;
  }

  /** Index into `#starts` of the non-empty file holding torrent byte `position`. */
  #find(position: number): number {
    let low = 0;
    let high = this.#starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.#starts[mid] <= position) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}
