import { join } from "node:path";
import { createTorrent, Session } from "../../mod.ts";
import { runCcbt } from "../_helpers/ccbt.ts";
import { makePayload } from "../_helpers/files.ts";
const dir = await Deno.makeTempDir({ prefix: "r2exp_" });
const data = join(dir, "seed");
await makePayload(join(data, "set"), { files: [{ path: "a.bin", size: 100_000 }, { path: "b.bin", size: 1 << 20 }] }, 5);
const { bytes, info } = await createTorrent(join(data, "set"), { pieceLength: 16384 });
const tp = join(dir, "t.torrent");
await Deno.writeFile(tp, bytes);
await using seeder = new Session({ listenHost: "127.0.0.1" });
await seeder.addTorrent({ torrent: bytes, savePath: data });
const out = join(dir, "out"); await Deno.mkdir(out);
const state = join(dir, "state");
new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", "size=256k", "tmpfs", out] }).outputSync();
try {
  const r = await runCcbt(["download", tp, "-o", out, "--state-dir", state, "--peer", `127.0.0.1:${seeder.listenPort}`, "--port", "0", "--bind", "127.0.0.1", "--no-seed", "--json"], { timeoutMs: 30000 });
  console.log(r.code, r.stdout.split("\n").filter((l) => !l.includes('"piece"')).join("\n"), "STDERR", r.stderr);
  console.log((await runCcbt(["checkpoints", "list", "--json", "--state-dir", state])).stdout);
  new Deno.Command("mount", { args: ["-o", "remount,size=4m", out] }).outputSync();
  const r2 = await runCcbt(["resume", info.infoHashHex, "--state-dir", state, "--peer", `127.0.0.1:${seeder.listenPort}`, "--port", "0", "--bind", "127.0.0.1", "--no-seed", "--json"], { timeoutMs: 30000 });
  console.log(r2.code, r2.stdout.split("\n").filter((l) => !l.includes('"piece"')).join("\n"), "STDERR", r2.stderr);
} finally {
  new Deno.Command("umount", { args: [out] }).outputSync();
  await Deno.remove(dir, { recursive: true });
}
