/**
 * A v2-only and a hybrid torrent (BEP 52) resume from the state database like v1 ones: after a restart the
 * recorded pieces of unchanged files are trusted (not hashed again, nothing downloaded again), padding files
 * included.
 */

import { equal } from "node:assert/strict";
import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";
import { makePayload } from "./_helpers/files.ts";
import { AlertLog, waitForStatus } from "./_helpers/hostile_session.ts";

for (const version of ["v2", "hybrid"] as const) {
  Deno.test(`A ${version} torrent resumes from the state database without checking or downloading again`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `ccbt_${version}_resume_` });
    try {
      const seed = join(dir, "seed");
      await makePayload(join(seed, "set"), {
        files: [{ path: "a.bin", size: 70_001 }, { path: "b/c.bin", size: 20_000 }, {
          path: "d.txt",
          size: 5,
        }],
      }, 61);
      const { bytes } = await createTorrent(join(seed, "set"), { pieceLength: 16384, version });
      await using seeder = new Session({ listenHost: "127.0.0.1" });
      const seeding = await seeder.addTorrent({ torrent: bytes, savePath: seed });
      await waitForStatus(seeding, (s) => s.state === "seeding", 10_000);

      const state = join(dir, "state");
      const out = join(dir, "out");
      {
        await using leecher = new Session({ listenHost: "127.0.0.1", stateDir: state });
        const handle = await leecher.addTorrent({
          torrent: bytes,
          savePath: out,
          peers: [{ host: "127.0.0.1", port: seeder.listenPort }],
        });
        await waitForStatus(handle, (s) => s.state === "seeding", 15_000);
      }
      // Flip a byte but keep size and mtime: a trusted record means the file is not hashed again, so the flip goes
      // unnoticed; a recheck would have caught it.
      const path = join(out, "set", "a.bin");
      const { mtime, atime } = await Deno.stat(path);
      const data = await Deno.readFile(path);
      data[100] ^= 0xff;
      await Deno.writeFile(path, data);
      await Deno.utime(path, atime!, mtime!);
      await using again = new Session({ listenHost: "127.0.0.1", stateDir: state });
      const log = new AlertLog(again);
      const handle = await again.addTorrent({ torrent: bytes, savePath: out });
      await waitForStatus(handle, (s) => s.state === "seeding", 10_000);
      const status = handle.status();
      equal(status.downloaded, 0, "nothing downloaded again");
      equal(status.progress, 1, "the recorded pieces are trusted, not hashed again");
      equal(log.ofType("torrent_checked").length, 1);
      equal(log.ofType("hash_failed").length, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
