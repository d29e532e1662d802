/**
 * Memory warm-up before each timed client. On these VMs freed guest memory is handed back to the host within
 * a few seconds, and the first write to such a page is several times slower than to a warm one (DESIGN.md
 * section 7). Each client writes its whole download into fresh page cache, so without a warm-up whichever
 * client runs after an idle gap pays for it. We warm the same way before every run: `dd` reads `bytes` of
 * `/dev/zero` into one buffer (touching every page) and exits, freeing it; the client is spawned at once,
 * while those pages are still backed by the host.
 *
 * @module
 */

/**
 * Touches and frees `bytes` of memory in a `dd` child process.
 *
 * @param bytes How much to touch, in bytes (rounded up to MiB); 0 does nothing.
 * @returns Seconds the warm-up took (a cold VM shows here as a slow warm-up).
 * @throws {Error} When `dd` fails.
 */
export async function warmMemory(bytes: number): Promise<number> {
  if (bytes <= 0) return 0;
  const mib = Math.ceil(bytes / 1_048_576);
  const started = performance.now();
  const { success, stderr } = await new Deno.Command("dd", {
    args: ["if=/dev/zero", "of=/dev/null", `bs=${mib}M`, "count=1"],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`Cannot warm memory with dd: ${new TextDecoder().decode(stderr).trim()}`);
  return (performance.now() - started) / 1000;
}
