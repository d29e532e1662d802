/**
 * `deno task demo`: the main job on a built-in example. Makes a 64 MiB multi-file payload, seeds it from a local
 * ccbt session on 127.0.0.1, and downloads it through the normal `ccbt download` command (with its progress bar
 * on a terminal), then checks the result byte for byte.
 *
 * Usage: deno task demo [--size MIB] [--keep]
 *
 * @module
 */

import { join } from "node:path";
import { createTorrent, Session } from "../mod.ts";

const args = [...Deno.args];
const sizeFlag = args.indexOf("--size");
const sizeMiB = sizeFlag >= 0 ? Number(args[sizeFlag + 1]) : 64;
const keep = args.includes("--keep");
if (!(sizeMiB > 0)) {
  console.error("demo: --size takes a number of MiB");
  Deno.exit(2);
}

/** Fills `path` with `size` pseudo-random bytes (xorshift32), 1 MiB at a time. */
async function writeRandomFile(path: string, size: number, seed: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const chunk = new Uint8Array(1 << 20);
  const words = new Uint32Array(chunk.buffer);
  let x = seed >>> 0 || 1;
  for (let written = 0; written < size;) {
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    const n = Math.min(chunk.length, size - written);
    await file.write(chunk.subarray(0, n));
    written += n;
  }
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([Deno.readFile(a), Deno.readFile(b)]);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

const dir = await Deno.makeTempDir({ prefix: "ccbt_demo_" });
const content = join(dir, "seed", "demo-album");
await Deno.mkdir(join(content, "bonus"), { recursive: true });
const total = Math.round(sizeMiB * 1024 * 1024);
const files = [
  { path: "track-1.flac", size: Math.floor(total * 0.6) },
  { path: "track-2.flac", size: Math.floor(total * 0.3) + 12_345 },
  { path: join("bonus", "liner-notes.txt"), size: 4_321 },
];
console.log(`Making a ${sizeMiB} MiB example in ${dir}`);
for (const [i, f] of files.entries()) await writeRandomFile(join(content, f.path), f.size, i + 1);
const { bytes, info } = await createTorrent(content, { comment: "ccbt demo" });
const torrentPath = join(dir, "demo-album.torrent");
await Deno.writeFile(torrentPath, bytes);
console.log(
  `Torrent: ${info.name}, ${info.pieceCount} pieces of ${info.pieceLength / 1024} KiB, ${info.infoHashHex}`,
);

await using seeder = new Session({ listenHost: "127.0.0.1" });
const seeding = await seeder.addTorrent({ torrent: bytes, savePath: join(dir, "seed") });
while (seeding.status().state !== "seeding") {
  if (seeding.status().state === "error") throw new Error(`The seeder failed: ${seeding.status().error}`);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
console.log(`Seeding from a local session on 127.0.0.1:${seeder.listenPort}\n`);

const out = join(dir, "downloads");
const cmd = [
  "download",
  torrentPath,
  "--output",
  out,
  "--peer",
  `127.0.0.1:${seeder.listenPort}`,
  "--port",
  "0",
  // The demo's resume state lives in its own directory, not in ~/.local/share/ccbt.
  "--state-dir",
  join(dir, "state"),
  // The seeder is on this machine: no need to ask the public DHT or the LAN.
  "--no-dht",
  "--no-lsd",
];
console.log(`$ ccbt ${cmd.join(" ")} --no-seed`);
const started = performance.now();
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL("../cli/main.ts", import.meta.url).pathname, ...cmd, "--no-seed"],
  stdin: "null",
  stdout: "inherit",
  stderr: "inherit",
}).output();
const seconds = (performance.now() - started) / 1000;

let ok = code === 0;
for (const f of files) ok = ok && await sameBytes(join(content, f.path), join(out, info.name, f.path));
console.log(
  ok
    ? `\nDownloaded ${sizeMiB} MiB in ${seconds.toFixed(1)} s and verified every byte: ${
      join(out, info.name)
    }`
    : `\nThe download failed (exit code ${code})`,
);
await seeder.close();
if (!keep) await Deno.remove(dir, { recursive: true });
Deno.exit(ok ? 0 : 1);
