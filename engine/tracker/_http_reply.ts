/**
 * Reading an HTTP tracker's bencoded announce reply (BEP 3 response keys, BEP 23 compact `peers`, BEP 7
 * `peers6`) with the caps of HOSTILE_INPUTS.md cases 30 and 31.
 *
 * @module
 */

import { decode } from "../bencode/mod.ts";
import type { BencodeDict, BencodeValue } from "../bencode/types.ts";
import { TrackerError } from "../errors.ts";
import { PeerCollector } from "./_peers.ts";
import { clampIntervals, trackerText } from "./_reply_fields.ts";
import type { AnnounceResponse } from "./types.ts";

/** Deepest nesting a tracker reply may use (dict → peer list → peer dict needs 3; HOSTILE_INPUTS.md 30). */
const MAX_REPLY_DEPTH = 8;
/** Longest `tracker id` we keep and echo back, in bytes. */
const MAX_TRACKER_ID_BYTES = 256;

/**
 * Parses the body of an HTTP announce reply. Bytes after the top-level dictionary are ignored.
 * @param trackerUrl The announce URL, named in errors.
 * @param body The decoded HTTP body (already capped by the caller).
 * @param options.ownPeerId Our peer id: BEP 3 peer dicts carrying it are dropped.
 * @throws {TrackerError} When the body is not bencode, not a dictionary, nests deeper than 8, or carries a
 *   `failure reason` (the message quotes it).
 */
export function parseHttpAnnounceReply(
  trackerUrl: string,
  body: Uint8Array,
  { ownPeerId }: { ownPeerId?: Uint8Array } = {},
): AnnounceResponse {
  let value: BencodeValue;
  try {
    value = decode(body, { maxDepth: MAX_REPLY_DEPTH, allowTrailing: true });
  } catch (cause) {
    throw new TrackerError(trackerUrl, "Cannot announce: tracker reply is not valid bencode", { cause });
  }
  if (!(value instanceof Map)) {
    throw new TrackerError(trackerUrl, "Cannot announce: tracker reply is not a dictionary");
  }
  const failure = value.get("failure reason");
  if (failure instanceof Uint8Array) {
    throw new TrackerError(trackerUrl, `Cannot announce: tracker failure reason: ${trackerText(failure)}`);
  }
  const collector = new PeerCollector();
  const peers = value.get("peers");
  if (peers instanceof Uint8Array) collector.addCompact(peers, 6);
  else if (Array.isArray(peers)) collector.addDicts(peers, ownPeerId);
  const peers6 = value.get("peers6");
  if (peers6 instanceof Uint8Array) collector.addCompact(peers6, 18);

  const response: AnnounceResponse = {
    ...clampIntervals(integer(value, "interval"), integer(value, "min interval")),
    peers: collector.peers,
  };
  const complete = integer(value, "complete");
  if (complete !== undefined && complete >= 0) response.complete = complete;
  const incomplete = integer(value, "incomplete");
  if (incomplete !== undefined && incomplete >= 0) response.incomplete = incomplete;
  const warning = value.get("warning message");
  if (warning instanceof Uint8Array) response.warning = trackerText(warning);
  const trackerId = value.get("tracker id");
  if (trackerId instanceof Uint8Array && trackerId.length > 0 && trackerId.length <= MAX_TRACKER_ID_BYTES) {
    response.trackerId = String.fromCharCode(...trackerId);
  }
  return response;
}

/** The reply's `failure reason` as safe text, or `undefined` when the body is not a dict that has one. */
export function failureReason(body: Uint8Array): string | undefined {
  let value: BencodeValue;
  try {
    value = decode(body, { maxDepth: MAX_REPLY_DEPTH, allowTrailing: true });
  } catch {
    return undefined;
  }
  const failure = value instanceof Map ? value.get("failure reason") : undefined;
  return failure instanceof Uint8Array ? trackerText(failure) : undefined;
}

function integer(dict: BencodeDict, key: string): number | undefined {
  const value = dict.get(key);
  return typeof value === "number" ? value : undefined;
}
