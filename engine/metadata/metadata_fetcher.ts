/**
 * Fetching a torrent's info dictionary from peers with ut_metadata (BEP 9), for a torrent added by magnet link.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { MAX_METADATA_SIZE, METADATA_PIECE_SIZE, metadataPieceCount } from "../wire/ut_metadata.ts";

/** Options of {@linkcode MetadataFetcher}. */
export interface MetadataFetcherOptions {
  /**
   * The v1 info-hash the metadata's SHA-1 must equal (BEP 9): a `Uint8Array` of 20 bytes. Leave it out for a
   * v2-only torrent, whose 20-byte wire info-hash is a truncated SHA-256.
   */
  infoHash?: Uint8Array;
  /**
   * The v2 info-hash the metadata's SHA-256 must equal (BEP 52, a magnet's `urn:btmh`): a `Uint8Array` of 32
   * bytes. With `infoHash` too (a hybrid), both must match.
   */
  infoHashV2?: Uint8Array;
  /** SHA-1 of some bytes, 20 bytes out. Default: `node:crypto`. */
  sha1?: (bytes: Uint8Array) => Uint8Array;
  /** SHA-256 of some bytes, 32 bytes out. Default: `node:crypto`. */
  sha256?: (bytes: Uint8Array) => Uint8Array;
  /** Milliseconds after which an unanswered request is re-issued to another peer. Default 10,000. */
  timeoutMs?: number;
  /** Milliseconds a peer is not asked again for a piece it rejected or answered badly. Default 60,000. */
  rejectBackoffMs?: number;
}

/** What {@linkcode MetadataFetcher.received} made of a data message. */
export interface MetadataReceived {
  /**
   * `stored`: the piece was kept. `ignored`: not a piece we asked that peer for, a `total_size` other than the
   * size being fetched, or a piece of the wrong length. `complete`: the last piece came and the metadata hashes
   * to the info-hash (SHA-1 to the v1 one, SHA-256 to the v2 one, each given). `corrupt`: the last piece came but
   * a hash is wrong, so every piece was discarded.
   */
  result: "stored" | "ignored" | "complete" | "corrupt";
  /**
   * With `corrupt`: the peers that sent pieces of the discarded metadata. A sole source is banned; several
   * sources become suspects, each asked again only as the sole source of a later attempt.
   */
  blame?: number[];
}

/** One outstanding request: when it was sent (ms, the caller's clock). */
type Requests = Map<number, number>;

/**
 * The state machine that fetches the metadata (the bencoded info dictionary) in 16 KiB pieces from peers that
 * advertise `ut_metadata` and `metadata_size` in their extension handshake (BEP 9, BEP 10). Pure: no I/O and no
 * timers; the caller passes the time and sends the requests.
 *
 * Rules:
 * - Size: the first valid `metadata_size` announced (1..30 MiB) is adopted; peers announcing another size are
 *   not used. If the metadata turns out corrupt, the size announced by the most peers still usable is adopted
 *   instead, so one lying first peer cannot stall the fetch.
 * - Requests: each piece is asked of one peer at a time; a peer gets at most `max` outstanding requests and no
 *   more than its share of the missing pieces, so the pieces are spread over the peers. A request older than
 *   `timeoutMs` no longer counts and its piece is asked of another peer (a late answer is still taken).
 * - Verification: when every piece is in, the SHA-1 of the whole is compared with the v1 info-hash and its
 *   SHA-256 with the v2 info-hash (BEP 52), whichever are given (BEP 9 has no per-piece hashes). On a mismatch all pieces are dropped and the peers that sent them are blamed
 *   (HOSTILE_INPUTS.md 48). One hash cannot tell which of several sources lied, so: a sole source is banned
 *   (never asked again); several sources become suspects. Suspects take no part in attempts with other peers:
 *   once the other peers make no progress for `timeoutMs`, one suspect takes the fetch over and is asked for
 *   every piece, which either completes it or proves that suspect a liar. A peer that is not a suspect takes
 *   an attempt back from a suspect that made no progress for `timeoutMs`. Either takeover drops the pieces held.
 * - Memory: nothing is allocated for a peer's announced size until a piece is requested; at most one copy of each
 *   piece is held.
 *
 * @example Fetch a one-piece info dictionary from one peer
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHash } from "node:crypto";
 * import { MetadataFetcher } from "./metadata_fetcher.ts";
 * const info = new TextEncoder().encode("d4:name1:xe");
 * const fetcher = new MetadataFetcher({ infoHash: createHash("sha1").update(info).digest() });
 * assert.equal(fetcher.addPeer(1, info.length), true);
 * assert.deepEqual(fetcher.requests(1, 0), [0]);
 * assert.deepEqual(fetcher.received(1, 0, info.length, info), { result: "complete" });
 * assert.deepEqual(fetcher.metadata, info);
 * ```
 */
