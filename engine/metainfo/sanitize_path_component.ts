/**
 * Making one untrusted path component (from a .torrent or a magnet) safe to use as a file or directory name.
 *
 * @module
 */

import { sanitizeOrEmpty } from "./_sanitize.ts";

/**
 * Sanitises one path component from untrusted metainfo so it can be used as a single file or directory name on
 * Linux, macOS and Windows (HOSTILE_INPUTS.md cases 14–20):
 * - unpaired surrogates become U+FFFD (decode bytes with U+FFFD for invalid UTF-8 before calling this),
 * - bidi controls and zero-width characters (U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF) are removed,
 * - control characters (U+0000–U+001F, U+007F–U+009F, U+2028, U+2029) become `_`,
 * - separators `/` `\` and `<>:"|?*` become `_` (so `..\..\x` and `C:\x` stay one relative name),
 * - trailing dots and spaces are trimmed, and what is left empty (`""`, `.`, `..`, `...`) becomes `_`,
 * - Windows device names (`CON`, `nul.txt`, `COM1`, `LPT9.log`, ...) get a `_` prefix,
 * - names over 240 UTF-8 bytes are cut, keeping an extension of up to 40 bytes.
 *
 * The result is never empty, `.` or `..`, and sanitising it again changes nothing. Still join paths with
 * `resolveInside`, which checks the final path.
 *
 * @param component One path element, as text.
 * @returns A safe, non-empty name.
 *
 * @example
 * ```ts
 * import { sanitizePathComponent } from "./sanitize_path_component.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sanitizePathComponent(".."), "_");
 * assert.equal(sanitizePathComponent("a/../../b"), "a_.._.._b");
 * assert.equal(sanitizePathComponent("nul.txt"), "_nul.txt");
 * ```
 */
export function sanitizePathComponent(component: string): string {
  const s = sanitizeOrEmpty(component);
  return s === "" ? "_" : s;
}
