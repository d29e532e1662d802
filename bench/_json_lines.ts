/**
 * Reading the one-JSON-object-per-line output of the tools the bench runs (ccbt `--json`, lt_create.py,
 * lt_recheck.py, the startup child).
 *
 * @module
 */

/**
 * The JSON objects of `text`, one per line; lines that are not JSON objects are skipped.
 *
 * @param text A process's stdout.
 * @returns The parsed objects, in order.
 */
// deno-lint-ignore no-explicit-any
export function jsonLines(text: string): Record<string, any>[] {
  // deno-lint-ignore no-explicit-any
  const out: Record<string, any>[] = [];
  for (const line of text.split("\n")) {
    try {
      const value = JSON.parse(line);
      if (typeof value === "object" && value !== null) out.push(value);
    } catch {
      // Not a JSON line (progress text, warnings): skipped.
    }
  }
  return out;
}
