/**
 * Magnet links for tests of v2 and hybrid torrents.
 *
 * @module
 */

import { formatMagnet, type TorrentInfo } from "../../mod.ts";

/** Options of {@linkcode magnetFor}. */
export interface TestMagnetOptions {
  /** Only the v2 info-hash (`urn:btmh`), as a v2-only client would be given; default both hashes of a hybrid. */
  v2Only?: boolean;
  /** `dn`; default none. */
  name?: string;
  /** Peers on 127.0.0.1 given as `x.pe`; default none. */
  ports?: number[];
}

/** A magnet link for `info`, without trackers. */
export function magnetFor(info: TorrentInfo, options: TestMagnetOptions = {}): string {
  return formatMagnet({
    infoHash: info.infoHash,
    infoHashV2: info.infoHashV2,
    v2Only: options.v2Only ?? false,
    name: options.name,
    trackers: [],
    peers: (options.ports ?? []).map((port) => ({ host: "127.0.0.1", port })),
  });
}
