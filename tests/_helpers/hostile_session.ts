/**
 * Session plumbing for the hostile-input tests: an alert log that can be waited on, status polling, and a small
 * seeded torrent in a temp directory.
 *
 * @module
 */

import { join } from "node:path";
import { type Alert, createTorrent, type Session, type TorrentHandle, type TorrentInfo } from "../../mod.ts";
import { makePayload } from "./files.ts";

/**
 * Reads every alert of one session (it must be the only reader) and keeps them, so tests can wait for an alert
 * that may already have arrived.
 */
export class AlertLog {
  /** Every alert so far, oldest first. */
  readonly alerts: Alert[] = [];
  /** Resolves when the session is closed and every alert was read. */
  readonly done: Promise<void>;
  #waiters = new Set<() => void>();

  constructor(session: Session) {
    this.done = (async () => {
      for await (const alert of session.alerts()) {
        this.alerts.push(alert);
        for (const wake of [...this.#waiters]) wake();
      }
      for (const wake of [...this.#waiters]) wake();
    })();
  }

  /** Alerts of one type. */
  ofType<T extends Alert["type"]>(type: T): Extract<Alert, { type: T }>[] {
    return this.alerts.filter((a): a is Extract<Alert, { type: T }> => a.type === type);
  }

  /**
   * The first alert (already logged or still to come) for which `test` holds.
   * @throws {Error} After `timeoutMs`, listing the alerts seen.
   */
  waitFor<A extends Alert>(test: (alert: Alert) => alert is A, timeoutMs: number): Promise<A>;
  waitFor(test: (alert: Alert) => boolean, timeoutMs: number): Promise<Alert>;
  waitFor(test: (alert: Alert) => boolean, timeoutMs: number): Promise<Alert> {
    const found = this.alerts.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      let seen = this.alerts.length;
      const wake = () => {
        for (; seen < this.alerts.length; seen++) {
          if (test(this.alerts[seen])) {
            finish();
            resolve(this.alerts[seen]);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        finish();
        const tail = this.alerts.slice(-15).map((a) => JSON.stringify({ ...a, time: undefined })).join(
          "\n  ",
        );
        reject(new Error(`No matching alert within ${timeoutMs} ms; last alerts:\n  ${tail}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      this.#waiters.add(wake);
    });
  }
}

/** Waits until `handle.status()` satisfies `test`, failing after `timeoutMs` with the last status. */
export async function waitForStatus(
  handle: TorrentHandle,
  test: (status: ReturnType<TorrentHandle["status"]>) => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test(handle.status())) {
    if (Date.now() > deadline) throw new Error(`Timed out; last status: ${JSON.stringify(handle.status())}`);
    await delay(25);
  }
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A single-file torrent and its data, under `dir/seed`. */
export interface SmallTorrent {
  /** The .torrent bytes. */
  bytes: Uint8Array;
  /** Its parse. */
  info: TorrentInfo;
  /** Directory holding the data (the seeder's save path). */
  seedDir: string;
  /** The file's contents. */
  data: Uint8Array;
}

/**
 * Makes `dir/seed/payload.bin` of `size` pseudo-random bytes and a v1 torrent of it with 16 KiB pieces
 * (default size: 4 full pieces and an odd-sized fifth).
 */
export async function makeSmallTorrent(dir: string, size = 4 * 16384 + 1000): Promise<SmallTorrent> {
  const seedDir = join(dir, "seed");
  await makePayload(seedDir, { files: [{ path: "payload.bin", size }] }, 42);
  const { bytes, info } = await createTorrent(join(seedDir, "payload.bin"), { pieceLength: 16384 });
  const data = await Deno.readFile(join(seedDir, "payload.bin"));
  return { bytes, info, seedDir, data };
}
