/**
 * Peer exchange (BEP 11): the per-torrent policy of what to send each peer and what to take from each peer.
 * The `ut_pex` message codec is in engine/wire (`encodePex`, `decodePex`).
 *
 * @module
 */

export { PEX_INTERVAL, PEX_MAX_PER_MINUTE, PexState, type PexStateOptions } from "./pex_state.ts";
