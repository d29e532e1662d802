import { deepEqual } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent } from "../mod.ts";
import { floorPieceHashes } from "./create_floor.ts";

Deno.test("create_floor hashes the same v1 pieces as createTorrent", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "f.bin");
    await Deno.writeFile(path, new Uint8Array(5 * 16384 + 123).map((_, i) => (i * 7) % 256));
    const { info } = await createTorrent(path, { pieceLength: 16384 });
    deepEqual(await floorPieceHashes(path, 16384), info.pieceHashes);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
