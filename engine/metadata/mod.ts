/**
 * Metadata exchange (BEP 9 over the BEP 10 extension protocol): fetching a magnet torrent's info dictionary from
 * peers, and serving ours. Pure state machines: no sockets, no timers.
 *
 * @module
 */

export { MetadataFetcher, type MetadataFetcherOptions, type MetadataReceived } from "./metadata_fetcher.ts";
export {
  MAX_METADATA_REQUESTS_PER_PEER,
  MetadataServer,
  type MetadataServerOptions,
} from "./metadata_server.ts";
