import { deepEqual } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent } from "../mod.ts";
import { floorPieceHashes } from "./create_floor.ts";
import { formatCreateFloor } from "./_create_floor_run.ts";

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

Deno.test("formatCreateFloor() reports the median run", () => {
  deepEqual(
    formatCreateFloor([0.4, 0.36, 0.5], 1024 * 1024 * 1024),
    "Deno floor (bench/create_floor.ts: two workers, read + SHA-1 only, no torrent), v1 warm: " +
      "median 0.40 s (2560 MiB/s) of 3 run(s)",
  );
  deepEqual(formatCreateFloor([], 1).endsWith("no run succeeded"), true);
});
