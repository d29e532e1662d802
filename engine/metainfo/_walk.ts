/**
 * Finding the files to put in a new torrent: a file, or a directory walked recursively in a fixed order.
 *
 * @module
 */

import { basename, join, resolve, sep } from "node:path";

/** A file on disk that goes into the torrent. */
export interface SourceFile {
  /** Absolute path to read from. */
  absolute: string;
  /** Path components relative to the torrent root (empty for a single-file torrent). */
  path: string[];
  /** Size in bytes when listed. */
  length: number;
  /** Whether the owner may execute it (BEP 47 attribute `x`, as libtorrent records it). */
  executable: boolean;
}

/** What {@link collectFiles} found. */
export interface Collected {
  name: string;
  multiFile: boolean;
  files: SourceFile[];
}

const utf8 = new TextEncoder();

function compareBytes(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function comparePaths(a: SourceFile, b: SourceFile): number {
  const n = Math.min(a.path.length, b.path.length);
  for (let i = 0; i < n; i++) {
    const order = compareBytes(a.path[i], b.path[i]);
    if (order !== 0) return order;
  }
  return a.path.length - b.path.length;
}

function sizeAndMode(stat: Deno.FileInfo): { length: number; executable: boolean } {
  return { length: stat.size, executable: ((stat.mode ?? 0) & 0o100) !== 0 };
}

function inside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Lists the regular files under `path`, sorted by path (component by component, in UTF-8 byte order). Symbolic
 * links are followed when their target lies inside `path`; a link pointing outside, a link that loops back to a
 * directory being walked, and anything that is not a regular file or directory are refused. Nothing else is
 * skipped (hidden files included).
 *
 * @throws {Error} With a "Cannot create torrent: ..." message for the cases above or when no file is found.
 */
export async function collectFiles(path: string): Promise<Collected> {
  const given = resolve(path);
  const name = basename(given);
  if (name === "") throw new Error(`Cannot create torrent: ${JSON.stringify(path)} has no name to use`);
  const root = await Deno.realPath(given);
  const stat = await Deno.stat(root);
  if (stat.isFile) {
    return { name, multiFile: false, files: [{ absolute: root, path: [], ...sizeAndMode(stat) }] };
  }
  if (!stat.isDirectory) throw new Error(`Cannot create torrent: ${given} is not a file or directory`);

  const files: SourceFile[] = [];
  async function walk(directory: string, components: string[], ancestors: Set<string>): Promise<void> {
    for await (const entry of Deno.readDir(directory)) {
      const shown = join(directory, entry.name);
      let target = shown;
      if (entry.isSymlink) {
        target = await Deno.realPath(shown);
        if (!inside(root, target)) {
          throw new Error(`Cannot create torrent: symbolic link ${shown} points outside ${given}`);
        }
      }
      const info = entry.isSymlink ? await Deno.stat(target) : entry;
      const childPath = [...components, entry.name];
      if (info.isFile) {
        const stat = entry.isSymlink ? info as Deno.FileInfo : await Deno.stat(target);
        files.push({ absolute: target, path: childPath, ...sizeAndMode(stat) });
      } else if (info.isDirectory) {
        // Every directory walked is a real path (the root is, and links are resolved), so `target` is real.
        if (ancestors.has(target)) {
          throw new Error(`Cannot create torrent: symbolic link ${shown} loops back to ${target}`);
        }
        await walk(target, childPath, new Set([...ancestors, target]));
      } else {
        throw new Error(`Cannot create torrent: ${shown} is not a regular file or directory`);
      }
    }
  }
  await walk(root, [], new Set([root]));
  if (files.length === 0) throw new Error(`Cannot create torrent: ${given} contains no files`);
  files.sort(comparePaths);
  return { name, multiFile: true, files };
}
