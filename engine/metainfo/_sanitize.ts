/**
 * Path component sanitising shared by `sanitizePathComponent`, `parseTorrent` (name fallback, duplicate renames).
 * HOSTILE_INPUTS.md cases 14–20.
 *
 * @module
 */

import { MAX_COMPONENT_BYTES } from "./limits.ts";

// Bidi overrides and zero-width characters change how a name displays (`a` U+202E `gpj.exe` shows as
// `aexe.jpg`); they carry no meaning in a file name, so they are removed.
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;
// C0 and C1 controls, DEL, and the Unicode line/paragraph separators become `_`.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g;
// Separators of any platform and the characters Windows forbids in names.
const FORBIDDEN = /[/\\<>:"|?*]/g;
// Windows device names, with or without an extension.
const RESERVED =
  /^(CON|PRN|AUX|NUL|COM[1-9\u00B9\u00B2\u00B3]|LPT[1-9\u00B9\u00B2\u00B3]|CONIN\$|CONOUT\$) *(\.|$)/i;
const TRAILING_DOTS_SPACES = /[. ]+$/;
/** An extension longer than this (in UTF-8 bytes, dot included) is not kept apart when a name is cut. */
const MAX_EXTENSION_BYTES = 40;

/** UTF-8 length of a well-formed string. */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The longest prefix of a well-formed `s` with at most `max` UTF-8 bytes, never splitting a code point. */
function cutToBytes(s: string, max: number): string {
  let n = 0;
  let end = 0;
  for (const ch of s) {
    const size = utf8Bytes(ch);
    if (n + size > max) break;
    n += size;
    end += ch.length;
  }
  return s.slice(0, end);
}

function splitExtension(s: string): [string, string] {
  const dot = s.lastIndexOf(".");
  if (dot <= 0) return [s, ""];
  const extension = s.slice(dot);
  if (utf8Bytes(extension) > MAX_EXTENSION_BYTES) return [s, ""];
  return [s.slice(0, dot), extension];
}

/** `stem + suffix + extension`, with the stem cut so the whole stays within the component byte limit. */
function fit(stem: string, suffix: string, extension: string): string {
  const room = MAX_COMPONENT_BYTES - utf8Bytes(suffix) - utf8Bytes(extension);
  let cut = utf8Bytes(stem) > room ? cutToBytes(stem, room) : stem;
  cut = cut.replace(TRAILING_DOTS_SPACES, "");
  if (cut === "") cut = "_";
  return cut + suffix + extension;
}

/**
 * Sanitises one path component; returns `""` when nothing is left (empty, `.`, `..`, only dots and spaces), so
 * that the caller picks the replacement (`_`, or the info-hash for a torrent name).
 */
export function sanitizeOrEmpty(input: string): string {
  let s = input.toWellFormed().replace(INVISIBLE, "").replace(CONTROL, "_").replace(FORBIDDEN, "_");
  s = s.replace(TRAILING_DOTS_SPACES, "");
  if (s === "") return "";
  if (RESERVED.test(s)) s = "_" + s;
  if (utf8Bytes(s) <= MAX_COMPONENT_BYTES) return s;
  const [stem, extension] = splitExtension(s);
  return fit(stem, "", extension);
}

/**
 * A sanitised component with `.n` inserted before its extension (`a.txt` → `a.1.txt`), within the byte limit.
 * Used to rename duplicate paths.
 */
export function withCounter(component: string, n: number): string {
  const [stem, extension] = splitExtension(component);
  return fit(stem, `.${n}`, extension);
}
