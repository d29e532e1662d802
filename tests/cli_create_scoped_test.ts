/**
 * `ccbt create` in a run scoped to read the content and write the output directory only (DESIGN.md section 1):
 * its disk workers are blob workers that open the content read-only, so they need no other permission.
 */

import { deepEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent } from "../mod.ts";
import { runCcbt } from "./_helpers/ccbt.ts";
import { makePayload } from "./_helpers/files.ts";

Deno.test("ccbt create works with --allow-read of the content and --allow-write of the output only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_cli_create_scoped_" });
  try {
    const content = join(dir, "set");
    const out = join(dir, "out");
    await Deno.mkdir(out);
    await makePayload(content, {
      files: [{ path: "a.bin", size: 70_000 }, { path: "b/c.bin", size: 1 }, { path: "b/empty", size: 0 }],
    });
    for (const flag of [[], ["--v2"], ["--hybrid"]]) {
      const torrent = join(out, `set${flag.join("")}.torrent`);
      const args = ["create", content, "--output", torrent, "--piece-length", "16384", "--json", ...flag];
      const created = await runCcbt(args, {
        permissions: [`--allow-read=${content}`, `--allow-write=${out}`],
      });
      equal(created.code, 0, created.stderr);
      const made = JSON.parse(created.stdout);
      const version = flag.length === 0 ? "v1" : flag[0].slice(2) as "v2" | "hybrid";
      const { info } = await createTorrent(content, { version, pieceLength: 16_384 });
      deepEqual([made.version, made.infoHash, made.infoHashV2], [
        version,
        info.infoHashHex,
        info.infoHashV2Hex,
      ]);
    }
    const denied = await runCcbt(["create", content, "--output", join(dir, "elsewhere.torrent")], {
      permissions: [`--allow-read=${content}`, `--allow-write=${out}`],
    });
    equal(denied.code, 1);
    match(denied.stderr, /write access/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
