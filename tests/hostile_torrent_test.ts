/**
 * Hostile .torrent files through the `ccbt` CLI (HOSTILE_INPUTS.md cases 1–22): malformed ones exit with code 2
 * and one clear line on stderr; path-traversal ones are sanitised, and downloading them from an honest seeder
 * writes only inside the output directory.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { parseTorrent, Session } from "../mod.ts";
import { resolveInside } from "../engine/metainfo/mod.ts";
import { assertSameTree } from "./_helpers/files.ts";
import { waitForStatus } from "./_helpers/hostile_session.ts";
import { bytesOf, type HostileFile, malformedTorrents, rawTorrent } from "./_helpers/hostile_torrents.ts";

const REPO = new URL("..", import.meta.url).pathname;
const CLI = join(REPO, "cli", "main.ts");
const decoder = new TextDecoder();

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno run -A cli/main.ts ...args` without the DHT and LSD, killed after `timeoutMs`. */
async function runCli(args: string[], timeoutMs = 30_000): Promise<CliResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, ...args],
      cwd: REPO,
      // On by default, the DHT and local service discovery would reach the public routers and the LAN.
      env: { CCBT_DHT: "0", CCBT_LSD: "0" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).output();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Maps `items` through `fn` with at most `limit` running at once, keeping order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

/** Every entry under `root` (not following symlinks) with its kind, size and mtime, skipping `skip` dirs. */
async function snapshot(root: string, skip: readonly string[]): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (skip.includes(path)) continue;
      const stat = await Deno.lstat(path);
      const kind = stat.isSymlink ? "link" : stat.isDirectory ? "dir" : "file";
      entries.set(path, `${kind} ${stat.size} ${stat.mtime?.getTime()}`);
      if (stat.isDirectory) await walk(path);
    }
  };
  await walk(root);
  return entries;
}

/** Control characters other than newline: nothing the CLI prints should carry them from a torrent. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

Deno.test("ccbt info and download refuse each malformed .torrent with exit code 2 and one line on stderr", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_hostile_torrent_" });
  try {
    const cases = malformedTorrents();
    // One 10 MB + 1 byte file (HOSTILE_INPUTS.md case 10): refused by size before decoding.
    const big = new Uint8Array(10_000_001);
    big.set(new TextEncoder().encode("d4:info"));
    cases.push({ name: "10,000,001 bytes", bytes: big });
    const jobs = cases.flatMap((c, i) => {
      const path = join(dir, `bad_${i}.torrent`);
      return [
        { c, path, write: true, args: ["info", path] },
        {
          c,
          path,
          write: false,
          args: ["download", path, "-o", join(dir, `out_${i}`), "--no-seed", "--port", "0"],
        },
      ];
    });
    for (const [i, c] of cases.entries()) await Deno.writeFile(join(dir, `bad_${i}.torrent`), c.bytes);
    const results = await mapLimit(jobs, 4, (job) => runCli(job.args));
    const problems: string[] = [];
    for (const [i, job] of jobs.entries()) {
      const { code, stderr, stdout } = results[i];
      const lines = stderr.trimEnd().split("\n");
      const what = `${job.args[0]} ${job.c.name}`;
      if (code !== 2) problems.push(`${what}: exit code ${code}, stderr ${JSON.stringify(stderr)}`);
      else if (lines.length !== 1 || !/^ccbt: Cannot load .+: Cannot parse torrent: .+/.test(lines[0])) {
        problems.push(`${what}: stderr is not one clear line: ${JSON.stringify(stderr)}`);
      } else if (/Uncaught|\n\s+at /.test(stderr) || stdout.trim() !== "") {
        problems.push(`${what}: unexpected output ${JSON.stringify({ stdout, stderr })}`);
      }
    }
    deepEqual(problems, []);
    for (const i of cases.keys()) {
      equal(
        await Deno.stat(join(dir, `out_${i}`)).then(() => true, () => false),
        false,
        "no output dir made",
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Hostile names and paths that are sanitised, not refused (HOSTILE_INPUTS.md cases 14–18). */
function traversalTorrents(root: string): { name: string; bytes: Uint8Array; files: HostileFile[] }[] {
  let seed = 100;
  const file = (...path: string[]): HostileFile => ({ path, data: bytesOf(5000 + seed * 7, seed++) });
  const up = Array(6).fill("..");
  const multi = (name: string, files: HostileFile[]) => ({ name, bytes: rawTorrent(name, files), files });
  const single = (name: string) => {
    const files = [file(name)];
    return { name, bytes: rawTorrent(name, files, true), files };
  };
  return [
    multi("..", [
      file(...up, "escaped_up.txt"),
      file("..", "..", "etc", "x"),
      file(`${root}/abs_component`),
      file("/", "tmp", "abs_list"),
      file("a/../../b"),
      file("..\\..\\win"),
      file("C:\\x"),
      file("\\\\server\\share\\x"),
      file("ctl\x00\x1b[2J\x07name"),
      file("", "empty_first"),
      file(".", "dot_first"),
      file("bidi\u202egpj.exe"),
      file("nul.txt"),
    ]),
    multi(`${root}/abs_name_dir`, [file("inner.bin")]),
    multi("", [file("nameless.bin")]),
    single("../../../../../escaped_single.bin"),
    single(`${root}/abs_single.bin`),
    single("evil\nname\x1b[31m.bin"),
    single("."),
  ];
}