export class MetadataFetcher {
  #infoHash: Uint8Array | undefined;
  #infoHashV2: Uint8Array | undefined;
  #sha1: (bytes: Uint8Array) => Uint8Array;
  #sha256: (bytes: Uint8Array) => Uint8Array;
  #timeoutMs: number;
  #rejectBackoffMs: number;
  /** Peer → the metadata size it announced. */
  #peers = new Map<number, number>();
  #banned = new Set<number>();
  #suspects = new Set<number>();
  /** The suspect that is the sole source of the current attempt, if any. */
  #owner: number | undefined;
  /** When the current attempt last issued a request or stored a piece (ms). */
  #lastProgress = -Infinity;
  #size: number | undefined;
  #metadata: Uint8Array | undefined;
  /** Allocated at the first request: per piece, its bytes once received. */
  #pieces: (Uint8Array | undefined)[] | undefined;
  /** Per piece, who sent it. */
  #sources: number[] = [];
  /** Per piece, outstanding requests by peer. */
  #requests: Requests[] = [];
  /** Per piece, peer → time until which it is not asked for that piece. */
  #backoff: Map<number, number>[] = [];
  #missing = 0;
  #lastNow = 0;

  /**
   * Makes a fetcher for the metadata of one torrent.
   *
   * @param options The v1 and/or v2 info-hash, and optionally the hash functions and timeouts.
   * @throws {RangeError} When neither info-hash is given, `infoHash` is not 20 bytes, `infoHashV2` is not 32
   *   bytes, or a timeout is negative.
   */
  constructor(options: MetadataFetcherOptions) {
    const { infoHash, infoHashV2 } = options;
    if (infoHash === undefined && infoHashV2 === undefined) {
      throw new RangeError("Cannot fetch metadata: no info-hash to check it against");
    }
    if (infoHash !== undefined && infoHash.length !== 20) {
      throw new RangeError(`Cannot fetch metadata: info-hash is ${infoHash.length} bytes, not 20`);
    }
    if (infoHashV2 !== undefined && infoHashV2.length !== 32) {
      throw new RangeError(`Cannot fetch metadata: v2 info-hash is ${infoHashV2.length} bytes, not 32`);
    }
    this.#infoHash = infoHash?.slice();
    this.#infoHashV2 = infoHashV2?.slice();
    this.#sha1 = options.sha1 ?? ((bytes) => createHash("sha1").update(bytes).digest());
    this.#sha256 = options.sha256 ?? ((bytes) => createHash("sha256").update(bytes).digest());
    this.#timeoutMs = nonNegative(options.timeoutMs ?? 10_000, "timeoutMs");
    this.#rejectBackoffMs = nonNegative(options.rejectBackoffMs ?? 60_000, "rejectBackoffMs");
  }

  /** The verified metadata (the bencoded info dictionary) once complete, else `undefined`. */
  get metadata(): Uint8Array | undefined {
    return this.#metadata;
  }

  /** The metadata size in bytes being fetched, once a peer announced a valid one, else `undefined`. */
  get size(): number | undefined {
    return this.#size;
  }

