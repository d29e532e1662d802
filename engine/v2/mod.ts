/**
 * BitTorrent v2 (BEP 52) peer-side hash exchange: answering `hash request` messages from our piece layers
 * (`HashServer`, rate limited per peer with `HashRequestBudget`), fetching the piece layers a v2 magnet's metadata
 * lacks (`LayerFetcher`). Pure policy and computation: the peer connection sends and receives the messages
 * (engine/wire); fetched layers go to the storage's v2 piece check (`V2PieceHashes.setPieceLayer` in engine/storage).
 *
 * @module
 */

export {
  type HashRejectReason,
  type HashReply,
  HashServer,
  type HashServerOptions,
  type HashServerTorrent,
} from "./hash_server.ts";
export {
  HashRequestBudget,
  type HashRequestBudgetOptions,
  type HashRequestDecision,
} from "./hash_request_budget.ts";
export {
  type ExpiredHashRequest,
  type HashesOutcome,
  LayerFetcher,
  type LayerFetcherOptions,
  type NextHashRequestOptions,
} from "./layer_fetcher.ts";
export type { V2Torrent } from "./_v2_files.ts";
