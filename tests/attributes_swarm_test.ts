/**
 * BEP 47 end to end between two sessions: a hybrid torrent's padding files are never written, and a file marked
 * executable (attr `x`) arrives executable once the download finishes.
 */

import { deepEqual, equal } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";
import { makePayload } from "./_helpers/files.ts";
import { waitForStatus } from "./_helpers/hostile_session.ts";

Deno.test("A hybrid torrent downloads without writing its padding files, and keeps the executable bit (BEP 47)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_attr_" });
  try {
    const seed = join(dir, "seed");
    await makePayload(join(seed, "tool"), {
      files: [{ path: "run.sh", size: 20_001 }, { path: "lib/data.bin", size: 50_000 }],
    }, 47);
    await Deno.chmod(join(seed, "tool", "run.sh"), 0o755);
    const { bytes, info } = await createTorrent(join(seed, "tool"), {
      pieceLength: 16384,
      version: "hybrid",
    });
    const run = info.files.find((f) => f.path.at(-1) === "run.sh")!;
    equal(run.executable, true);
    equal(info.files.some((f) => f.padding), true, "the hybrid has padding files");

    await using seeder = new Session({ listenHost: "127.0.0.1" });
    const seeding = await seeder.addTorrent({ torrent: bytes, savePath: seed });
    await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);
    await using leecher = new Session({ listenHost: "127.0.0.1" });
    const out = join(dir, "out");
    const handle = await leecher.addTorrent({
      torrent: bytes,
      savePath: out,
      peers: [{ host: "127.0.0.1", port: seeder.listenPort }],
    });
    await waitForStatus(handle, (s) => s.state === "seeding", 15_000);

    deepEqual((await Array.fromAsync(Deno.readDir(join(out, "tool")))).map((e) => e.name).sort(), [
      "lib",
      "run.sh",
    ]);
    for (const path of ["run.sh", "lib/data.bin"]) {
      equal(
        Buffer.compare(
          await Deno.readFile(join(out, "tool", path)),
          await Deno.readFile(join(seed, "tool", path)),
        ),
        0,
      );
    }
    equal((await Deno.stat(join(out, "tool", "run.sh"))).mode! & 0o111, 0o111, "run.sh is executable");
    equal((await Deno.stat(join(out, "tool", "lib", "data.bin"))).mode! & 0o111, 0, "data.bin is not");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