  /**
   * Registers a peer whose extension handshake announced `ut_metadata` with `metadata_size` (BEP 9). Calling it
   * again for the same peer replaces its announced size.
   *
   * @param peer The caller's id for the peer connection.
   * @param metadataSize The announced `metadata_size` in bytes.
   * @returns Whether the peer will be asked for pieces: `false` when the size is not an integer in 1..30 MiB
   *   (HOSTILE_INPUTS.md 46), differs from the size being fetched, or the peer was banned for corrupt metadata.
   */
  addPeer(peer: number, metadataSize: number): boolean {
    if (
      !Number.isSafeInteger(metadataSize) || metadataSize < 1 || metadataSize > MAX_METADATA_SIZE ||
      this.#banned.has(peer)
    ) {
      return false;
    }
    this.#peers.set(peer, metadataSize);
    this.#size ??= metadataSize;
    return metadataSize === this.#size;
  }

  /**
   * Forgets a peer (disconnected): its outstanding requests are cancelled so their pieces go to other peers.
   *
   * @param peer The peer's id.
   */
  removePeer(peer: number): void {
    this.#peers.delete(peer);
    for (const requests of this.#requests) requests.delete(peer);
    for (const backoff of this.#backoff) backoff.delete(peer);
  }

  /**
   * The pieces to request from a peer now, which are recorded as outstanding. Call it whenever a peer may take
   * more requests: after it was added, after each of its answers, and periodically so timed-out requests move.
   *
   * @param peer The peer's id.
   * @param now The current time in milliseconds (any monotonic clock, the same for every call).
   * @param max Most outstanding requests for this peer. Default 2.
   * @returns Piece indexes to send `request` messages for (BEP 9), possibly empty.
   */
  requests(peer: number, now: number, max = 2): number[] {
    this.#lastNow = now;
    if (this.#metadata !== undefined || this.#size === undefined) return [];
    if (this.#peers.get(peer) !== this.#size) return [];
    const live = (sentAt: number) => now - sentAt < this.#timeoutMs;
    const suspect = this.#suspects.has(peer);
    if (this.#owner !== (suspect ? peer : undefined)) {
      const ownerGone = this.#owner !== undefined && !this.#peers.has(this.#owner);
      if (!ownerGone && now - this.#lastProgress < this.#timeoutMs) return [];
      this.#reset();
      this.#owner = suspect ? peer : undefined;
    }
    const pieces = this.#allocate(this.#size);
    let outstanding = 0;
    for (const requests of this.#requests) {
      const sentAt = requests.get(peer);
      if (sentAt !== undefined && live(sentAt)) outstanding++;
    }
    const share = suspect ? max : Math.ceil(this.#missing / this.#trustedPeers());
    const room = Math.min(max, share) - outstanding;
    const fresh: number[] = [];
    const retries: number[] = [];
    for (let piece = 0; piece < pieces.length && fresh.length < room; piece++) {
      if (pieces[piece] !== undefined) continue;
      const requests = this.#requests[piece];
      if ([...requests.values()].some(live)) continue;
      if ((this.#backoff[piece].get(peer) ?? -Infinity) > now) continue;
      (requests.has(peer) ? retries : fresh).push(piece);
    }
    const chosen = [...fresh, ...retries].slice(0, Math.max(0, room));
    for (const piece of chosen) this.#requests[piece].set(peer, now);
    if (chosen.length > 0) this.#lastProgress = now;
    return chosen;
  }

  /**
   * Takes a ut_metadata `data` message (BEP 9), already checked by `decodeUtMetadata`. `data` is copied.
   *
   * @param peer The peer's id.
   * @param piece The piece index.
   * @param totalSize The message's `total_size` in bytes.
   * @param data The piece bytes.
   * @returns The result and, for `corrupt`, the peers blamed (see {@linkcode MetadataReceived}).
   */
  received(peer: number, piece: number, totalSize: number, data: Uint8Array): MetadataReceived {
    const pieces = this.#pieces;
    const requests = this.#requests[piece];
    if (
      pieces === undefined || this.#metadata !== undefined || totalSize !== this.#size ||
      requests === undefined || !requests.delete(peer) || pieces[piece] !== undefined
    ) {
      return { result: "ignored" };
    }
    const expected = piece === pieces.length - 1
      ? totalSize - piece * METADATA_PIECE_SIZE
      : METADATA_PIECE_SIZE;
    if (data.length !== expected) {
      this.#backoff[piece].set(peer, this.#lastNow + this.#rejectBackoffMs);
      return { result: "ignored" };
    }
    pieces[piece] = data.slice();
    this.#sources[piece] = peer;
    this.#lastProgress = Math.max(this.#lastProgress, this.#lastNow);
    requests.clear();
    if (--this.#missing > 0) return { result: "stored" };
    const metadata = new Uint8Array(totalSize);
    pieces.forEach((bytes, i) => metadata.set(bytes!, i * METADATA_PIECE_SIZE));
    if (this.#matches(metadata)) {
      this.#metadata = metadata;
      this.#reset();
      return { result: "complete" };
    }
    const blame = [...new Set(this.#sources)];
    if (blame.length === 1) {
      this.#banned.add(blame[0]);
      this.#peers.delete(blame[0]);
      this.#suspects.delete(blame[0]);
    } else {
      for (const p of blame) this.#suspects.add(p);
    }
    this.#reset();
    this.#owner = undefined;
    // Peers that are not suspects get the first go at the next attempt.
    this.#lastProgress = this.#lastNow;
    this.#size = this.#mostAnnouncedSize();
    return { result: "corrupt", blame };
  }

  /**
   * Takes a ut_metadata `reject` (BEP 9): the piece goes to another peer, and this peer is not asked for it for
   * `rejectBackoffMs`.
   *
   * @param peer The peer's id.
   * @param piece The piece index it rejected.
   * @param now The current time in milliseconds. Default: the last `now` given to
   *   {@linkcode MetadataFetcher.requests}.
   */
  rejected(peer: number, piece: number, now: number = this.#lastNow): void {
    const requests = this.#requests[piece];
    if (requests === undefined || !requests.delete(peer)) return;
    this.#backoff[piece].set(peer, now + this.#rejectBackoffMs);
  }

  /** Whether `metadata` hashes to every info-hash given (SHA-1 for v1, SHA-256 for v2). */
  #matches(metadata: Uint8Array): boolean {
    if (this.#infoHash !== undefined && !equal(this.#sha1(metadata), this.#infoHash)) return false;
    return this.#infoHashV2 === undefined || equal(this.#sha256(metadata), this.#infoHashV2);
  }

  #allocate(size: number): (Uint8Array | undefined)[] {
    if (this.#pieces === undefined) {
      const count = metadataPieceCount(size);
      this.#pieces = new Array(count).fill(undefined);
      this.#sources = new Array(count).fill(-1);
      this.#requests = Array.from({ length: count }, () => new Map());
      this.#backoff = Array.from({ length: count }, () => new Map());
      this.#missing = count;
    }
    return this.#pieces;
  }

  #reset(): void {
    this.#pieces = undefined;
    this.#sources = [];
    this.#requests = [];
    this.#backoff = [];
    this.#missing = 0;
    this.#lastProgress = -Infinity;
  }

  #trustedPeers(): number {
    let n = 0;
    for (const [peer, size] of this.#peers) if (size === this.#size && !this.#suspects.has(peer)) n++;
    return Math.max(1, n);
  }

  #mostAnnouncedSize(): number | undefined {
    const votes = new Map<number, number>();
    for (const size of this.#peers.values()) votes.set(size, (votes.get(size) ?? 0) + 1);
    let best: number | undefined;
    for (const [size, n] of votes) if (best === undefined || n > votes.get(best)!) best = size;
    return best;
  }
}

function nonNegative(value: number, name: string): number {
  if (!(value >= 0)) throw new RangeError(`Cannot fetch metadata: ${name} ${value} is negative`);
  return value;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
