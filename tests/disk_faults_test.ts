/**
 * Disk faults (HOSTILE_INPUTS.md cases 56 to 58): a disk that fills up, a read-only save directory, and a payload
 * file deleted while its torrent downloads. The torrent goes to `error` with a message naming the file and the
 * cause, the session and its other torrents carry on, verified pieces stay verified, and a resume completes
 * without fetching them again.
 *
 * The disk faults are real: a tmpfs of 256 KiB, and a read-only tmpfs (root ignores chmod). CI runs as root, so
 * there the tests must mount; elsewhere they fall back to FaultyDiskIo and chmod.
 */

import { doesNotMatch, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { InlineDiskIo } from "../engine/storage/inline_disk_io.ts";
import { FaultyDiskIo } from "../engine/storage/faulty_disk_io.ts";
import { Session } from "../mod.ts";
import { jsonEvents, runCcbt } from "./_helpers/ccbt.ts";
import { assertSameTree } from "./_helpers/files.ts";
import { startLibtorrentSeeder } from "./_helpers/libtorrent.ts";
import {
  AlertLog,
  type CcbtEvent,
  describeEvents,
  lastProgress,
  listCheckpoints,
  makeTorrentFixture,
  mountTmpfs,
  piecesOfRange,
  remountTmpfs,
  startSeeder,
  swarmArgs,
  type TorrentFixture,
  unmount,
  withTempDir,
} from "./_helpers/resume.ts";

const KIB = 1024;
const MIB = 1024 * KIB;

/** A mount failed: fine for a user without root, a broken test machine for root. */
function requireNotRoot(what: string): void {
  if (Deno.uid() === 0) throw new Error(`Cannot mount ${what} although running as root`);
}

/** Escapes `text` for use in a RegExp. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A 1 MiB two-file torrent and an in-process seeder of it. */
async function oneMibTorrent(dir: string): Promise<{ fixture: TorrentFixture; seeder: Session }> {
  const fixture = await makeTorrentFixture(dir, {
    name: "full",
    files: [{ path: "a.bin", size: 300_000 }, { path: "b.bin", size: MIB - 300_000 }],
    pieceLength: 16 * KIB,
    seed: 51,
  });
  return { fixture, seeder: await startSeeder(fixture) };
}

Deno.test("ccbt download into a full disk ends in error naming the file and ENOSPC, records what it wrote, and resumes", async () => {
  await withTempDir("ccbt_disk_full_", async (dir) => {
    const { fixture, seeder } = await oneMibTorrent(dir);
    await using _seeder = seeder;
    const out = join(dir, "out");
    const state = join(dir, "state");
    await Deno.mkdir(out);
    if (!await mountTmpfs(out, "size=256k")) {
      requireNotRoot("a 256 KiB tmpfs");
      await diskFullThroughLibrary(fixture, seeder.listenPort, out, state);
      return;
    }
    try {
      const total = fixture.info.totalLength;
      const args = swarmArgs([seeder.listenPort]);
      const first = await runCcbt([
        "download",
        fixture.torrentPath,
        "-o",
        out,
        "--state-dir",
        state,
        ...args,
      ]);
      const events = jsonEvents(first.stdout) as CcbtEvent[];
      equal(first.code, 1, `${first.stderr}\n${describeEvents(events)}`);
      doesNotMatch(first.stderr, /Uncaught|panicked/);
      const done = events.find((e) => e.event === "done");
      match(
        String(done?.reason),
        new RegExp(`^failed: .*${literal(join(out, "full"))}/[ab]\\.bin: ENOSPC`),
        describeEvents(events),
      );
      const atError = lastProgress(events);
      equal(atError.state, "error");
      const verified = atError.verifiedBytes as number;
      ok(verified > 0, `nothing was verified before the disk was full:\n${describeEvents(events)}`);
      const [recorded] = await listCheckpoints(state);
      equal(recorded?.state, "error");

      await remountTmpfs(out, "size=4m");
      const resumed = await runCcbt(["resume", fixture.info.infoHashHex, "--state-dir", state, ...args]);
      equal(resumed.code, 0, resumed.stderr);
      const after = jsonEvents(resumed.stdout) as CcbtEvent[];
      const end = lastProgress(after);
      equal(end.verifiedBytes, total, describeEvents(after));
      // The pieces verified before the disk filled up are on disk: the resume finds them (recorded, or by
      // checking the files that changed) and fetches only the rest, with two pieces of margin for a block
      // received twice.
      ok(
        (end.downloaded as number) <= total - verified + 2 * fixture.info.pieceLength,
        `the resume received ${end.downloaded} bytes, but ${verified} of ${total} were verified before:\n` +
          describeEvents(after),
      );
      await assertSameTree(join(fixture.data, "full"), join(out, "full"));
      ok(
        recorded.progress > 0,
        `${verified} bytes were verified and written before the disk was full, but the store recorded none ` +
          `of them: ${JSON.stringify(recorded)}`,
      );
    } finally {
      await unmount(out);
    }
  });
});

/** Without root: the same disk-full story through the library, with FaultyDiskIo filling up after 256 KiB. */
async function diskFullThroughLibrary(
  fixture: TorrentFixture,
  seederPort: number,
  out: string,
  stateDir: string,
): Promise<void> {
  const diskIo = new FaultyDiskIo(new InlineDiskIo(), { diskFullAfterBytes: 256 * KIB });
  try {
    await using session = new Session({ listenHost: "127.0.0.1", diskIo, stateDir });
    const log = new AlertLog(session);
    const handle = await session.addTorrent({
      torrent: fixture.bytes,
      savePath: out,
      peers: [{ host: "127.0.0.1", port: seederPort }],
    });
    const error = await log.waitFor((a) => a.type === "torrent_error", {
      timeoutMs: 30_000,
      what: "the disk-full error",
    });
    match((error as { message: string }).message, /full\/[ab]\.bin.*ENOSPC|ENOSPC.*full\/[ab]\.bin/);
    const verified = handle.status().verifiedBytes;
    ok(verified > 0);
    diskIo.faults = {};
    const from = log.alerts.length;
    handle.resume();
    await log.waitFor((a) => a.type === "peer_connected", {
      timeoutMs: 10_000,
      from,
      what: "resume() reconnecting to the seeder it dropped when the torrent failed",
    });
    await log.waitFor((a) => a.type === "torrent_finished", {
      timeoutMs: 30_000,
      from,
      what: "the download finishing",
    });
    ok(handle.status().downloaded <= fixture.info.totalLength - verified + 2 * fixture.info.pieceLength);
  } finally {
    await diskIo.close();
  }
  await assertSameTree(join(fixture.data, "full"), join(out, "full"));
}

Deno.test("ccbt download into a read-only directory ends in error naming the path, exit code 1", async () => {
  await withTempDir("ccbt_read_only_", async (dir) => {
    const { fixture, seeder } = await oneMibTorrent(dir);
    await using _seeder = seeder;
    const out = join(dir, "out");
    await Deno.mkdir(out);
    const mounted = await mountTmpfs(out, "ro");
    if (!mounted) {
      requireNotRoot("a read-only tmpfs");
      await Deno.chmod(out, 0o555);
    }
    try {
      const result = await runCcbt([
        "download",
        fixture.torrentPath,
        "-o",
        out,
        "--state-dir",
        join(dir, "state"),
        ...swarmArgs([seeder.listenPort]),
      ]);
      const events = jsonEvents(result.stdout) as CcbtEvent[];
      equal(result.code, 1, `${result.stderr}\n${describeEvents(events)}`);
      doesNotMatch(result.stderr, /Uncaught|panicked/);
      const done = events.find((e) => e.event === "done");
      const cause = mounted ? "EROFS" : "EACCES";
      match(
        String(done?.reason),
        new RegExp(`^failed: .*${literal(out)}/full\\S*: ${cause}`),
        describeEvents(events),
      );
      equal(lastProgress(events).state, "error");
    } finally {
      if (mounted) await unmount(out);
      else await Deno.chmod(out, 0o755);
    }
  });
});

Deno.test("a payload file deleted mid-download fails its torrent only, and resume() re-checks and completes it", async () => {
  await withTempDir("ccbt_deleted_file_", async (dir) => {
    const set = await makeTorrentFixture(dir, {
      name: "set",
      files: [{ path: "a.bin", size: MIB }, { path: "b.bin", size: 3 * MIB }],
      pieceLength: 32 * KIB,
      seed: 52,
    });
    const other = await makeTorrentFixture(dir, {
      name: "other.bin",
      files: [{ path: "other.bin", size: 1536 * KIB }],
      pieceLength: 32 * KIB,
      seed: 53,
    });
    // Slow seeders keep both torrents downloading for a few seconds: `set` at 1 MiB/s needs ~3 s for b.bin,
    // `other` at 256 KiB/s ~6 s, so it is still running when `set` fails.
    await using setSeeder = await startLibtorrentSeeder({
      torrentPath: set.torrentPath,
      dataDir: set.data,
      uploadLimit: MIB,
    });
    await using otherSeeder = await startLibtorrentSeeder({
      torrentPath: other.torrentPath,
      dataDir: other.data,
      uploadLimit: 256 * KIB,
    });
    const out = join(dir, "out");
    // a.bin is already complete, so nothing writes to it again once it is deleted: the deletion must be noticed
    // (it cannot be papered over by a later write re-creating the file).
    await Deno.mkdir(join(out, "set"), { recursive: true });
    const aPath = join(out, "set", "a.bin");
    await Deno.copyFile(join(set.data, "set", "a.bin"), aPath);
    const aPieces = piecesOfRange(set.info, 0, MIB).length;

    await using session = new Session({ listenHost: "127.0.0.1", stateDir: join(dir, "state") });
    const log = new AlertLog(session);
    const peer = (port: number) => [{ host: "127.0.0.1", port }];
    const setHandle = await session.addTorrent({
      torrent: set.bytes,
      savePath: out,
      peers: peer(setSeeder.port),
    });
    const otherHandle = await session.addTorrent({
      torrent: other.bytes,
      savePath: out,
      peers: peer(otherSeeder.port),
    });
    const ofSet = (type: string) => (a: { type: string; infoHash?: string }) =>
      a.type === type && a.infoHash === setHandle.infoHash;

    const checked = await log.waitFor(ofSet("torrent_checked"), {
      timeoutMs: 30_000,
      what: "the first check",
    });
    equal((checked as { piecesHave: number }).piecesHave, aPieces);
    await log.waitFor(ofSet("piece_finished"), { timeoutMs: 30_000, what: "a downloaded piece" });
    await Deno.remove(aPath);

    const error = await log.waitFor(ofSet("torrent_error"), {
      timeoutMs: 30_000,
      what: "the torrent failing",
    });
    match((error as { message: string }).message, new RegExp(literal(aPath)));
    equal(setHandle.status().state, "error");
    equal(otherHandle.status().state, "downloading", "the other torrent was running when the first failed");

    const from = log.alerts.length;
    setHandle.resume();
    const rechecked = await log.waitFor(ofSet("torrent_checked"), {
      timeoutMs: 30_000,
      from,
      what: "the re-check",
    });
    ok(
      (rechecked as { piecesHave: number }).piecesHave <= set.info.pieceCount - aPieces,
      `pieces of the deleted file were kept: ${JSON.stringify(rechecked)}`,
    );
    // The seeder is up and was dropped only because of our own error: resuming must connect to it again
    // right away (within a tick or two), not after a reconnect back-off meant for peers that failed us.
    await log.waitFor(ofSet("peer_connected"), {
      timeoutMs: 10_000,
      from,
      what: "resume() reconnecting to the seeder it dropped when the torrent failed",
    });
    await log.waitFor(ofSet("torrent_finished"), {
      timeoutMs: 30_000,
      from,
      what: "the resumed torrent finishing",
    });
    await log.waitFor((a) => a.type === "torrent_finished" && a.infoHash === otherHandle.infoHash, {
      timeoutMs: 30_000,
      what: "the other torrent finishing",
    });
    await session.close();
    await assertSameTree(set.data, out);
  });
});

Deno.test("a payload file replaced mid-download by another of the same size is not trusted", async () => {
  await withTempDir("ccbt_replaced_file_", async (dir) => {
    const set = await makeTorrentFixture(dir, {
      name: "set",
      files: [{ path: "a.bin", size: MIB }, { path: "b.bin", size: 3 * MIB }],
      pieceLength: 32 * KIB,
      seed: 54,
    });
    await using seeder = await startLibtorrentSeeder({
      torrentPath: set.torrentPath,
      dataDir: set.data,
      uploadLimit: MIB,
    });
    const out = join(dir, "out");
    await using session = new Session({ listenHost: "127.0.0.1", stateDir: join(dir, "state") });
    const log = new AlertLog(session);
    const handle = await session.addTorrent({
      torrent: set.bytes,
      savePath: out,
      peers: [{ host: "127.0.0.1", port: seeder.port }],
    });
    const ofSet = (type: string) => (a: { type: string; infoHash?: string }) =>
      a.type === type && a.infoHash === handle.infoHash;
    const aPieces = piecesOfRange(set.info, 0, MIB).length;
    await log.waitFor((a) => ofSet("piece_finished")(a) && (a as { piece: number }).piece < aPieces, {
      timeoutMs: 30_000,
      what: "a verified piece of a.bin",
    });
    // Another program replaces a.bin by a new file of the same length (zeros): the verified pieces in it are
    // gone, though its size still covers them.
    const aPath = join(out, "set", "a.bin");
    await Deno.remove(aPath);
    await Deno.writeFile(aPath, new Uint8Array(MIB));

    const outcome = await log.waitFor((a) => ofSet("torrent_finished")(a) || ofSet("torrent_error")(a), {
      timeoutMs: 30_000,
      what: "the torrent finishing or failing",
    });
    if (outcome.type === "torrent_error") {
      // Noticed: resuming re-checks a.bin and fetches what it lost.
      const from = log.alerts.length;
      handle.resume();
      await log.waitFor(ofSet("torrent_finished"), {
        timeoutMs: 60_000,
        from,
        what: "the resumed torrent finishing",
      });
    }
    await session.close();
    // Claiming the torrent complete while a.bin holds zeros where verified pieces were would seed bad data.
    await assertSameTree(set.data, out);
  });
});
