/**
 * Raw peer-wire byte builders and scripted-peer routines (play a seeder, probe a seeder) for the hostile peer
 * tests.
 *
 * @module
 */

import { equal } from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { TorrentInfo } from "../../mod.ts";
import type { WireMessage } from "../../engine/wire/mod.ts";
import { ScriptedPeer } from "./scripted_peer.ts";

/** 4 big-endian bytes of `n` (0..2^32-1). */
export function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** One message with a correct length prefix: `id` followed by `payload`. */
export function frame(id: number, payload: ArrayLike<number> = []): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out.set(u32(1 + payload.length));
  out[4] = id;
  out.set(payload, 5);
  return out;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A full bitfield (every piece) for `pieceCount` pieces, spare bits clear. */
export function fullBitfield(pieceCount: number): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(pieceCount / 8)).fill(0xff);
  const spare = bytes.length * 8 - pieceCount;
  if (spare > 0) bytes[bytes.length - 1] = (0xff << spare) & 0xff;
  return bytes;
}

/** Connects to a session's listen port and exchanges handshakes for `info`. */
export async function connectAndHandshake(port: number, info: TorrentInfo): Promise<ScriptedPeer> {
  const peer = await ScriptedPeer.connect(port);
  await peer.sendHandshake({ infoHash: info.infoHash });
  const handshake = await peer.readHandshake(5_000);
  equal(hexOf(handshake.infoHash), info.infoHashHex);
  return peer;
}

/**
 * On an established connection to a seeder: sends `interested`, waits for `unchoke`, requests the first block of
 * piece 0 and checks the bytes against `data`.
 */
export async function fetchFirstBlock(
  peer: ScriptedPeer,
  data: Uint8Array,
  timeoutMs = 5_000,
): Promise<void> {
  await peer.sendMessages({ type: "interested" });
  await peer.waitForMessage((m) => m.type === "unchoke", timeoutMs);
  const length = Math.min(16384, data.length);
  await peer.sendMessages({ type: "request", index: 0, begin: 0, length });
  const piece = await peer.waitForMessage((m) => m.type === "piece", timeoutMs);
  if (piece.type !== "piece") throw new Error("unreachable");
  equal(piece.index, 0);
  equal(piece.begin, 0);
  equal(Buffer.compare(piece.block, data.subarray(0, length)), 0, "the block holds the torrent's bytes");
}

/** Connects a fresh honest scripted peer to the seeder and downloads one block: the seeder still serves. */
export async function probeSeeder(port: number, info: TorrentInfo, data: Uint8Array): Promise<void> {
  using peer = await connectAndHandshake(port, info);
  await fetchFirstBlock(peer, data);
}

/** Options for {@linkcode playSeeder}. */
export interface PlaySeederOptions {
  /** The torrent. */
  info: TorrentInfo;
  /** The torrent's bytes. */
  data: Uint8Array;
  /** Replaces the block sent for a request (e.g. to corrupt one piece); default: the true bytes. */
  blockFor?: (index: number, begin: number, block: Uint8Array) => Uint8Array;
  /** Bytes sent right after `unchoke` and the leecher's first request, before any block. */
  afterUnchoke?: () => Uint8Array;
  /**
   * A piece left out of the bitfield, so the leecher cannot have requested it when `afterUnchoke` runs; a `have`
   * for it follows the `afterUnchoke` bytes.
   */
  withhold?: number;
  /** Milliseconds to wait for the leecher's first messages (default 5 000). */
  timeoutMs?: number;
}

/**
 * Plays an honest-looking seeder on an accepted connection from a leecher: reads its handshake, answers, sends a
 * full bitfield, unchokes on `interested`, then answers every request (through `blockFor`) until the leecher
 * closes. Resolves with the number of blocks served.
 */
export async function playSeeder(peer: ScriptedPeer, options: PlaySeederOptions): Promise<number> {
  const { info, data, timeoutMs = 5_000 } = options;
  const handshake = await peer.readHandshake(timeoutMs);
  equal(hexOf(handshake.infoHash), info.infoHashHex);
  await peer.sendHandshake({ infoHash: info.infoHash });
  const bitfield = fullBitfield(info.pieceCount);
  if (options.withhold !== undefined) bitfield[options.withhold >> 3] &= ~(0x80 >> (options.withhold & 7));
  await peer.sendMessages({ type: "bitfield", bitfield });
  const early: WireMessage[] = [];
  await peer.waitForMessage((m) => m.type === "interested", timeoutMs, (m) => early.push(m));
  await peer.sendMessages({ type: "unchoke" });
  const pending: WireMessage[] = early.filter((m) => m.type === "request");
  if (options.afterUnchoke !== undefined) {
    pending.push(await peer.waitForMessage((m) => m.type === "request", timeoutMs));
    await peer.send(options.afterUnchoke());
  }
  if (options.withhold !== undefined) await peer.sendMessages({ type: "have", index: options.withhold });
  let served = 0;
  const serve = async (m: WireMessage) => {
    if (m.type !== "request") return;
    const block = data.subarray(
      m.index * info.pieceLength + m.begin,
      m.index * info.pieceLength + m.begin + m.length,
    );
    const bytes = options.blockFor?.(m.index, m.begin, block) ?? block;
    await peer.sendMessages({ type: "piece", index: m.index, begin: m.begin, block: bytes });
    served++;
  };
  for (const m of pending) await serve(m);
  while (true) {
    const m = await peer.nextMessage(30_000);
    if (m === null) return served;
    await serve(m);
  }
}

/** Lowercase hex of `bytes`. */
export function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
