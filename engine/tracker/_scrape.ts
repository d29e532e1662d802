/**
 * Scrape pieces shared by the HTTP (BEP 48) and UDP (BEP 15) clients: the result shape, the info-hash checks,
 * the UDP scrape packets, the HTTP `files` reply, and the wording of errors.
 *
 * @module
 */

import { decode } from "../bencode/mod.ts";
import type { BencodeValue } from "../bencode/types.ts";
import { TrackerError } from "../errors.ts";
import { trackerText } from "./_reply_fields.ts";
import { hex } from "../bytes.ts";

/** One swarm's counts from a scrape (BEP 48 / BEP 15). */
export interface ScrapeCounts {
  /** Peers that have the whole torrent now (seeders). */
  complete: number;
  /** Peers that are still downloading (leechers). */
  incomplete: number;
  /** Peers that ever completed the download (BEP 15 `completed`). */
  downloaded: number;
}

/** BEP 15 `action` of a scrape. */
export const ACTION_SCRAPE = 2;
/** Most info-hashes in one scrape request (BEP 15: "up to about 74"; also used for HTTP). */
export const MAX_SCRAPE_HASHES = 74;
/** Deepest nesting a scrape reply may use: dict → files → swarm dict (HOSTILE_INPUTS.md 30). */
const MAX_REPLY_DEPTH = 8;

/** Lowercase hex of bytes: the key of a scrape result. */
export { hex };

/**
 * Checks the info-hashes of a scrape and drops repeats.
 * @throws {TypeError} When one is not a `Uint8Array` of 20 bytes.
 * @throws {RangeError} When there is none (a full scrape is not supported).
 */
export function checkScrapeHashes(infoHashes: readonly Uint8Array[]): Uint8Array[] {
  if (!Array.isArray(infoHashes) || infoHashes.length === 0) {
    throw new RangeError("Cannot scrape: no info-hashes given");
  }
  const seen = new Map<string, Uint8Array>();
  for (const hash of infoHashes) {
    if (!(hash instanceof Uint8Array) || hash.length !== 20) {
      throw new TypeError("Cannot scrape: info-hash must be a Uint8Array of 20 bytes");
    }
    seen.set(hex(hash), hash);
  }
  return [...seen.values()];
}

/** The hashes cut into runs of at most {@link MAX_SCRAPE_HASHES}. */
export function scrapeBatches(infoHashes: readonly Uint8Array[]): Uint8Array[][] {
  const batches: Uint8Array[][] = [];
  for (let i = 0; i < infoHashes.length; i += MAX_SCRAPE_HASHES) {
    batches.push(infoHashes.slice(i, i + MAX_SCRAPE_HASHES));
  }
  return batches;
}

/** The BEP 15 scrape request: connection_id, action 2, transaction_id, then the 20-byte info-hashes. */
export function udpScrapeRequest(
  connectionId: Uint8Array,
  transactionId: number,
  infoHashes: readonly Uint8Array[],
): Uint8Array {
  const packet = new Uint8Array(16 + 20 * infoHashes.length);
  const view = new DataView(packet.buffer);
  packet.set(connectionId, 0);
  view.setUint32(8, ACTION_SCRAPE);
  view.setUint32(12, transactionId);
  infoHashes.forEach((hash, i) => packet.set(hash, 16 + 20 * i));
  return packet;
}

/**
 * Reads a BEP 15 scrape reply into `into`: after the 8-byte header, 12 bytes (seeders, completed, leechers) per
 * requested info-hash, in request order. Hashes past a short reply get no entry; extra bytes are ignored.
 */
export function parseUdpScrapeReply(
  packet: Uint8Array,
  infoHashes: readonly Uint8Array[],
  into: Map<string, ScrapeCounts>,
): void {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const count = Math.min(infoHashes.length, Math.floor((packet.length - 8) / 12));
  for (let i = 0; i < count; i++) {
    const at = 8 + 12 * i;
    into.set(hex(infoHashes[i]), {
      complete: view.getUint32(at),
      downloaded: view.getUint32(at + 4),
      incomplete: view.getUint32(at + 8),
    });
  }
}

/**
 * Reads a BEP 48 scrape reply body into `into`: `files` maps raw 20-byte info-hashes to swarm dicts. Only the
 * hashes asked for are kept; a swarm entry that is not a dict is skipped; a count that is not a non-negative
 * integer reads as 0. Bytes after the top-level dict are ignored.
 * @throws {TrackerError} When the body is not bencode, not a dict, nests deeper than 8, carries a `failure
 *   reason` (BEP 3) or `failure_reason` (BEP 48), or has no `files` dict.
 */
export function parseHttpScrapeReply(
  trackerUrl: string,
  body: Uint8Array,
  infoHashes: readonly Uint8Array[],
  into: Map<string, ScrapeCounts>,
): void {
  let value: BencodeValue;
  try {
    value = decode(body, { maxDepth: MAX_REPLY_DEPTH, allowTrailing: true });
  } catch (cause) {
    throw new TrackerError(trackerUrl, "Cannot scrape: tracker reply is not valid bencode", { cause });
  }
  if (!(value instanceof Map)) {
    throw new TrackerError(trackerUrl, "Cannot scrape: tracker reply is not a dictionary");
  }
  const failure = value.get("failure reason") ?? value.get("failure_reason");
  if (failure instanceof Uint8Array) {
    throw new TrackerError(trackerUrl, `Cannot scrape: tracker failure reason: ${trackerText(failure)}`);
  }
  const files = value.get("files");
  if (!(files instanceof Map)) {
    throw new TrackerError(trackerUrl, "Cannot scrape: tracker reply has no files dictionary");
  }
  for (const hash of infoHashes) {
    const swarm = files.get(String.fromCharCode(...hash));
    if (!(swarm instanceof Map)) continue;
    into.set(hex(hash), {
      complete: count(swarm.get("complete")),
      incomplete: count(swarm.get("incomplete")),
      downloaded: count(swarm.get("downloaded")),
    });
  }
}

/**
 * The `failure reason` of an error reply body, as safe text, or `undefined`.
 */
export function scrapeFailureReason(body: Uint8Array): string | undefined {
  try {
    const value = decode(body, { maxDepth: MAX_REPLY_DEPTH, allowTrailing: true });
    const failure = value instanceof Map
      ? value.get("failure reason") ?? value.get("failure_reason")
      : undefined;
    return failure instanceof Uint8Array ? trackerText(failure) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The same error worded for a scrape: the shared tracker plumbing (deadline, HTTP fetch) says "Cannot announce:".
 * Other errors are returned as they are.
 */
export function asScrapeError(error: unknown): unknown {
  if (!(error instanceof TrackerError) || !error.message.startsWith("Cannot announce:")) return error;
  const detail = error.message.slice("Cannot announce:".length);
  return new TrackerError(error.url, `Cannot scrape:${detail}`, { cause: error.cause });
}

function count(value: BencodeValue | undefined): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}
