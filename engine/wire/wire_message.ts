/**
 * The peer wire messages (BEP 3, BEP 5 `port`, BEP 6 fast extension, BEP 10 `extended`, BEP 52 hash messages)
 * as one discriminated union on `type`, and their message ids.
 *
 * @module
 */

/** Message ids (the byte after the length prefix). */
export const MessageId = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  not_interested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  /** BEP 5: the sender's DHT port. */
  port: 9,
  /** BEP 6 fast extension. */
  suggest: 0x0d,
  have_all: 0x0e,
  have_none: 0x0f,
  reject: 0x10,
  allowed_fast: 0x11,
  /** BEP 10 extension protocol. */
  extended: 20,
  /** BEP 52 v2 hash exchange. */
  hash_request: 21,
  hashes: 22,
  hash_reject: 23,
} as const;

/** The `type` of a {@linkcode WireMessage}. */
export type WireMessageType = WireMessage["type"];

/** Extended message id of the BEP 10 extension handshake. */
export const EXTENSION_HANDSHAKE_ID = 0;

/** Length in bytes of the BEP 52 `pieces root` field of the hash messages. */
export const PIECES_ROOT_LENGTH = 32;

/** Length in bytes of one BEP 52 hash in a `hashes` message. */
export const HASH_LENGTH = 32;

/**
 * Most hashes one BEP 52 `hash request` may ask for (its `length`), in the requests we send and the ones we
 * serve: BEP 52 says length SHOULD NOT be greater than 512.
 */
export const MAX_HASH_REQUEST_LENGTH = 512;

/**
 * Most uncle hashes a `hashes` message can carry: one per tree layer above the requested ones, and a v2 Merkle
 * tree (16 KiB leaves) has at most 64 layers.
 */
export const MAX_UNCLE_HASHES = 64;

/**
 * Most 32-byte hashes in one `hashes` message we accept: {@linkcode MAX_HASH_REQUEST_LENGTH} base hashes plus
 * {@linkcode MAX_UNCLE_HASHES} uncle hashes. A longer message answers no request we would send.
 */
export const MAX_HASHES_PER_MESSAGE = MAX_HASH_REQUEST_LENGTH + MAX_UNCLE_HASHES;

/** A block (piece sub-range) as carried by `request`, `cancel` and `reject`; offsets and length in bytes. */
export interface BlockRef {
  /** Piece index. */
  index: number;
  /** Byte offset of the block inside the piece. */
  begin: number;
  /** Block length in bytes (16 KiB in practice). */
  length: number;
}

/** The fields shared by the BEP 52 `hash_request`, `hashes` and `hash_reject` messages. */
export interface HashRequestRef {
  /** The 32-byte `pieces root` of the file (a view into the decoder's buffer when decoded). */
  piecesRoot: Uint8Array;
  /** Layers above the leaf layer where the requested hashes start (0 = leaf hashes). */
  baseLayer: number;
  /** Offset, in hashes, of the first requested hash in the base layer. */
  index: number;
  /** Number of hashes requested from the base layer. */
  length: number;
  /** Number of ancestor layers whose uncle hashes are included. */
  proofLayers: number;
}

/**
 * One peer wire message. Byte fields of decoded messages (`block`, `payload`, `bitfield`, `piecesRoot`,
 * `hashes`) are views into the decoder's buffer, valid until its next `writable()` or `push()` call.
 */
export type WireMessage =
  | { type: "keep_alive" }
  | { type: "choke" }
  | { type: "unchoke" }
  | { type: "interested" }
  | { type: "not_interested" }
  | { type: "have"; index: number }
  | { type: "bitfield"; bitfield: Uint8Array }
  | { type: "request" } & BlockRef
  | { type: "piece"; index: number; begin: number; block: Uint8Array }
  | { type: "cancel" } & BlockRef
  | { type: "port"; port: number }
  | { type: "suggest"; index: number }
  | { type: "have_all" }
  | { type: "have_none" }
  | { type: "reject" } & BlockRef
  | { type: "allowed_fast"; index: number }
  | { type: "extended"; id: number; payload: Uint8Array }
  | { type: "hash_request" } & HashRequestRef
  | { type: "hashes"; hashes: Uint8Array } & HashRequestRef
  | { type: "hash_reject" } & HashRequestRef;
