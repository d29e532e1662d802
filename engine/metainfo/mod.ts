/**
 * Metainfo (BEP 3 v1, BEP 52 v2 and hybrid .torrent files): parsing with hostile-input caps, path sanitising and
 * the save-directory guard, and torrent creation. Trackers per BEP 12, private flag per BEP 27, web seeds per
 * BEP 19, padding files and file attributes per BEP 47.
 *
 * @module
 */

export type { TorrentFile, TorrentInfo } from "./types.ts";
export { parseTorrent } from "./parse_torrent.ts";
export { pieceSize } from "./piece_size.ts";
export { sanitizePathComponent } from "./sanitize_path_component.ts";
export { resolveInside } from "./resolve_inside.ts";
export {
  type CreatedTorrent,
  createTorrent,
  type CreateTorrentOptions,
  type TorrentVersion,
} from "./create_torrent.ts";
export { autoPieceLength } from "./auto_piece_length.ts";
export {
  MAX_COMPONENT_BYTES,
  MAX_FILE_COUNT,
  MAX_FILE_LENGTH,
  MAX_PATH_DEPTH,
  MAX_PIECE_COUNT,
  MAX_PIECE_LENGTH,
  MAX_TORRENT_BYTES,
  MAX_URL_BYTES,
  MAX_URLS,
  MIN_PIECE_LENGTH,
} from "./limits.ts";
export { formatMagnet, MagnetError, type MagnetLink, parseFileSelection, parseMagnet } from "./magnet.ts";
