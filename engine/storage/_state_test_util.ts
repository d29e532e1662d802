/**
 * Test helper: deterministic torrent records for the state store tests (also imported by the child process of
 * the kill test, so both sides agree on what record `i` is).
 *
 * @module
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { STATE_DB_NAME, StateStore } from "./state_store.ts";
import type { ProgressUpdate, TorrentRecord } from "./_state_types.ts";

/** The info-hash of test record `i`: `i` in hex, zero-padded to 40 digits. */
export function testInfoHash(i: number): string {
  return i.toString(16).padStart(40, "0");
}

/** A bitfield of `pieceCount` pieces whose bytes follow `seed` (spare bits cleared). */
export function testHave(pieceCount: number, seed: number): Uint8Array {
  const have = new Uint8Array(Math.ceil(pieceCount / 8));
  for (let i = 0; i < have.length; i++) have[i] = (seed * 31 + i * 7) & 0xff;
  const spare = have.length * 8 - pieceCount;
  if (spare > 0) have[have.length - 1] &= (0xff << spare) & 0xff;
  return have;
}

/** Test record `i`: every field set from `i`, with a metainfo blob of 1,000 to 4,000 bytes. */
export function testRecord(i: number): TorrentRecord {
  const pieceCount = 1 + (i % 100) * 37;
  const fileCount = 1 + (i % 7);
  return {
    infoHash: testInfoHash(i),
    name: `torrent ${i} ü`,
    metainfo: new Uint8Array(1000 + (i * 997) % 3000).fill(i & 0xff),
    magnet: `magnet:?xt=urn:btih:${testInfoHash(i)}`,
    savePath: `/data/dl/${i}`,
    state: i % 2 === 0 ? "downloading" : "seeding",
    error: i % 5 === 0 ? `error ${i}` : undefined,
    pieceCount,
    totalLength: pieceCount * 16_384 - (i % 1000),
    have: testHave(pieceCount, i),
    files: Array.from(
      { length: fileCount },
      (_, f) => ({ size: f === 0 ? -1 : f * i, mtimeMs: 1.5 * i + f }),
    ),
    filePriorities: Array.from({ length: fileCount }, (_, f) => (f + i) % 8),
    uploaded: i * 1_000_003,
    downloaded: i * 2_000_003,
    addedAt: 1_700_000_000_000 + i,
    lastActiveAt: 1_700_000_500_000 + i,
    completedAt: i % 3 === 0 ? 1_700_000_600_000 + i : undefined,
  };
}

/** A record with its `undefined` optional fields removed, as the store returns it. */
export function stored(record: TorrentRecord, withMetainfo = true): TorrentRecord {
  const copy: Record<string, unknown> = { ...record };
  if (!withMetainfo) delete copy.metainfo;
  for (const key of Object.keys(copy)) if (copy[key] === undefined) delete copy[key];
  return copy as unknown as TorrentRecord;
}

/** Checkpoint number `n` of a torrent of `pieceCount` pieces and `fileCount` files. */
export function testProgress(n: number, pieceCount: number, fileCount: number): ProgressUpdate {
  return {
    have: testHave(pieceCount, n + 11),
    files: Array.from({ length: fileCount }, (_, f) => ({ size: n + f, mtimeMs: n * 10 + f })),
    uploaded: n,
    downloaded: 2 * n,
    state: `state ${n}`,
    lastActiveAt: 1_800_000_000_000 + n,
  };
}

export async function withDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccbt_state_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

export function openClean(dir: string): StateStore {
  const { store, warnings } = StateStore.open(dir);
  assert.deepEqual(warnings, []);
  return store;
}

/** Names in `dir` that start with `ccbt.db.corrupt-`. */
export function asideFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
    n.startsWith(`${STATE_DB_NAME}.corrupt-`)
  )
    .sort();
}

export function sql(path: string, statements: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec(statements);
  } finally {
    db.close();
  }
}

/** Opens the state dir expecting exactly one aside file and a warning mentioning `reason`; checks the store works. */
export function expectKeptAside(dir: string, reason: RegExp): string {
  const { store, warnings } = StateStore.open(dir);
  try {
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], reason);
    assert.match(warnings[0], /kept aside as .*ccbt\.db\.corrupt-\d{8}T\d{6}/);
    const aside = asideFiles(dir).filter((n) => !n.endsWith("-wal") && !n.endsWith("-shm"));
    assert.equal(aside.length, 1);
    assert.deepEqual(store.list(), []);
    store.put(testRecord(1));
    assert.deepEqual(store.get(testInfoHash(1)), stored(testRecord(1)));
    return `${dir}/${aside[0]}`;
  } finally {
    store.close();
  }
}
