/**
 * Peer exchange (BEP 11) from a scripted peer, and listeners that count which addresses a session dials, for the
 * hostile PEX and IPv6 tests.
 *
 * @module
 */

import { equal, ok } from "node:assert/strict";
import type { TorrentInfo } from "../../mod.ts";
import { type Encodable, encode } from "../../engine/bencode/mod.ts";
import {
  decodeExtensionHandshake,
  encodeExtensionHandshake,
  makeReserved,
  type WireMessage,
} from "../../engine/wire/mod.ts";
import { delay } from "./hostile_session.ts";
import { hexOf } from "./hostile_wire.ts";
import { ScriptedPeer } from "./scripted_peer.ts";

/** A scripted peer past the BEP 3 and BEP 10 handshakes with a session. */
export interface ExtendedPeer {
  /** The connection. */
  peer: ScriptedPeer;
  /** The id the session takes ut_pex messages under (0 when its extension handshake did not offer ut_pex). */
  pexId: number;
  /** Our `host:port` as the session names us. */
  name: string;
}

/**
 * Connects to a session's listen port for `info`, with the extension protocol (BEP 10) on, reads the session's
 * extension handshake and answers with ours (offering ut_pex as id 1).
 */
export async function connectExtended(
  port: number,
  info: TorrentInfo,
  host = "127.0.0.1",
): Promise<ExtendedPeer> {
  const peer = await ScriptedPeer.connect(port, host);
  await peer.sendHandshake({ infoHash: info.infoHash, reserved: makeReserved({ extensionProtocol: true }) });
  const handshake = await peer.readHandshake(5_000);
  equal(hexOf(handshake.infoHash), info.infoHashHex);
  const theirs = await peer.waitForMessage((m) => m.type === "extended" && m.id === 0, 5_000);
  if (theirs.type !== "extended") throw new Error("unreachable");
  const pexId = decodeExtensionHandshake(theirs.payload).m.get("ut_pex") ?? 0;
  await peer.sendMessages({
    type: "extended",
    id: 0,
    payload: encodeExtensionHandshake({ m: new Map([["ut_pex", 1]]) }),
  });
  return { peer, pexId, name: peer.localName };
}

/** Sends one `ut_pex` message (extended message `id`) with a raw payload. */
export function sendPex(peer: ScriptedPeer, id: number, payload: Uint8Array): Promise<boolean> {
  const message: WireMessage = { type: "extended", id, payload };
  return peer.sendMessages(message);
}

/** A bencoded `ut_pex` dictionary (or anything else) built from `value`. */
export function pexPayload(value: Encodable): Uint8Array {
  return encode(value);
}

/** Compact entries (BEP 11 `added`/`added6`): 4- or 16-byte address and 2-byte port each. */
export function compact(peers: readonly { address: readonly number[]; port: number }[]): Uint8Array {
  const out: number[] = [];
  for (const { address, port } of peers) out.push(...address, port >> 8, port & 0xff);
  return Uint8Array.from(out);
}

/** 127.0.0.1 as 4 bytes. */
export const LOOPBACK4 = [127, 0, 0, 1] as const;
/** ::1 as 16 bytes. */
export const LOOPBACK6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] as const;

/**
 * Listeners on one loopback host that accept every connection, note which listener it reached, and close it at
 * once (so the dialling session fails fast and moves on). A listener dialled twice counts twice.
 */
export class DialCounter {
  /** The listeners' ports, in the order they were opened. */
  readonly ports: number[];
  readonly #listeners: Deno.TcpListener[];
  readonly #dials = new Map<number, number>();
  readonly #loops: Promise<void>[];

  /** Opens `count` listeners on `host` (port 0 each). */
  constructor(count: number, host = "127.0.0.1") {
    this.#listeners = Array.from({ length: count }, () => Deno.listen({ hostname: host, port: 0 }));
    this.ports = this.#listeners.map((l) => l.addr.port);
    this.#loops = this.#listeners.map((listener) => this.#accept(listener));
  }

  /** Total connections accepted so far. */
  get total(): number {
    let n = 0;
    for (const count of this.#dials.values()) n += count;
    return n;
  }

  /** The ports that were dialled at least once, sorted. */
  dialled(): number[] {
    return [...this.#dials.keys()].sort((a, b) => a - b);
  }

  /**
   * Waits until `count` distinct listeners were dialled, then `settleMs` more (to see that no more come).
   * @throws {Error} After `timeoutMs` with fewer.
   */
  async waitForDialled(count: number, timeoutMs: number, settleMs = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#dials.size < count) {
      if (Date.now() > deadline) {
        throw new Error(`Only ${this.#dials.size} of ${count} listeners were dialled within ${timeoutMs} ms`);
      }
      await delay(20);
    }
    await delay(settleMs);
  }

  /** Closes every listener. */
  async close(): Promise<void> {
    for (const listener of this.#listeners) {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    }
    await Promise.all(this.#loops);
  }

  /** `await using counter = new DialCounter(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    const port = listener.addr.port;
    try {
      for await (const conn of listener) {
        this.#dials.set(port, (this.#dials.get(port) ?? 0) + 1);
        conn.close();
      }
    } catch {
      // Closed.
    }
  }
}

/** Asserts that exactly the ports in `expected` were dialled, each once. */
export function assertDialledOnce(counter: DialCounter, expected: readonly number[]): void {
  equal(counter.dialled().join(), [...expected].sort((a, b) => a - b).join(), "the listeners dialled");
  ok(counter.total === expected.length, `each dialled once: ${counter.total} connections`);
}
