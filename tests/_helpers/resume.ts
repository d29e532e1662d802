/**
 * Shared steps of the crash-safety and disk-fault tests (`tests/resume_*_test.ts`, `tests/disk_faults_test.ts`):
 * payload torrents, `ccbt` runs watched through their NDJSON events and killed at a chosen moment, the recorded
 * state as `ccbt checkpoints list --json` shows it, piece arithmetic, and tmpfs mounts for real disk faults.
 *
 * @module
 */

import { join } from "node:path";
import { type Alert, createTorrent, Session, type TorrentInfo } from "../../mod.ts";
import { jsonEvents, runCcbt } from "./ccbt.ts";
import { makePayload } from "./files.ts";
import type { ManagedProcess } from "./process.ts";

/** One NDJSON event printed by `ccbt ... --json`. */
export interface CcbtEvent {
  /** `progress`, `state`, `piece`, `done`, `warning`, `message`, ... */
  event: string;
  [field: string]: unknown;
}

/** A torrent made of deterministic payload files, written to disk. */
export interface TorrentFixture {
  /** Directory holding the payload: the save directory a seeder uses. */
  data: string;
  /** The .torrent file. */
  torrentPath: string;
  /** The .torrent bytes. */
  bytes: Uint8Array;
  /** The parsed metainfo. */
  info: TorrentInfo;
}

/** Options for {@linkcode makeTorrentFixture}. */
export interface FixtureOptions {
  /** The torrent's name: the file of a single-file torrent, or the folder of a multi-file one. */
  name: string;
  /**
   * The files: one entry whose path equals `name` makes a single-file torrent; otherwise paths are relative to
   * the `name` folder.
   */
  files: { path: string; size: number }[];
  /** Piece length in bytes (a power of two, at least 16 KiB). */
  pieceLength: number;
  /** Payload seed for {@linkcode makePayload} (default 1). */
  seed?: number;
}

/** One line of `ccbt checkpoints list --json`. */
export interface CheckpointLine {
  name: string;
  infoHash: string;
  /** Fraction of pieces recorded as verified and durable, 0..1. */
  progress: number;
  totalLength: number;
  state: string;
  savePath: string;
}

/** Options for {@linkcode AlertLog.waitFor}. */
export interface WaitForAlertOptions {
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Index in {@linkcode AlertLog.alerts} to start looking at (default 0: every alert so far). */
  from?: number;
  /** What is awaited, for the error message (e.g. "the torrent finishing"). */
  what?: string;
}

/**
 * Every alert of a session, read in the background, with waits for the ones a test expects. The session's
 * alert stream has one reader here, so several waits can be pending at once.
 *
 * @example Wait for a torrent to finish
 * ```ts ignore
 * const log = new AlertLog(session);
 * await log.waitFor((a) => a.type === "torrent_finished", { timeoutMs: 30_000 });
 * ```
 */
export class AlertLog {
  /** Every alert so far, oldest first. */
  readonly alerts: Alert[] = [];
  readonly #waiters = new Set<{ from: number; test: (a: Alert) => boolean; wake: () => void }>();
  #ended = false;

