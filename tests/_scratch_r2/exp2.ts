import { join } from "node:path";
import { createTorrent } from "../../mod.ts";
import { runCcbt } from "../_helpers/ccbt.ts";
import { makePayload } from "../_helpers/files.ts";
const dir = await Deno.makeTempDir({ prefix: "r2exp_" });
const data = join(dir, "seed");
const size = Number(Deno.args[0] ?? 64) << 20;
let t0 = Date.now();
await makePayload(data, { files: [{ path: "big.bin", size }] }, 5);
const { bytes } = await createTorrent(join(data, "big.bin"), { pieceLength: Number(Deno.args[1] ?? 262144) });
console.log("make", Date.now() - t0);
const tp = join(dir, "t.torrent");
await Deno.writeFile(tp, bytes);
for (const backend of ["native", "wasm"]) {
  t0 = Date.now();
  const r = await runCcbt([
    "recheck",
    tp,
    "--dir",
    data,
    "--state-dir",
    join(dir, "s" + backend),
    "--json",
    "--hash-backend",
    backend,
  ]);
  console.log(backend, "recheck", Date.now() - t0, r.code);
  console.log(r.stdout.split("\n").filter((l) => !l.includes('"piece"')).join("\n").slice(0, 3000), r.stderr);
}
await Deno.remove(dir, { recursive: true });
