/**
 * A real tracker for interop tests: Debian's `opentracker`, on a free 127.0.0.1 port for both HTTP (TCP) and UDP.
 *
 * Debian builds opentracker with a whitelist (DESIGN.md section 7): it serves only the info-hashes listed in its
 * `access.whitelist` file, so every info-hash a test announces must be given here. It chroots into its
 * `tracker.rootdir` and drops privileges to `nobody` when started as root, which is why the temp dir is made
 * world-readable.
 *
 * @module
 */

import dgram from "node:dgram";
import { ManagedProcess, waitForTcpPort } from "./process.ts";

/** Options of {@link startOpentracker}. */
export interface OpentrackerOptions {
  /** Info-hashes the tracker serves: 40 hex digits each (v1 info-hashes). */
  infoHashes: string[];
  /** Kill the tracker after this many milliseconds even if the test process dies first. Default 600,000. */
  hardTimeoutMs?: number;
}

/** A running opentracker. */
export interface Opentracker {
  /** `http://127.0.0.1:PORT/announce` */
  httpUrl: string;
  /** `udp://127.0.0.1:PORT/announce` (same port number as HTTP) */
  udpUrl: string;
  /** Stops the tracker and removes its temp dir. Safe to call twice. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const ATTEMPTS = 5;

/**
 * Starts opentracker on a port that is free for both TCP and UDP on 127.0.0.1, retrying on another port if it
 * loses a race for the one it was given.
 *
 * @param options The whitelisted info-hashes.
 * @returns The tracker's URLs and `close()`.
 * @throws {TypeError} When an info-hash is not 40 hex digits.
 * @throws {Error} When opentracker does not start (its output is quoted).
 *
 * @example A tracker for one torrent
 * ```ts ignore
 * await using tracker = await startOpentracker({ infoHashes: [info.infoHashHex] });
 * await announce(tracker.udpUrl, request);
 * ```
 */
export async function startOpentracker(options: OpentrackerOptions): Promise<Opentracker> {
  const hashes = options.infoHashes.map((hash) => {
    if (!/^[0-9a-fA-F]{40}$/.test(hash)) {
      throw new TypeError(`Cannot start opentracker: bad info-hash ${hash}`);
    }
    return hash.toLowerCase();
  });
  const dir = await Deno.makeTempDir({ prefix: "ccbt-opentracker-" });
  try {
    await Deno.chmod(dir, 0o755);
    await Deno.writeTextFile(`${dir}/whitelist.txt`, hashes.map((hash) => `${hash}\n`).join(""));
    let lastError: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const port = await freeTcpAndUdpPort();
      await Deno.writeTextFile(
        `${dir}/opentracker.conf`,
        [
          "tracker.rootdir .",
          "access.whitelist whitelist.txt",
          `listen.tcp 127.0.0.1:${port}`,
          `listen.udp 127.0.0.1:${port}`,
          "",
        ].join("\n"),
      );
      const process = ManagedProcess.spawn("opentracker", {
        args: ["-f", "opentracker.conf"],
        cwd: dir,
        hardTimeoutMs: options.hardTimeoutMs ?? 600_000,
      });
      try {
        await waitForTcpPort(port, { timeoutMs: 5_000, process });
        if (hashes.length > 0) await waitForWhitelist(port, hashes[0], process);
      } catch (error) {
        lastError = error;
        await process.close();
        continue;
      }
      let closing: Promise<void> | undefined;
      const close = () =>
        closing ??= (async () => {
          await process.close();
          await Deno.remove(dir, { recursive: true });
        })();
      return {
        httpUrl: `http://127.0.0.1:${port}/announce`,
        udpUrl: `udp://127.0.0.1:${port}/announce`,
        close,
        [Symbol.asyncDispose]: close,
      };
    }
    throw new Error(`Cannot start opentracker after ${ATTEMPTS} attempts`, { cause: lastError });
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}

/**
 * Waits until opentracker has loaded its whitelist (a thread reads it after the sockets are up, so early
 * announces fail with "not authorized"). The probe is a regular announce (checked against the whitelist, unlike
 * `stopped`), followed by a `stopped` one so that the probe peer does not stay in the swarm.
 */
async function waitForWhitelist(port: number, infoHash: string, process: ManagedProcess): Promise<void> {
  const escaped = infoHash.replace(/../g, "%$&");
  const url = `http://127.0.0.1:${port}/announce?info_hash=${escaped}&peer_id=-PROBE-0000000000000` +
    "&port=1&uploaded=0&downloaded=0&left=1&compact=1&numwant=0";
  const deadline = Date.now() + 5_000;
  for (;;) {
    const body = await (await fetch(url)).text();
    if (!body.includes("failure reason")) {
      await (await fetch(`${url}&event=stopped`)).body?.cancel();
      return;
    }
    if (process.exitStatus !== undefined || Date.now() > deadline) {
      throw new Error(`Cannot start opentracker: it does not serve ${infoHash}: ${body}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A port that is free on 127.0.0.1 for TCP and for UDP right now (bound with port 0, then released). */
async function freeTcpAndUdpPort(): Promise<number> {
  for (;;) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    const socket = dgram.createSocket("udp4");
    const free = await new Promise<boolean>((resolve) => {
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => resolve(true));
    });
    if (free) {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      return port;
    }
    try {
      socket.close();
    } catch {
      // A socket whose bind failed may count as never started.
    }
  }
}