  /** Starts reading `session.alerts()`; the reading ends when the session closes. */
  constructor(session: Session) {
    (async () => {
      for await (const alert of session.alerts()) {
        this.alerts.push(alert);
        for (const waiter of this.#waiters) waiter.wake();
      }
      this.#ended = true;
      for (const waiter of this.#waiters) waiter.wake();
    })();
  }

  /**
   * The first alert at index `from` or later (already read or still to come) for which `test` returns true.
   * @param test Predicate over an alert.
   * @param options `timeoutMs`: give up after this long; `from`: index in {@linkcode AlertLog.alerts} to start
   *   looking at (default 0); `what`: the awaited event, for the error message.
   * @throws {Error} When the session closes first or the timeout passes, listing the alerts seen.
   */
  waitFor(test: (alert: Alert) => boolean, options: WaitForAlertOptions): Promise<Alert> {
    const what = options.what ?? "the expected alert";
    return new Promise((resolve, reject) => {
      const waiter = {
        from: options.from ?? 0,
        test,
        wake: () => {
          const found = this.alerts.slice(waiter.from).find((a) => test(a));
          waiter.from = this.alerts.length;
          if (found === undefined && !this.#ended) return;
          this.#waiters.delete(waiter);
          clearTimeout(timer);
          if (found !== undefined) resolve(found);
          else reject(this.#failure(what, "the session closed first"));
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(this.#failure(what, `it did not come within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      this.#waiters.add(waiter);
      waiter.wake();
    });
  }

  #failure(what: string, reason: string): Error {
    const seen = this.alerts.filter((a) => a.type !== "piece_finished").map((a) => JSON.stringify(a));
    return new Error(`Cannot see ${what}: ${reason}; alerts seen:\n${seen.join("\n")}`);
  }
}

/**
 * Runs `fn` with a fresh temporary directory and removes it afterwards, even when `fn` throws.
 * @param prefix Name prefix of the directory.
 * @param fn The test body.
 */
export async function withTempDir(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Writes payload files under `dir/seed` and a v1 torrent of them to `dir/<name>.torrent`.
 * @param dir A temporary directory.
 * @param options Name, files, piece length, payload seed.
 * @returns Where the payload and the torrent are, and its metainfo.
 */
export async function makeTorrentFixture(dir: string, options: FixtureOptions): Promise<TorrentFixture> {
  const data = join(dir, "seed");
  const single = options.files.length === 1 && options.files[0].path === options.name;
  await makePayload(single ? data : join(data, options.name), { files: options.files }, options.seed ?? 1);
  const { bytes, info } = await createTorrent(join(data, options.name), { pieceLength: options.pieceLength });
  const torrentPath = join(dir, `${options.name}.torrent`);
  await Deno.writeFile(torrentPath, bytes);
  return { data, torrentPath, bytes, info };
}

/**
 * Starts an in-process seeder of `fixture` on 127.0.0.1 and resolves once it has checked its data and seeds:
 * a leecher that dials it earlier is turned away while it checks, and retries only after a back-off.
 * @param fixture The torrent and its payload.
 * @returns The seeding session; close it (or `await using`) when done.
 * @throws {Error} When the data does not check out as complete within 30 s.
 */
export async function startSeeder(fixture: TorrentFixture): Promise<Session> {
  const session = new Session({ listenHost: "127.0.0.1" });
  try {
    const handle = await session.addTorrent({ torrent: fixture.bytes, savePath: fixture.data });
    const deadline = Date.now() + 30_000;
    while (handle.status().state !== "seeding") {
      if (Date.now() > deadline) {
        throw new Error(`Cannot seed ${fixture.info.name}: ${JSON.stringify(handle.status())}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return session;
  } catch (error) {
    await session.close();
    throw error;
  }
}

/**
 * Arguments that make `ccbt download` or `ccbt resume` talk only to the given seeders on 127.0.0.1, exit once
 * the data is verified, and print NDJSON events.
 * @param peerPorts TCP ports of seeders on 127.0.0.1.
 */
export function swarmArgs(peerPorts: readonly number[]): string[] {
  const peers = peerPorts.flatMap((port) => ["--peer", `127.0.0.1:${port}`]);
  return [...peers, "--port", "0", "--bind", "127.0.0.1", "--no-seed", "--json"];
}

/** `ccbt download` arguments for `torrentPath` into `out` with its state in `stateDir`, from `peerPorts`. */
export function downloadArgs(
  torrentPath: string,
  out: string,
  stateDir: string,
  peerPorts: readonly number[],
): string[] {
  return ["download", torrentPath, "-o", out, "--state-dir", stateDir, ...swarmArgs(peerPorts)];
}

/** The NDJSON events a `ccbt --json` child printed on stdout so far (lines that are not JSON are skipped). */
export function eventsOf(child: ManagedProcess): CcbtEvent[] {
  return child.lines.filter((l) => l.stream === "stdout").map((l) => parseEvent(l.text))
    .filter((e): e is CcbtEvent => e !== undefined);
}

/** Parses one NDJSON line, or `undefined` when it is not a JSON object with an `event`. */
export function parseEvent(text: string): CcbtEvent | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null && typeof value.event === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits for the first event (already printed or still to come) for which `test` returns true.
 * @throws {Error} When the child exits first or `timeoutMs` passes; the message holds its last output.
 */
export async function waitForEvent(
  child: ManagedProcess,
  test: (event: CcbtEvent) => boolean,
  timeoutMs: number,
): Promise<CcbtEvent> {
  const line = await child.waitForLine((l) => {
    const event = parseEvent(l.text);
    return event !== undefined && test(event);
  }, { timeoutMs, stream: "stdout" });
  return parseEvent(line.text)!;
}

/**
 * Waits for an event matching `test`, then `kill -9`s the child (its whole process group) at once.
 * @returns Every event the child printed before it died.
 * @throws {Error} When the child exits before such an event, or `timeoutMs` passes (the child is killed too).
 */
export async function killWhen(
  child: ManagedProcess,
  test: (event: CcbtEvent) => boolean,
  timeoutMs: number,
): Promise<CcbtEvent[]> {
  try {
    await waitForEvent(child, test, timeoutMs);
  } finally {
    await child.close({ signal: "SIGKILL" });
  }
  return eventsOf(child);
}

/** Kills the child with SIGKILL after `ms` milliseconds (or when it exits first); returns its events. */
export async function killAfter(child: ManagedProcess, ms: number): Promise<CcbtEvent[]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([child.status, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
  await child.close({ signal: "SIGKILL" });
  return eventsOf(child);
}

/**
 * The last `progress` event, of `infoHash` when given.
 * @throws {Error} When there is none.
 */
export function lastProgress(events: readonly CcbtEvent[], infoHash?: string): CcbtEvent {
  const found = events.findLast((e) =>
    e.event === "progress" && (infoHash === undefined || e.infoHash === infoHash)
  );
  if (found === undefined) {
    throw new Error(`Cannot find a progress event in:\n${events.map((e) => JSON.stringify(e)).join("\n")}`);
  }
  return found;
}

/** `events` as text, one per line, without the per-piece events: for assertion messages. */
export function describeEvents(events: readonly CcbtEvent[]): string {
  return events.filter((e) => e.event !== "piece").map((e) => JSON.stringify(e)).join("\n");
}

/**
 * The recorded torrents of `stateDir`, as `ccbt checkpoints list --json` prints them.
 * @throws {Error} When the command fails.
 */
export async function listCheckpoints(stateDir: string): Promise<CheckpointLine[]> {
  const result = await runCcbt(["checkpoints", "list", "--json", "--state-dir", stateDir]);
  if (result.code !== 0) {
    throw new Error(`Cannot list checkpoints of ${stateDir}: exit ${result.code}\n${result.stderr}`);
  }
  return jsonEvents(result.stdout) as unknown as CheckpointLine[];
}

/** Size of piece `index` in bytes (the last piece may be shorter). */
export function pieceSize(info: TorrentInfo, index: number): number {
  return Math.min(info.pieceLength, info.totalLength - index * info.pieceLength);
}

/**
 * Indices of the pieces that hold any byte of the torrent's byte range `[from, to)`.
 * @param info The torrent.
 * @param from First byte (torrent offset).
 * @param to End byte, exclusive (torrent offset).
 */
export function piecesOfRange(info: TorrentInfo, from: number, to: number): number[] {
  if (to <= from) return [];
  const first = Math.floor(from / info.pieceLength);
  const last = Math.floor((to - 1) / info.pieceLength);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Total bytes of a set of pieces. */
export function bytesOfPieces(info: TorrentInfo, pieces: Iterable<number>): number {
  let total = 0;
  for (const index of new Set(pieces)) total += pieceSize(info, index);
  return total;
}

/** Inverts every bit of the byte at `offset` of the file at `path`, in place. */
export async function flipByte(path: string, offset: number): Promise<void> {
  using file = await Deno.open(path, { read: true, write: true });
  const byte = new Uint8Array(1);
  await file.seek(offset, Deno.SeekMode.Start);
  if (await file.read(byte) !== 1) {
    throw new RangeError(`Cannot flip byte ${offset} of ${path}: past the end`);
  }
  byte[0] ^= 0xff;
  await file.seek(offset, Deno.SeekMode.Start);
  await file.write(byte);
}

/** Modification times (ms) of every regular file under `root`, by path relative to it. */
export async function mtimesOf(root: string): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  const walk = async (rel: string): Promise<void> => {
    for await (const entry of Deno.readDir(rel === "" ? root : join(root, rel))) {
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) await walk(child);
      else if (entry.isFile) times.set(child, (await Deno.stat(join(root, child))).mtime?.getTime() ?? 0);
    }
  };
  await walk("");
  return times;
}

/**
 * Mounts a tmpfs on `dir` (an existing directory) with mount `options`, e.g. `size=256k` or `ro`.
 * @returns `false` when the mount fails, e.g. when not running as root.
 */
export async function mountTmpfs(dir: string, options: string): Promise<boolean> {
  const result = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", options, "tmpfs", dir],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  return result?.success === true;
}

/**
 * Changes the options of the tmpfs mounted on `dir` (e.g. `size=4m`), keeping its files.
 * @throws {Error} When `mount -o remount` fails.
 */
export async function remountTmpfs(dir: string, options: string): Promise<void> {
  const result = await new Deno.Command("mount", { args: ["-o", `remount,${options}`, dir] }).output();
  if (!result.success) {
    throw new Error(`Cannot remount ${dir} with ${options}: ${new TextDecoder().decode(result.stderr)}`);
  }
}

/**
 * Unmounts `dir`, lazily if it is busy, so a failed test never leaves a mount behind.
 * @throws {Error} When neither `umount` nor `umount -l` succeeds.
 */
export async function unmount(dir: string): Promise<void> {
  for (const args of [[dir], ["-l", dir]]) {
    const result = await new Deno.Command("umount", { args, stdout: "null", stderr: "null" }).output();
    if (result.success) return;
  }
  throw new Error(`Cannot unmount ${dir}`);
}
