/**
 * The serving side of the BEP 52 hash exchange: answers `hash request` messages with `hashes` or `hash reject`.
 *
 * @module
 */

import { MERKLE_BLOCK_SIZE, MERKLE_HASH_SIZE, MerkleTree } from "../merkle/mod.ts";
import type { TorrentInfo } from "../metainfo/mod.ts";
import { type HashRequestRef, MAX_HASH_REQUEST_LENGTH } from "../wire/mod.ts";
import { isPowerOfTwo, log2, type V2File, v2Files } from "./_v2_files.ts";
import { hex, sameBytes } from "../bytes.ts";

/** Why a hash request was rejected (for logs and tests; the wire `hash reject` carries no reason). */
export type HashRejectReason =
  /** `length` is not a power of two from 2 to the cap (BEP 52: >= 2, a power of two, SHOULD NOT exceed 512). */
  | "bad_length"
  /** The pieces root is not the root of any of our files. */
  | "unknown_root"
  /** The base layer is at or above the root of the file's tree. */
  | "bad_base_layer"
  /** `index` is not a multiple of `length` (BEP 52 MUST). */
  | "bad_index"
  /** The range runs past the end of its layer (pad slots included). */
  | "out_of_range"
  /** The proof would need an uncle at or above the root. */
  | "bad_proof_layers"
  /** A layer between the leaves and the piece layer: BEP 52 requires only the leaf and piece layers. */
  | "unsupported_layer"
  /** Leaf hashes asked for, and no `readBlockHashes` or it has not got (all) the pieces involved. */
  | "no_block_hashes"
  /** The leaf hashes read for the request do not lead to our piece hashes (data on disk changed). */
  | "block_hashes_mismatch"
  /** We do not know this file's piece layer (yet). */
  | "no_piece_layer";

/**
 * The answer to one `hash request`: what to send back. `request` is a copy of the request's five fields (its root
 * no longer aliases the decoder's buffer).
 */
export type HashReply =
  /** Send `hashes` with `request`'s fields and these hashes: `length` base hashes then the uncle hashes. */
  | { type: "hashes"; request: HashRequestRef; hashes: Uint8Array }
  /** Send `hash reject` with `request`'s fields. */
  | { type: "hash_reject"; request: HashRequestRef; reason: HashRejectReason };

/** Options of {@linkcode HashServer}. */
export interface HashServerOptions {
  /** Most hashes one request may ask for: a power of two from 2 to 512, default 512 (BEP 52). */
  maxLength?: number;
  /**
   * Serves requests for leaf hashes (base layer 0): the SHA-256 of each 16 KiB block of one piece of a file,
   * 32 bytes each (`ceil(piece bytes / 16 KiB)` of them; the last piece of a file may have fewer), read from a
   * piece we have verified, or `undefined` when we do not have that piece. The result is checked against the
   * piece hash before anything is sent. Without it, base layer 0 requests are rejected (`no_block_hashes`).
   *
   * @param fileIndex Index in `TorrentInfo.files`.
   * @param piece Piece index counted from the file's first piece.
   */
  readBlockHashes?: (fileIndex: number, piece: number) => Promise<Uint8Array | undefined>;
}

/** The parts of a torrent a {@linkcode HashServer} reads. */
export type HashServerTorrent = Pick<TorrentInfo, "files" | "pieceLength" | "pieceLayers">;

