/**
 * How the bench starts ccbt: the permissions `deno task ccbt` grants, and paths of scripts in this repository.
 *
 * @module
 */

/** The permissions of `deno task ccbt` (deno.json), so timed runs pay what a user's run pays. */
export const CCBT_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
];

/**
 * Absolute path of a file relative to the `bench/` directory.
 *
 * @param relative Path relative to this module, e.g. `"../cli/main.ts"`.
 * @returns The absolute file path.
 */
export function benchPath(relative: string): string {
  return decodeURIComponent(new URL(relative, import.meta.url).pathname);
}

/** The ccbt CLI entry point. */
export const CLI_MAIN: string = benchPath("../cli/main.ts");
