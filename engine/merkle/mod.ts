/**
 * BitTorrent v2 Merkle trees (BEP 52): SHA-256 over 16 KiB blocks, pad hashes for data past the end of a file,
 * pieces roots and piece layers (streaming, for files of any size), and the base-plus-uncle hash ranges of the
 * `hash request` / `hashes` messages, built and checked.
 *
 * @module
 */

export { MERKLE_BLOCK_SIZE, MERKLE_HASH_SIZE } from "./constants.ts";
export { padHash } from "./pad_hash.ts";
export { merkleRoot, type MerkleRootOptions } from "./merkle_root.ts";
export { blockHashes } from "./block_hashes.ts";
export { type FileMerkle, FileMerkleHasher } from "./file_merkle_hasher.ts";
export { fileMerkle } from "./file_merkle.ts";
export { pieceLayerRoot } from "./piece_layer_root.ts";
export { type HashesRange, uncleCount } from "./hashes_range.ts";
export { MerkleTree, type MerkleTreeOptions } from "./merkle_tree.ts";
export { proofRoot, type ProvenNode } from "./proof_root.ts";
