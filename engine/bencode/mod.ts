/**
 * Bencode (BEP 3): strict decoding with hostile-input caps, encoding, the raw byte span of top-level values (for
 * the info-hash), and typed dictionary readers.
 *
 * @module
 */

export type { BencodeDict, BencodeList, BencodeValue } from "./types.ts";
export { decode, type DecodeOptions } from "./decode.ts";
export { decodePrefix, type DecodePrefixResult } from "./decode_prefix.ts";
export { type ByteSpan, decodeWithSpans, type DecodeWithSpansResult } from "./decode_with_spans.ts";
export { type CommonDecodeOptions, DEFAULT_MAX_DEPTH, DEFAULT_MAX_ITEMS } from "./_parser.ts";
export { type Encodable, encode } from "./encode.ts";
export { keyBytes, textKey } from "./dict_key.ts";
export {
  getBytes,
  getDict,
  getInt,
  getList,
  type GetOptions,
  getString,
  isDict,
  type RequiredGetOptions,
} from "./accessors.ts";
