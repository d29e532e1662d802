/**
 * Hostile-input caps for metainfo (DESIGN.md section 8, HOSTILE_INPUTS.md cases 8–11).
 *
 * @module
 */

/** Largest .torrent accepted, in bytes (libtorrent's `max_buffer_size`). */
export const MAX_TORRENT_BYTES = 10_000_000;
/** Smallest piece length accepted, in bytes (16 KiB, one block). */
export const MIN_PIECE_LENGTH = 16 * 1024;
/** Largest piece length accepted, in bytes (512 MiB, as libtorrent 2.0 accepts). */
export const MAX_PIECE_LENGTH = 512 * 1024 * 1024;
/** Most pieces in one torrent. */
export const MAX_PIECE_COUNT = 2_097_152;
/** Largest single file, in bytes (16 TiB). */
export const MAX_FILE_LENGTH = 16 * 1024 ** 4;
/** Most files in one torrent. */
export const MAX_FILE_COUNT = 1_000_000;
/** Most components in one file's `path`. */
export const MAX_PATH_DEPTH = 100;
/** Most tracker URLs (over all tiers) and most web seed URLs kept; more are ignored. */
export const MAX_URLS = 1000;
/** Longest tracker or web seed URL kept, in bytes; longer ones are ignored. */
export const MAX_URL_BYTES = 4096;
/** Longest path component after sanitising, in UTF-8 bytes. */
export const MAX_COMPONENT_BYTES = 240;
