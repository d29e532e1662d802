import { join } from "node:path";
import { createTorrent } from "../../mod.ts";
import { jsonEvents, runCcbt, startCcbt } from "../../tests/_helpers/ccbt.ts";
import { makePayload } from "../../tests/_helpers/files.ts";
import { startLibtorrentSeeder } from "../../tests/_helpers/libtorrent.ts";
const dir = await Deno.makeTempDir({ prefix: "r2exp_" });
const data = join(dir, "seed");
await makePayload(data, { files: [{ path: "big.bin", size: 4 << 20 }] }, 5);
const { bytes, info } = await createTorrent(join(data, "big.bin"), { pieceLength: 16384 });
const tp = join(dir, "t.torrent");
await Deno.writeFile(tp, bytes);
const t0 = Date.now();
await using seeder = await startLibtorrentSeeder({ torrentPath: tp, dataDir: data, uploadLimit: 1 << 20 });
console.log("seeder ready", Date.now() - t0);
const out = join(dir, "out");
const state = join(dir, "state");
const child = startCcbt([
  "download",
  tp,
  "-o",
  out,
  "--state-dir",
  state,
  "--peer",
  `127.0.0.1:${seeder.port}`,
  "--port",
  "0",
  "--bind",
  "127.0.0.1",
  "--no-seed",
  "--json",
], {});
await child.status;
console.log("done", Date.now() - t0);
for (const l of child.lines) if (!l.text.includes('"piece"')) console.log(l.stream, l.text.slice(0, 300));
await Deno.remove(dir, { recursive: true });
