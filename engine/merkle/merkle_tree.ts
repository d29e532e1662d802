/**
 * A file's Merkle tree from one of its layers up, for serving BEP 52 `hashes` messages.
 *
 * @module
 */

import { MERKLE_HASH_SIZE } from "./constants.ts";
import { type HashesRange, uncleCount } from "./hashes_range.ts";
import { padHash } from "./pad_hash.ts";
import { parentLayer } from "./_layers.ts";
import { isPowerOfTwo, log2, nextPowerOfTwo, nodeAt } from "./_sha256.ts";

/** Options for {@linkcode MerkleTree}. */
export interface MerkleTreeOptions {
  /**
   * Layer of the given nodes, counted from the leaves: 0 for block hashes (default), `log2(piece length / 16 KiB)`
   * for a piece layer.
   */
  baseLayer?: number;
  /**
   * Leaf slots of the whole tree: `nextPowerOfTwo(ceil(file length / 16 KiB))` (BEP 52). Default: the smallest
   * tree that holds the given nodes.
   */
  leafCount?: number;
}

/**
 * The nodes of a file's SHA-256 Merkle tree (BEP 52) from a base layer up to the root. Slots past the file's data
 * hold pad hashes. Built from the piece layer, it answers hash requests for the piece layer and above; built from
 * the leaves, for every layer.
 *
 * @example Answer a request for two piece hashes with a proof up to the root
 * ```ts
 * import { MerkleTree } from "./merkle_tree.ts";
 * import { proofRoot } from "./proof_root.ts";
 * import { fileMerkle } from "./file_merkle.ts";
 * import assert from "node:assert/strict";
 *
 * const { piecesRoot, pieceLayer } = fileMerkle(new Uint8Array(5 * 16_384).fill(1), 16_384);
 * const tree = new MerkleTree(pieceLayer);
 * assert.deepEqual(tree.root, piecesRoot);
 * const range = { baseLayer: 0, index: 2, length: 2, proofLayers: 2 };
 * const answer = tree.hashes(range);
 * assert.deepEqual(proofRoot(range, answer), { layer: 3, index: 0, hash: piecesRoot });
 * ```
 */
export class MerkleTree {
  #layers: Uint8Array[] = [];
  #counts: number[] = [];
  #baseLayer: number;
  #height: number;
  #leafCount: number;

  /**
   * Builds every layer above `layer`.
   * @param layer The base layer's nodes (at least one), 32 bytes each, concatenated; not copied.
   * @param options Which layer it is and the size of the whole tree.
   * @throws {RangeError} When the layer is empty or not a multiple of 32 bytes, `baseLayer` is not a whole number,
   *   or `leafCount` is not a power of two whose base layer holds the given nodes.
   */
  constructor(layer: Uint8Array, options: MerkleTreeOptions = {}) {
    const count = layer.length / MERKLE_HASH_SIZE;
    if (!Number.isInteger(count) || count === 0) {
      throw new RangeError(`Cannot build a Merkle tree: a layer of ${layer.length} bytes`);
    }
    const baseLayer = options.baseLayer ?? 0;
    if (!Number.isInteger(baseLayer) || baseLayer < 0 || baseLayer > 52) {
      throw new RangeError(`Cannot build a Merkle tree: base layer ${baseLayer}`);
    }
    const leafCount = options.leafCount ?? nextPowerOfTwo(count) * 2 ** baseLayer;
    if (!isPowerOfTwo(leafCount) || leafCount / 2 ** baseLayer < count) {
      throw new RangeError(
        `Cannot build a Merkle tree: ${leafCount} leaves cannot hold ${count} nodes at layer ${baseLayer}`,
      );
    }
    this.#baseLayer = baseLayer;
    this.#leafCount = leafCount;
    this.#height = log2(leafCount);
    let nodes = layer;
    let n = count;
    for (let h = baseLayer; h <= this.#height; h++) {
      this.#layers.push(nodes);
      this.#counts.push(n);
      if (h < this.#height) {
        nodes = parentLayer(nodes, n, h);
        n = Math.ceil(n / 2);
      }
    }
  }

  /** The root (`pieces root`), 32 bytes. */
  get root(): Uint8Array {
    return nodeAt(this.#layers[this.#layers.length - 1], 0);
  }

  /** Layers from the leaves to the root: `log2(leafCount)`. */
  get height(): number {
    return this.#height;
  }

  /** Leaf slots of the tree (a power of two). */
  get leafCount(): number {
    return this.#leafCount;
  }

  /** The lowest layer held. */
  get baseLayer(): number {
    return this.#baseLayer;
  }

  /**
   * One node: a computed hash, or the pad hash of its layer past the file's data.
   * @param layer Layer, from `baseLayer` to `height`.
   * @param index Index in the layer, below `leafCount / 2^layer`.
   * @returns 32 bytes (a view: do not modify).
   * @throws {RangeError} When the node is outside the tree or below the base layer.
   */
  node(layer: number, index: number): Uint8Array {
    if (!Number.isInteger(layer) || layer < this.#baseLayer || layer > this.#height) {
      throw new RangeError(`Cannot read node: layer ${layer} is outside ${this.#baseLayer}..${this.#height}`);
    }
    const width = this.#leafCount / 2 ** layer;
    if (!Number.isInteger(index) || index < 0 || index >= width) {
      throw new RangeError(`Cannot read node: index ${index} is outside layer ${layer} of ${width} nodes`);
    }
    const k = layer - this.#baseLayer;
    return index < this.#counts[k] ? nodeAt(this.#layers[k], index) : padHash(layer);
  }

  /**
   * The payload of a BEP 52 `hashes` message: `length` nodes of `baseLayer` from `index`, then one uncle hash per
   * proof layer past the first `log2(length) - 1`, from the lowest up (the sibling of the requested nodes' subtree
   * root first).
   *
   * @param range The requested range, as in a `hash request`.
   * @returns `32 * (length + uncleCount(range))` bytes.
   * @throws {RangeError} When the range is malformed (length not a power of two >= 2, index not a multiple of it),
   *   falls outside the tree or below the base layer, or asks for proof layers at or above the root: answer with
   *   `hash reject`.
   */
  hashes(range: HashesRange): Uint8Array {
    const uncles = uncleCount(range);
    const { baseLayer, index, length, proofLayers } = range;
    if (!Number.isInteger(baseLayer) || baseLayer < this.#baseLayer || baseLayer >= this.#height) {
      throw new RangeError(
        `Cannot answer hash request: base layer ${baseLayer} is outside ${this.#baseLayer}..${
          this.#height - 1
        }`,
      );
    }
    const width = this.#leafCount / 2 ** baseLayer;
    if (!Number.isSafeInteger(index) || index < 0 || index % length !== 0 || index + length > width) {
      throw new RangeError(
        `Cannot answer hash request: ${length} nodes from ${index} do not fit layer ${baseLayer} of ${width}`,
      );
    }
    if (uncles > 0 && baseLayer + proofLayers >= this.#height) {
      throw new RangeError(
        `Cannot answer hash request: ${proofLayers} proof layers above layer ${baseLayer} reach the root`,
      );
    }
    const out = new Uint8Array((length + uncles) * MERKLE_HASH_SIZE);
    for (let i = 0; i < length; i++) out.set(this.node(baseLayer, index + i), i * MERKLE_HASH_SIZE);
    let layer = baseLayer + log2(length);
    let position = index / length;
    for (let u = 0; u < uncles; u++) {
      out.set(this.node(layer, position ^ 1), (length + u) * MERKLE_HASH_SIZE);
      layer++;
      position >>= 1;
    }
    return out;
  }
}
