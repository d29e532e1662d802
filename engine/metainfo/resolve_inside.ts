/**
 * The final guard of every file path ccbt touches: it must stay inside the save directory.
 *
 * @module
 */

import { resolve, sep } from "node:path";

/**
 * Joins sanitised path components onto a root directory and checks that the result lies strictly inside the root
 * (HOSTILE_INPUTS.md case 22: a textual search for `..` is not enough, so the resolved path is compared).
 *
 * @param root The save directory (relative paths are resolved against the working directory).
 * @param components Path components, as in `TorrentFile.path`.
 * @returns The absolute path, which starts with `resolve(root) + sep`.
 * @throws {RangeError} When the path resolves to the root itself or outside it, or a component holds a NUL.
 *
 * @example
 * ```ts
 * import { resolveInside } from "./resolve_inside.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(resolveInside("/srv/dl", ["movie", "a.mkv"]), "/srv/dl/movie/a.mkv");
 * assert.throws(() => resolveInside("/srv/dl", ["..", "etc", "passwd"]), RangeError);
 * ```
 */
export function resolveInside(root: string, components: readonly string[]): string {
  const base = resolve(root);
  for (const component of components) {
    if (component.includes("\0")) {
      throw new RangeError(
        `Cannot resolve path: component ${JSON.stringify(component)} holds a NUL character`,
      );
    }
  }
  const target = resolve(base, ...components);
  const prefix = base.endsWith(sep) ? base : base + sep;
  if (!target.startsWith(prefix) || target.length === prefix.length) {
    throw new RangeError(
      `Cannot resolve path: ${JSON.stringify(components.join("/"))} is not inside ${JSON.stringify(base)}`,
    );
  }
  return target;
}
