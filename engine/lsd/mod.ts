/**
 * Local Service Discovery (BEP 14): the `BT-SEARCH` announce codec and a multicast service that announces our
 * torrents and reports local peers.
 *
 * @module
 */

export {
  encodeLsdAnnounce,
  type EncodeLsdAnnounceOptions,
  LSD_GROUP,
  LSD_GROUP6,
  LSD_PORT,
  type LsdAnnounce,
  lsdHostHeader,
  MAX_LSD_MESSAGE,
  parseLsdAnnounce,
  type ParseLsdAnnounceOptions,
} from "./lsd_announce.ts";
export {
  LSD_MAX_INFO_HASHES_PER_ANNOUNCE,
  LSD_MAX_MESSAGES_PER_SECOND,
  LSD_MIN_ANNOUNCE_GAP,
  LSD_REANNOUNCE_INTERVAL,
  type LsdIpv6Options,
  type LsdPeerCallback,
  LsdService,
  type LsdServiceOptions,
} from "./lsd.ts";
