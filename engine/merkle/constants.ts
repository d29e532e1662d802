/**
 * Sizes of BitTorrent v2 Merkle trees (BEP 52).
 *
 * @module
 */

/** Bytes of file data under one leaf of a v2 Merkle tree: 16 KiB (BEP 52). */
export const MERKLE_BLOCK_SIZE = 16 * 1024;

/** Bytes in one node of a v2 Merkle tree: a SHA-256 digest (BEP 52, `meta version` 2). */
export const MERKLE_HASH_SIZE = 32;
