/**
 * Streaming computation of a file's v2 Merkle tree (BEP 52): pieces root and piece layer.
 *
 * @module
 */

import { MERKLE_BLOCK_SIZE, MERKLE_HASH_SIZE } from "./constants.ts";
import { merkleRoot } from "./merkle_root.ts";
import { isPowerOfTwo, log2, sha256Into } from "./_sha256.ts";

/** The Merkle hashes of one file (BEP 52). */
export interface FileMerkle {
  /** The file's `pieces root` (32 bytes); `undefined` for an empty file, which has none. */
  piecesRoot: Uint8Array | undefined;
  /**
   * The file's piece layer as `piece layers` holds it: one 32-byte hash per piece, concatenated, for a file larger
   * than one piece; empty for a file of at most one piece (its pieces root is then the only hash needed).
   */
  pieceLayer: Uint8Array;
  /** Bytes hashed. */
  length: number;
}

/**
 * Hashes one file into its v2 Merkle tree (BEP 52) as its bytes arrive, in chunks of any size, holding only one
 * piece's leaf hashes and the piece layer: a file of any size is hashed in bounded memory.
 *
 * Leaves are SHA-256 of 16 KiB blocks, the last block hashed as it is. A full piece's node is the root of its
 * leaves. The last piece of a file larger than one piece is padded with zero leaves to a whole piece. The pieces
 * root is the root of the piece layer padded to a power of two with the hashes of all-zero pieces; for a file of at
 * most one piece it is the root of its leaves padded with zero leaves to a power of two.
 *
 * @example Hash a file in two chunks
 * ```ts
 * import { FileMerkleHasher } from "./file_merkle_hasher.ts";
 * import assert from "node:assert/strict";
 *
 * const hasher = new FileMerkleHasher(16_384);
 * hasher.update(new Uint8Array(20_000));
 * hasher.update(new Uint8Array(20_000));
 * const { piecesRoot, pieceLayer, length } = hasher.digest();
 * assert.equal(piecesRoot?.length, 32);
 * assert.equal(pieceLayer.length, 3 * 32);
 * assert.equal(length, 40_000);
 * ```
 */
export class FileMerkleHasher {
  #pieceLength: number;
  #blocksPerPiece: number;
  /** A block being filled across `update` calls. */
  #block = new Uint8Array(MERKLE_BLOCK_SIZE);
  #blockFill = 0;
  /** Leaf hashes of the piece being filled. */
  #leaves: Uint8Array;
  #leafCount = 0;
  /** Finished piece hashes, in chunks. */
  #pieces: Uint8Array[] = [];
  #pieceChunk: Uint8Array;
  #pieceFill = 0;
  #pieceCount = 0;
  #length = 0;
  #done = false;

  /**
   * Starts an empty file.
   * @param pieceLength Bytes per piece: a power of two, at least 16 KiB.
   * @throws {RangeError} When `pieceLength` is not a power of two of at least 16 KiB.
   */
  constructor(pieceLength: number) {
    if (!isPowerOfTwo(pieceLength) || pieceLength < MERKLE_BLOCK_SIZE) {
      throw new RangeError(`Cannot hash a file: piece length ${pieceLength} is not a power of two >= 16 KiB`);
    }
    this.#pieceLength = pieceLength;
    this.#blocksPerPiece = pieceLength / MERKLE_BLOCK_SIZE;
    this.#leaves = new Uint8Array(this.#blocksPerPiece * MERKLE_HASH_SIZE);
    this.#pieceChunk = new Uint8Array(1024 * MERKLE_HASH_SIZE);
  }

  /**
   * Hashes the next bytes of the file. The data is not kept: the caller may reuse the buffer.
   * @param data The next bytes, of any length.
   * @throws {Error} After `digest()`.
   */
  update(data: Uint8Array): void {
    if (this.#done) throw new Error("Cannot update a file hasher after digest()");
    this.#length += data.length;
    let at = 0;
    if (this.#blockFill > 0) {
      const take = Math.min(data.length, MERKLE_BLOCK_SIZE - this.#blockFill);
      this.#block.set(data.subarray(0, take), this.#blockFill);
      this.#blockFill += take;
      at = take;
      if (this.#blockFill < MERKLE_BLOCK_SIZE) return;
      this.#leaf(this.#block);
      this.#blockFill = 0;
    }
    for (; at + MERKLE_BLOCK_SIZE <= data.length; at += MERKLE_BLOCK_SIZE) {
      this.#leaf(data.subarray(at, at + MERKLE_BLOCK_SIZE));
    }
    if (at < data.length) {
      this.#block.set(data.subarray(at));
      this.#blockFill = data.length - at;
    }
  }

  /**
   * Finishes the file and returns its pieces root and piece layer. The hasher cannot be used afterwards.
   * @returns The file's hashes.
   * @throws {Error} When called twice.
   */
  digest(): FileMerkle {
    if (this.#done) throw new Error("Cannot digest a file hasher twice");
    this.#done = true;
    if (this.#blockFill > 0) this.#leaf(this.#block.subarray(0, this.#blockFill));
    const length = this.#length;
    if (length === 0) return { piecesRoot: undefined, pieceLayer: new Uint8Array(0), length };
    if (length <= this.#pieceLength) {
      const piecesRoot = this.#pieceCount === 1
        ? this.#pieceLayer()
        : merkleRoot(this.#leaves.subarray(0, this.#leafCount * MERKLE_HASH_SIZE));
      return { piecesRoot, pieceLayer: new Uint8Array(0), length };
    }
    if (this.#leafCount > 0) this.#finishPiece();
    const pieceLayer = this.#pieceLayer();
    const piecesRoot = merkleRoot(pieceLayer, { height: log2(this.#blocksPerPiece) });
    return { piecesRoot, pieceLayer, length };
  }

  #leaf(block: Uint8Array): void {
    sha256Into(block, this.#leaves, this.#leafCount * MERKLE_HASH_SIZE);
    if (++this.#leafCount === this.#blocksPerPiece) this.#finishPiece();
  }

  #finishPiece(): void {
    const root = merkleRoot(this.#leaves.subarray(0, this.#leafCount * MERKLE_HASH_SIZE), {
      width: this.#blocksPerPiece,
    });
    if (this.#pieceFill === this.#pieceChunk.length) {
      this.#pieces.push(this.#pieceChunk);
      this.#pieceChunk = new Uint8Array(this.#pieceChunk.length * 2);
      this.#pieceFill = 0;
    }
    this.#pieceChunk.set(root, this.#pieceFill);
    this.#pieceFill += MERKLE_HASH_SIZE;
    this.#pieceCount++;
    this.#leafCount = 0;
  }

  #pieceLayer(): Uint8Array {
    const out = new Uint8Array(this.#pieceCount * MERKLE_HASH_SIZE);
    let at = 0;
    for (const chunk of [...this.#pieces, this.#pieceChunk.subarray(0, this.#pieceFill)]) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}
