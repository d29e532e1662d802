/**
 * Piece picking and choking: pure policy with explicit inputs, no I/O and no timers. The piece picker
 * (rarest-first, priorities, endgame) with its request bookkeeping, the choker (BEP 3 "Choking") and request queue
 * sizing, plus the BEP 3 bitfield.
 *
 * @module
 */

export { Bitfield } from "./bitfield.ts";
export {
  type BlockReceived,
  type BlockRequest,
  DEFAULT_PIECE_PRIORITY,
  MAX_PIECE_PRIORITY,
  type PeerKey,
  PiecePicker,
  type PiecePickerOptions,
} from "./piece_picker.ts";
export { Choker, type ChokerOptions, type ChokerPeer } from "./choker.ts";
export { type RequestQueueOptions, requestQueueSize } from "./request_queue.ts";
