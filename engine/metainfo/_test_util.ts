/**
 * Helpers for the metainfo tests.
 *
 * @module
 */

import { type Encodable, encode } from "../bencode/mod.ts";

/** Builds .torrent bytes: an info dict (defaults: one 20,000-byte file in two 16 KiB pieces) and root extras. */
export function torrentBytes(
  info: Record<string, Encodable | undefined> = {},
  root: Record<string, Encodable | undefined> = {},
): Uint8Array {
  return encode({
    info: {
      length: 20_000,
      name: "file.bin",
      "piece length": 16_384,
      pieces: new Uint8Array(40).fill(1),
      ...info,
    },
    ...root,
  });
}

/** A multi-file info dict with the given file entries and enough zero hashes for their total size. */
export function multiFileInfo(
  files: { length: number; path: Encodable; [key: string]: Encodable }[],
  pieceLength = 16_384,
): Record<string, Encodable> {
  const total = files.reduce((n, f) => n + f.length, 0);
  return {
    files,
    name: "dir",
    "piece length": pieceLength,
    pieces: new Uint8Array(20 * Math.ceil(total / pieceLength)),
  };
}

/** Runs `/usr/bin/python3 -c code args...` and returns its stdout; throws with stderr on failure. */
export async function python(code: string, ...args: string[]): Promise<string> {
  const output = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!output.success) throw new Error(`python3 failed: ${new TextDecoder().decode(output.stderr)}`);
  return new TextDecoder().decode(output.stdout);
}
