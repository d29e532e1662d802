/**
 * Tracker tiers (BEP 12) and web seeds (BEP 19) from metainfo. Bad entries are skipped, never fatal: a torrent
 * with a broken tracker list still downloads through DHT and PEX.
 *
 * @module
 */

import type { BencodeDict, BencodeValue } from "../bencode/mod.ts";
import { MAX_URL_BYTES, MAX_URLS } from "./limits.ts";
import { strictText } from "./_text.ts";

const TRACKER_PROTOCOLS = new Set(["http:", "https:", "udp:"]);
const WEB_SEED_PROTOCOLS = new Set(["http:", "https:"]);

function url(value: BencodeValue, protocols: ReadonlySet<string>): string | undefined {
  if (!(value instanceof Uint8Array) || value.length > MAX_URL_BYTES) return undefined;
  const text = strictText(value)?.trim();
  if (text === undefined || text === "" || !URL.canParse(text)) return undefined;
  return protocols.has(new URL(text).protocol) ? text : undefined;
}

/**
 * Tiers from `announce-list` (BEP 12) when it yields any usable URL, else `[[announce]]`, else `[]`. URLs are kept
 * in order, without duplicates, at most `MAX_URLS` of them; empty tiers are dropped. A tier given as a bare
 * string (seen in broken files) counts as a tier of one.
 */
export function parseAnnounceList(root: BencodeDict): string[][] {
  const seen = new Set<string>();
  const tiers: string[][] = [];
  const list = root.get("announce-list");
  if (Array.isArray(list)) {
    for (const entry of list) {
      const tier: string[] = [];
      for (const item of Array.isArray(entry) ? entry : [entry]) {
        if (seen.size >= MAX_URLS) break;
        const text = url(item, TRACKER_PROTOCOLS);
        if (text === undefined || seen.has(text)) continue;
        seen.add(text);
        tier.push(text);
      }
      if (tier.length > 0) tiers.push(tier);
    }
  }
  if (tiers.length > 0) return tiers;
  const announce = root.get("announce");
  const single = announce === undefined ? undefined : url(announce, TRACKER_PROTOCOLS);
  return single === undefined ? [] : [[single]];
}

/** BEP 19 `url-list`: one URL or a list of them; http and https only, without duplicates, capped. */
export function parseUrlList(root: BencodeDict): string[] {
  const value = root.get("url-list");
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const out = new Set<string>();
  for (const item of items) {
    if (out.size >= MAX_URLS) break;
    const text = url(item, WEB_SEED_PROTOCOLS);
    if (text !== undefined) out.add(text);
  }
  return [...out];
}