/**
 * Answers BEP 52 `hash request` messages for one torrent from its piece layers (`TorrentInfo.pieceLayers`, or
 * layers fetched from peers with a `LayerFetcher`) and the files' pieces roots. Each file's Merkle tree is built
 * from its piece layer upwards the first time it is asked for, so requests for the piece layer and the layers above
 * it are served from memory; requests for leaf hashes go through `readBlockHashes` when given.
 *
 * Every request is checked before anything is allocated for it (HOSTILE_INPUTS.md case 43): the length is a power
 * of two from 2 to 512, the root is one of ours, the base layer lies below the root, the index is a multiple of the
 * length, the range ends within the layer (pad slots count, as libtorrent asks for them), and no uncle is needed at
 * or above the root. Anything else is a `hash reject`. Per-peer rate limits are the caller's, with
 * `HashRequestBudget`.
 *
 * @example Serve a piece layer and check the answer
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileMerkle, proofRoot } from "../merkle/mod.ts";
 * import { HashServer } from "./hash_server.ts";
 *
 * const pieceLength = 16_384;
 * const data = new Uint8Array(5 * pieceLength).fill(3);
 * const { piecesRoot, pieceLayer } = fileMerkle(data, pieceLength);
 * const file = { path: ["f"], length: data.length, offset: 0, piecesRoot: piecesRoot! };
 * const hex = [...piecesRoot!].map((b) => b.toString(16).padStart(2, "0")).join("");
 * const server = new HashServer({ files: [file], pieceLength, pieceLayers: new Map([[hex, pieceLayer]]) });
 * const request = { piecesRoot: piecesRoot!, baseLayer: 0, index: 4, length: 4, proofLayers: 2 };
 * const reply = await server.answer(request);
 * assert.equal(reply.type, "hashes");
 * if (reply.type === "hashes") assert.deepEqual(proofRoot(request, reply.hashes).hash, piecesRoot);
 * ```
 */
export class HashServer {
  #byRoot = new Map<string, V2File>();
  #layers: ReadonlyMap<string, Uint8Array>;
  #trees = new Map<number, MerkleTree>();
  #maxLength: number;
  #readBlockHashes: HashServerOptions["readBlockHashes"];

