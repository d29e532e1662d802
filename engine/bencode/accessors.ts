/**
 * Typed reads from decoded bencode dictionaries, for parsers of metainfo (BEP 3), tracker replies, extension
 * messages (BEP 10) and KRPC (BEP 5). Each reader returns `undefined` when the key is absent (unless `required`)
 * and throws an error of the caller's choice when the value has the wrong type.
 *
 * @module
 */

import type { BencodeDict, BencodeList, BencodeValue } from "./types.ts";

/** Options for the `get*` readers. */
export interface GetOptions {
  /** Throw when the key is absent instead of returning `undefined`. Default `false`. */
  required?: boolean;
  /**
   * Builds the error to throw, from a message like `Cannot read "piece length": expected an integer, got a list`.
   * Default: `new TypeError(message)`.
   */
  error?: (message: string) => Error;
}

/** Options that make a reader throw when the key is absent. */
export type RequiredGetOptions = GetOptions & { required: true };

const utf8 = new TextDecoder();

/**
 * Whether `value` is a bencode dictionary.
 *
 * @param value Any decoded value (or `undefined`).
 * @returns `true` for a `BencodeDict`.
 */
export function isDict(value: BencodeValue | undefined): value is BencodeDict {
  return value instanceof Map;
}

function kindOf(value: BencodeValue): string {
  if (typeof value === "number") return "an integer";
  if (value instanceof Uint8Array) return "a byte string";
  if (Array.isArray(value)) return "a list";
  return "a dictionary";
}

function read<T>(
  dict: BencodeDict,
  key: string,
  options: GetOptions | undefined,
  expected: string,
  test: (value: BencodeValue) => boolean,
): T | undefined {
  const value = dict.get(key);
  const makeError = options?.error ?? ((message: string) => new TypeError(message));
  if (value === undefined) {
    if (options?.required === true) throw makeError(`Cannot read ${JSON.stringify(key)}: key is missing`);
    return undefined;
  }
  if (!test(value)) {
    throw makeError(`Cannot read ${JSON.stringify(key)}: expected ${expected}, got ${kindOf(value)}`);
  }
  return value as T;
}

/**
 * Reads an integer.
 *
 * @param dict A decoded dictionary.
 * @param key The key (latin1 raw bytes; ASCII as is).
 * @param options `required`, `error`.
 * @returns The integer, or `undefined` when absent and not required.
 * @throws {TypeError} (or `options.error`'s result) When the value is not an integer, or is absent but required.
 *
 * @example
 * ```ts
 * import { getInt } from "./accessors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(getInt(new Map([["interval", 1800]]), "interval"), 1800);
 * ```
 */
export function getInt(dict: BencodeDict, key: string, options: RequiredGetOptions): number;
export function getInt(dict: BencodeDict, key: string, options?: GetOptions): number | undefined;
export function getInt(dict: BencodeDict, key: string, options?: GetOptions): number | undefined {
  return read<number>(dict, key, options, "an integer", (v) => typeof v === "number");
}

/**
 * Reads a byte string.
 *
 * @param dict A decoded dictionary.
 * @param key The key.
 * @param options `required`, `error`.
 * @returns The raw bytes (a view into the decoded input unless decoded with `copy`), or `undefined`.
 * @throws {TypeError} (or `options.error`'s result) When the value is not a byte string, or is absent but required.
 */
export function getBytes(dict: BencodeDict, key: string, options: RequiredGetOptions): Uint8Array;
export function getBytes(dict: BencodeDict, key: string, options?: GetOptions): Uint8Array | undefined;
export function getBytes(dict: BencodeDict, key: string, options?: GetOptions): Uint8Array | undefined {
  return read<Uint8Array>(dict, key, options, "a byte string", (v) => v instanceof Uint8Array);
}

/**
 * Reads a byte string as UTF-8 text; invalid sequences become U+FFFD.
 *
 * @param dict A decoded dictionary.
 * @param key The key.
 * @param options `required`, `error`.
 * @returns The text, or `undefined`.
 * @throws {TypeError} (or `options.error`'s result) When the value is not a byte string, or is absent but required.
 */
export function getString(dict: BencodeDict, key: string, options: RequiredGetOptions): string;
export function getString(dict: BencodeDict, key: string, options?: GetOptions): string | undefined;
export function getString(dict: BencodeDict, key: string, options?: GetOptions): string | undefined {
  const bytes = getBytes(dict, key, options);
  return bytes === undefined ? undefined : utf8.decode(bytes);
}

/**
 * Reads a list.
 *
 * @param dict A decoded dictionary.
 * @param key The key.
 * @param options `required`, `error`.
 * @returns The list, or `undefined`.
 * @throws {TypeError} (or `options.error`'s result) When the value is not a list, or is absent but required.
 */
export function getList(dict: BencodeDict, key: string, options: RequiredGetOptions): BencodeList;
export function getList(dict: BencodeDict, key: string, options?: GetOptions): BencodeList | undefined;
export function getList(dict: BencodeDict, key: string, options?: GetOptions): BencodeList | undefined {
  return read<BencodeList>(dict, key, options, "a list", (v) => Array.isArray(v));
}

/**
 * Reads a dictionary.
 *
 * @param dict A decoded dictionary.
 * @param key The key.
 * @param options `required`, `error`.
 * @returns The dictionary, or `undefined`.
 * @throws {TypeError} (or `options.error`'s result) When the value is not a dictionary, or is absent but required.
 */
export function getDict(dict: BencodeDict, key: string, options: RequiredGetOptions): BencodeDict;
export function getDict(dict: BencodeDict, key: string, options?: GetOptions): BencodeDict | undefined;
export function getDict(dict: BencodeDict, key: string, options?: GetOptions): BencodeDict | undefined {
  return read<BencodeDict>(dict, key, options, "a dictionary", (v) => v instanceof Map);
}
