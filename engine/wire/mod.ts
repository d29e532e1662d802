/**
 * The peer wire codec: the BEP 3 handshake and messages, BEP 5 `port`, the BEP 6 fast extension (messages and
 * the allowed fast set), the BEP 10 extension protocol (message 20 and the extension handshake) and the BEP 52
 * hash messages. Pure codec: no sockets, no timers.
 *
 * @module
 */

export {
  checkHandshakePrefix,
  decodeHandshake,
  encodeHandshake,
  type Handshake,
  HANDSHAKE_LENGTH,
  makeReserved,
  PROTOCOL_PREFIX,
  type ReservedOptions,
  supportsDht,
  supportsExtensionProtocol,
  supportsFast,
  supportsV2,
  writeHandshake,
} from "./handshake.ts";
export {
  type BlockRef,
  EXTENSION_HANDSHAKE_ID,
  HASH_LENGTH,
  type HashRequestRef,
  MAX_HASH_REQUEST_LENGTH,
  MAX_HASHES_PER_MESSAGE,
  MAX_UNCLE_HASHES,
  MessageId,
  PIECES_ROOT_LENGTH,
  type WireMessage,
  type WireMessageType,
} from "./wire_message.ts";
export {
  DEFAULT_BUFFER_SIZE,
  DEFAULT_MAX_BUFFER_SIZE,
  DEFAULT_MAX_MESSAGE_LENGTH,
  WireDecoder,
  type WireDecoderOptions,
} from "./wire_decoder.ts";
export { MessageWriter } from "./message_writer.ts";
export { encodeMessage } from "./encode_message.ts";
export { checkBitfield } from "./check_bitfield.ts";
export { allowedFastSet, type AllowedFastSetOptions } from "./allowed_fast_set.ts";
export {
  decodeExtensionHandshake,
  encodeExtensionHandshake,
  type ExtensionHandshake,
  MAX_CLIENT_NAME_LENGTH,
  MAX_EXTENSION_HANDSHAKE_DEPTH,
  MAX_EXTENSION_HANDSHAKE_ITEMS,
  MAX_METADATA_SIZE,
} from "./extension_handshake.ts";
export {
  decodeUtMetadata,
  encodeUtMetadata,
  MAX_UT_METADATA_MESSAGE,
  METADATA_PIECE_SIZE,
  metadataPieceCount,
  type UtMetadataMessage,
} from "./ut_metadata.ts";
export {
  decodePex,
  encodePex,
  MAX_PEX_MESSAGE,
  MAX_PEX_PEERS_TAKEN,
  PEX_FLAG_ENCRYPTION,
  PEX_FLAG_HOLEPUNCH,
  PEX_FLAG_OUTGOING,
  PEX_FLAG_SEED,
  PEX_FLAG_UTP,
  type PexMessage,
  type PexPeer,
} from "./ut_pex.ts";