  /**
   * Indexes the torrent's files by pieces root; trees are built later, on first use.
   *
   * @param torrent The torrent's files (with pieces roots), piece length and piece layers (keyed by root hex).
   * @param options The request length cap and the leaf hash source.
   * @throws {RangeError} When the piece length is not a power of two of at least 16 KiB, a pieces root is not
   *   32 bytes, or `maxLength` is not a power of two from 2 to 512.
   */
  constructor(torrent: HashServerTorrent, options: HashServerOptions = {}) {
    const maxLength = options.maxLength ?? MAX_HASH_REQUEST_LENGTH;
    if (!isPowerOfTwo(maxLength) || maxLength < 2 || maxLength > MAX_HASH_REQUEST_LENGTH) {
      throw new RangeError(
        `Cannot create hash server: maxLength ${maxLength} is not a power of two in 2..512`,
      );
    }
    for (const f of v2Files(torrent)) if (!this.#byRoot.has(f.rootHex)) this.#byRoot.set(f.rootHex, f);
    this.#layers = torrent.pieceLayers ?? new Map();
    this.#maxLength = maxLength;
    this.#readBlockHashes = options.readBlockHashes;
  }

  /**
   * Checks a request without computing anything: the reason it would be rejected, or `undefined` when it can be
   * served (leaf hash requests may still be rejected later, when the pieces are missing).
   *
   * @param request The request's fields, as decoded (uint32s).
   * @returns The reject reason, or `undefined`.
   */
  check(request: HashRequestRef): HashRejectReason | undefined {
    const checked = this.#check(request);
    return typeof checked === "string" ? checked : undefined;
  }

  /**
   * Answers a request. The request's fields are copied before anything else, so its `piecesRoot` may be a view
   * into the wire decoder's buffer. Never throws for any uint32 field values.
   *
   * @param request The request's fields.
   * @returns `hashes` (`32 * (length + uncles)` bytes, as BEP 52 and libtorrent lay them out) or `hash_reject`
   *   with the reason.
   */
  answer(request: HashRequestRef): Promise<HashReply> {
    const { baseLayer, index, length, proofLayers } = request;
    const copy = { piecesRoot: request.piecesRoot.slice(), baseLayer, index, length, proofLayers };
    const checked = this.#check(copy);
    if (typeof checked === "string") return Promise.resolve(reject(copy, checked));
    if (copy.baseLayer < checked.pieceLayer) return this.#fromBlocks(checked, copy);
    const hashes = this.#tree(checked).hashes(copy);
    return Promise.resolve({ type: "hashes", request: copy, hashes });
  }

  #check(r: HashRequestRef): V2File | HashRejectReason {
    const { baseLayer, index, length, proofLayers } = r;
    if (!isPowerOfTwo(length) || length < 2 || length > this.#maxLength) return "bad_length";
    const f = r.piecesRoot.length === MERKLE_HASH_SIZE ? this.#byRoot.get(hex(r.piecesRoot)) : undefined;
    if (f === undefined) return "unknown_root";
    if (!Number.isSafeInteger(baseLayer) || baseLayer < 0 || baseLayer >= f.height) return "bad_base_layer";
    if (!Number.isSafeInteger(index) || index < 0 || index % length !== 0) return "bad_index";
    if (index + length > f.leafCount / 2 ** baseLayer) return "out_of_range";
    if (!Number.isSafeInteger(proofLayers) || proofLayers < 0 || baseLayer + proofLayers >= f.height) {
      return "bad_proof_layers";
    }
    if (f.hasLayer && !this.#layers.has(f.rootHex)) return "no_piece_layer";
    if (baseLayer < f.pieceLayer) {
      if (baseLayer > 0) return "unsupported_layer";
      if (this.#readBlockHashes === undefined) return "no_block_hashes";
    }
    return f;
  }

  /** The file's tree from its piece layer up (built once); only for files with a piece layer. */
  #tree(f: V2File): MerkleTree {
    let tree = this.#trees.get(f.fileIndex);
    if (tree === undefined) {
      const layer = this.#layers.get(f.rootHex)!;
      tree = new MerkleTree(layer, { baseLayer: f.pieceLayer, leafCount: f.leafCount });
      this.#trees.set(f.fileIndex, tree);
    }
    return tree;
  }

  /**
   * Leaf hashes: reads the block hashes of every piece the range touches, checks them against the piece hashes,
   * answers the lower part of the proof from that subtree and the upper part from the piece layer's tree.
   */
  async #fromBlocks(f: V2File, r: HashRequestRef): Promise<HashReply> {
    const perPiece = 2 ** Math.min(f.pieceLayer, f.height);
    const span = Math.max(r.length, perPiece);
    const first = Math.floor(r.index / perPiece);
    const leaves = new Uint8Array(span * MERKLE_HASH_SIZE);
    for (let k = 0; k < span / perPiece && first + k < f.pieces; k++) {
      const piece = first + k;
      const bytes = Math.min(
        f.file.length - piece * perPiece * MERKLE_BLOCK_SIZE,
        perPiece * MERKLE_BLOCK_SIZE,
      );
      const got = await this.#readBlockHashes!(f.fileIndex, piece);
      if (got === undefined || got.length !== Math.ceil(bytes / MERKLE_BLOCK_SIZE) * MERKLE_HASH_SIZE) {
        return reject(r, "no_block_hashes");
      }
      leaves.set(got, k * perPiece * MERKLE_HASH_SIZE);
    }
    const sub = new MerkleTree(leaves, { leafCount: span });
    const pieceHeight = log2(perPiece);
    for (let k = 0; k < span / perPiece && first + k < f.pieces; k++) {
      const expected = f.hasLayer ? this.#tree(f).node(f.pieceLayer, first + k) : f.root;
      if (!sameBytes(sub.node(pieceHeight, k), expected)) return reject(r, "block_hashes_mismatch");
    }
    const spanHeight = log2(span);
    const low = sub.hashes({
      baseLayer: 0,
      index: r.index - first * perPiece,
      length: r.length,
      proofLayers: Math.min(r.proofLayers, spanHeight - 1),
    });
    const upper = Math.max(0, r.proofLayers - spanHeight + 1);
    const hashes = new Uint8Array(low.length + upper * MERKLE_HASH_SIZE);
    hashes.set(low);
    for (let u = 0; u < upper; u++) {
      const layer = spanHeight + u;
      const sibling = Math.floor(r.index / 2 ** layer) ^ 1;
      hashes.set(this.#tree(f).node(layer, sibling), low.length + u * MERKLE_HASH_SIZE);
    }
    return { type: "hashes", request: r, hashes };
  }
}

function reject(request: HashRequestRef, reason: HashRejectReason): HashReply {
  return { type: "hash_reject", request, reason };
}
