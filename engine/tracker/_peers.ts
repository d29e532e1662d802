/**
 * Peer lists from tracker replies: compact strings (BEP 23 IPv4, BEP 7 IPv6), BEP 3 lists of dicts, and the
 * filtering of entries no one can connect to (HOSTILE_INPUTS.md case 31).
 *
 * @module
 */

import type { BencodeValue } from "../bencode/types.ts";
import type { PeerAddress } from "./types.ts";
import { addressScope, formatIp, parseIp } from "./_ip.ts";
import { sameBytes } from "../bytes.ts";

/**
 * Collects peers from one reply, dropping duplicates, port 0 and unusable addresses (0.0.0.0, ::, multicast,
 * broadcast, reserved).
 */
export class PeerCollector {
  readonly #seen = new Set<string>();
  /** The peers kept so far, in reply order. */
  readonly peers: PeerAddress[] = [];

  /**
   * Adds the compact entries of `bytes`: 6 bytes (IPv4 address, port, network order; BEP 23) or 18 bytes (IPv6;
   * BEP 7) each. Trailing bytes that do not fill an entry are ignored.
   */
  addCompact(bytes: Uint8Array, stride: 6 | 18): void {
    const addressLength = stride - 2;
    const end = bytes.length - (bytes.length % stride);
    for (let offset = 0; offset < end; offset += stride) {
      const port = (bytes[offset + addressLength] << 8) | bytes[offset + addressLength + 1];
      this.#add(bytes.subarray(offset, offset + addressLength), port);
    }
  }

  /**
   * Adds BEP 3 peer dicts (`ip`: address text, `port`: integer, `peer id`: 20 bytes). Entries whose `ip` is not
   * an IP address literal (DNS names are not resolved: a tracker must not make us look names up), whose port is
   * out of range, or whose `peer id` equals `ownPeerId` are dropped.
   */
  addDicts(list: readonly BencodeValue[], ownPeerId?: Uint8Array): void {
    for (const entry of list) {
      if (!(entry instanceof Map)) continue;
      const ip = entry.get("ip");
      const port = entry.get("port");
      if (!(ip instanceof Uint8Array) || ip.length > 64 || typeof port !== "number") continue;
      if (port < 1 || port > 65535) continue;
      const peerId = entry.get("peer id");
      if (ownPeerId !== undefined && peerId instanceof Uint8Array && sameBytes(peerId, ownPeerId)) continue;
      const address = parseIp(String.fromCharCode(...ip));
      if (address !== undefined) this.#add(address, port);
    }
  }

  #add(address: Uint8Array, port: number): void {
    if (port === 0 || addressScope(address) === "unusable") return;
    const host = formatIp(address);
    const key = `${host}|${port}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.peers.push({ host, port });
  }
}
