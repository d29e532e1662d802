/**
 * The shapes the piece picker takes and returns.
 *
 * @module
 */

/** One block request, as in the BEP 3 `request` message: offsets and length in bytes. */
export interface BlockRequest {
  /** Piece index. */
  index: number;
  /** Byte offset inside the piece, a multiple of the block size. */
  begin: number;
  /** Bytes: the block size, or less for the last block of the last piece. */
  length: number;
}

/** The torrent's small integer id for one peer connection: an integer in `0..2147483647`. */
export type PeerKey = number;

/** What {@link PiecePicker.blockReceived} decided about an arriving block. */
export interface BlockReceived {
  /**
   * `new`: first copy, keep it. `duplicate`: already received (endgame race, or after a cancel), discard it.
   * `unrequested`: this peer was not asked for it, or its offset or length do not match a block: waste.
   */
  status: "new" | "duplicate" | "unrequested";
  /** Other peers the block was also requested from: send them `cancel` (BEP 3). */
  cancel: PeerKey[];
  /** Whether every block of the piece has now been received: hash it. */
  pieceComplete: boolean;
}

/** Options for {@link PiecePicker}. */
export interface PiecePickerOptions {
  /** Number of pieces. Must equal `ceil(totalLength / pieceLength)`. */
  pieceCount: number;
  /** Bytes per piece (all but the last). */
  pieceLength: number;
  /** Bytes in the torrent. */
  totalLength: number;
  /** Bytes per block request; default 16384 (BEP 3 practice; peers reject larger). */
  blockSize?: number;
  /** Most peers one block is requested from at once in endgame; default 2 (libtorrent's strict endgame). */
  endgameRequestsPerBlock?: number;
  /** Uniform random source in `[0, 1)` for tie-breaks; default `Math.random`. */
  random?: () => number;
}
