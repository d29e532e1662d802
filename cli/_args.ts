/**
 * Argument parsing and input loading shared by the `ccbt` commands.
 *
 * @module
 */

import { InvalidArgumentError } from "commander";
import { BencodeError, MetainfoError, parseTorrent, type PeerAddress } from "../mod.ts";

/** A torrent file read and checked by a command. */
export interface LoadedTorrent {
  /** Path given on the command line. */
  path: string;
  /** The .torrent bytes. */
  bytes: Uint8Array;
}

/** Bad usage or bad input: exit code 2. */
export class UsageError extends Error {}

/** Parses a port, 0..65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError("Expected a port number 0..65535");
  return port;
}

/**
 * Parses `HOST:PORT` (IPv6 as `[HOST]:PORT`, e.g. `[::1]:6881`) and appends it; IPv6 hosts come back without
 * brackets, in canonical form (`[0:0::1]` gives `::1`).
 * @throws {InvalidArgumentError} When the value is not `HOST:PORT`, the bracketed host is not an IPv6 address, or
 *   the port is outside 1..65535.
 */
export function parsePeer(value: string, previous: PeerAddress[] = []): PeerAddress[] {
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(value);
  const match = v6 ?? /^([^:\[\]]+):(\d+)$/.exec(value);
  const port = match === null ? NaN : Number(match[2]);
  const host = match === null ? undefined : v6 === null ? match[1] : canonicalIpv6(match[1]);
  if (match === null || host === undefined || !(port >= 1 && port <= 65535)) {
    throw new InvalidArgumentError("Expected HOST:PORT (IPv6 as [HOST]:PORT)");
  }
  return [...previous, { host, port }];
}

/** RFC 5952 text of an IPv6 address (the URL parser's), or `undefined` when `text` is not one. */
function canonicalIpv6(text: string): string | undefined {
  const url = URL.parse(`http://[${text}]/`);
  return url === null ? undefined : url.hostname.slice(1, -1);
}

/** Parses a non-negative number. */
export function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("Expected a non-negative number");
  return n;
}

/** Parses a non-negative whole number. */
export function parseInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("Expected a whole number");
  }
  return n;
}

/** Collects a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Reads and parses .torrent files; a missing or invalid one is a `UsageError`. */
export async function loadTorrents(paths: readonly string[]): Promise<LoadedTorrent[]> {
  const loaded: LoadedTorrent[] = [];
  for (const path of paths) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw new UsageError(`Cannot read ${path}: no such file`);
      throw error;
    }
    try {
      parseTorrent(bytes);
    } catch (error) {
      if (error instanceof MetainfoError || error instanceof BencodeError) {
        throw new UsageError(`Cannot load ${path}: ${error.message}`);
      }
      throw error;
    }
    loaded.push({ path, bytes });
  }
  return loaded;
}
