/**
 * The DHT (BEP 5): a standalone node on UDP with its KRPC codec, routing table, tokens and peer store.
 *
 * @module
 */

export {
  COMPACT_NODE_LENGTH,
  COMPACT_PEER6_LENGTH,
  COMPACT_PEER_LENGTH,
  decodeCompactNodes,
  decodeCompactPeer,
  encodeCompactNodes,
  encodeCompactPeer,
  ipv4Bytes,
  type NodeContact,
} from "./compact.ts";
export type { BencodeDict, BencodeValue, Encodable } from "../bencode/mod.ts";
export type { PeerAddress } from "../tracker/types.ts";
export { type DhtLookupOptions, DhtNode, type DhtNodeOptions } from "./dht_node.ts";
export {
  decodeKrpc,
  encodeError,
  encodeQuery,
  encodeResponse,
  type KrpcErrorReply,
  type KrpcMessage,
  type KrpcQuery,
  type KrpcResponse,
  MAX_KRPC_DEPTH,
  MAX_KRPC_ITEMS,
  MAX_KRPC_PACKET,
  MAX_TRANSACTION_ID,
} from "./krpc.ts";
export { KrpcError } from "./krpc_error.ts";
export { PeerStore, type PeerStoreOptions } from "./peer_store.ts";
export { RateLimiter, type RateLimiterOptions } from "./rate_limiter.ts";
export { type DnsResolver, resolveBootstrap, type ResolveBootstrapOptions } from "./resolve_bootstrap.ts";
export {
  type AddResult,
  BAD_AFTER_FAILURES,
  commonPrefixBits,
  compareDistance,
  K,
  type NodeSighting,
  type NodeState,
  QUESTIONABLE_AFTER_MS,
  RoutingTable,
  type RoutingTableOptions,
} from "./routing_table.ts";
export { TOKEN_LENGTH, TOKEN_ROTATE_MS, TokenManager, type TokenManagerOptions } from "./tokens.ts";
