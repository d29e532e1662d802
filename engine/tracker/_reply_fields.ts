/**
 * Field rules shared by HTTP and UDP tracker replies: interval clamping (HOSTILE_INPUTS.md case 30) and text
 * made safe to show (failure reasons, warnings, UDP error messages).
 *
 * @module
 */

import { ANNOUNCE_INTERVAL_CEILING, ANNOUNCE_INTERVAL_DEFAULT, ANNOUNCE_INTERVAL_FLOOR } from "./types.ts";

/** Longest tracker text we keep, in characters. */
const MAX_TEXT_LENGTH = 512;

const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * Clamps a tracker's `interval` and `min interval` (seconds, as sent; `undefined` when absent or not an integer).
 * `interval` goes to [ANNOUNCE_INTERVAL_FLOOR, ANNOUNCE_INTERVAL_CEILING] (absent: ANNOUNCE_INTERVAL_DEFAULT);
 * `minInterval` goes to [0, interval].
 */
export function clampIntervals(
  interval: number | undefined,
  minInterval: number | undefined,
): { interval: number; minInterval?: number } {
  const regular = Math.min(
    ANNOUNCE_INTERVAL_CEILING,
    Math.max(ANNOUNCE_INTERVAL_FLOOR, interval ?? ANNOUNCE_INTERVAL_DEFAULT),
  );
  if (minInterval === undefined) return { interval: regular };
  return { interval: regular, minInterval: Math.min(regular, Math.max(0, minInterval)) };
}

/**
 * Tracker-supplied bytes as text that is safe to log or show: UTF-8 (invalid sequences become U+FFFD), control
 * and bidi-override characters replaced by spaces, trimmed, at most 512 characters.
 */
export function trackerText(bytes: Uint8Array): string {
  const text = decoder.decode(bytes.subarray(0, MAX_TEXT_LENGTH * 4))
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, " ")
    .trim();
  return text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
}