Deno.test("ccbt downloads path-traversal torrents only inside the output directory", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ccbt_hostile_paths_" }));
  const out = join(root, "a", "b", "c", "d", "out");
  const seedDir = join(root, "seed");
  await Deno.mkdir(out, { recursive: true });
  await Deno.mkdir(join(root, "outside"));
  await Deno.writeTextFile(join(root, "outside", "keep.txt"), "untouched");
  try {
    const torrents = traversalTorrents(root);
    const paths: string[] = [];
    for (const [i, t] of torrents.entries()) {
      const info = parseTorrent(t.bytes);
      // The honest seeder holds each file where its sanitised path resolves.
      for (const [j, f] of info.files.entries()) {
        const target = resolveInside(seedDir, f.path);
        await Deno.mkdir(join(target, ".."), { recursive: true });
        await Deno.writeFile(target, t.files[j].data);
      }
      const path = join(root, `t${i}.torrent`);
      await Deno.writeFile(path, t.bytes);
      paths.push(path);
      const shown = await runCli(["info", path]);
      equal(shown.code, 0, `info ${JSON.stringify(t.name)}: ${shown.stderr}`);
      ok(!CONTROL.test(shown.stdout), `info prints no control characters: ${JSON.stringify(shown.stdout)}`);
    }
    const before = await snapshot(root, [out, seedDir]);

    await using seeder = new Session({ listenHost: "127.0.0.1" });
    for (const t of torrents) {
      const handle = await seeder.addTorrent({ torrent: t.bytes, savePath: seedDir });
      await waitForStatus(handle, (s) => s.state === "seeding", 10_000);
    }
    const run = await runCli([
      "download",
      ...paths,
      "-o",
      out,
      "--no-seed",
      "--port",
      "0",
      "--peer",
      `127.0.0.1:${seeder.listenPort}`,
    ]);
    equal(run.code, 0, `download failed: ${run.stderr}`);

    deepEqual(
      await snapshot(root, [out, seedDir]),
      before,
      "nothing appeared or changed outside the output dir",
    );
    equal(await Deno.readTextFile(join(root, "outside", "keep.txt")), "untouched");
    await assertSameTree(seedDir, out);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ccbt download does not write through a symlink in the output directory that points outside it", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ccbt_hostile_symlink_" }));
  const out = join(root, "out");
  const seedDir = join(root, "seed");
  const precious = join(root, "outside", "precious.txt");
  await Deno.mkdir(out);
  await Deno.mkdir(seedDir);
  await Deno.mkdir(join(root, "outside"));
  await Deno.writeTextFile(precious, "precious data that must survive");
  try {
    const data = bytesOf(3 * 16384 + 5, 7);
    const bytes = rawTorrent("victim.bin", [{ path: ["victim.bin"], data }], true);
    await Deno.writeFile(join(seedDir, "victim.bin"), data);
    const path = join(root, "victim.torrent");
    await Deno.writeFile(path, bytes);
    // HOSTILE_INPUTS.md case 21: a symlink already in the save dir that points outside it.
    await Deno.symlink(precious, join(out, "victim.bin"));

    await using seeder = new Session({ listenHost: "127.0.0.1" });
    const handle = await seeder.addTorrent({ torrent: bytes, savePath: seedDir });
    await waitForStatus(handle, (s) => s.state === "seeding", 10_000);
    const run = await runCli(
      ["download", path, "-o", out, "--no-seed", "--port", "0", "--peer", `127.0.0.1:${seeder.listenPort}`],
      20_000,
    );
    equal(
      await Deno.readTextFile(precious),
      "precious data that must survive",
      `the file outside the output dir was overwritten (exit ${run.code}, stderr ${
        JSON.stringify(run.stderr)
      })`,
    );
    match(String(run.code), /^[01]$/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
