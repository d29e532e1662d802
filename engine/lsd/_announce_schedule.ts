/**
 * When to send LSD announces (BEP 14): each torrent every `reannounce` ms while it is wanted, and no more than
 * one announce packet per `minGap` ms, several info-hashes per packet. Pure: time is passed in.
 *
 * @module
 */

/** Options for {@linkcode AnnounceSchedule}; all times in ms. */
export interface AnnounceScheduleOptions {
  /** Time between two announces of one torrent. */
  reannounce: number;
  /** Least time between two announce packets. */
  minGap: number;
  /** Most info-hashes in one packet. */
  maxPerPacket: number;
}

/** The announce timetable of one LSD service: wanted info-hashes and when each was last sent. */
export class AnnounceSchedule {
  readonly #options: AnnounceScheduleOptions;
  /** Info-hash → time last sent (`-Infinity` when never), in insertion order. */
  readonly #lastSent = new Map<string, number>();
  #lastPacketAt = -Infinity;

  /**
   * Makes an empty schedule.
   * @param options Reannounce interval, packet gap, packet size.
   */
  constructor(options: AnnounceScheduleOptions) {
    this.#options = options;
  }

  /** How many info-hashes are wanted. */
  get size(): number {
    return this.#lastSent.size;
  }

  /**
   * Wants an info-hash announced from now on (no change if already wanted).
   * @param infoHash 40 lowercase hex characters.
   */
  add(infoHash: string): void {
    if (!this.#lastSent.has(infoHash)) this.#lastSent.set(infoHash, -Infinity);
  }

  /**
   * Stops announcing an info-hash.
   * @param infoHash 40 lowercase hex characters.
   */
  remove(infoHash: string): void {
    this.#lastSent.delete(infoHash);
  }

  /**
   * The info-hashes to send in a packet now, recorded as sent: the most overdue first, at most `maxPerPacket`.
   * @param now Current time in ms.
   * @returns The info-hashes, or `null` when the packet gap has not passed or none is due.
   */
  take(now: number): string[] | null {
    if (now - this.#lastPacketAt < this.#options.minGap) return null;
    const due = [...this.#lastSent].filter(([, at]) => now - at >= this.#options.reannounce);
    if (due.length === 0) return null;
    due.sort((a, b) => a[1] - b[1]);
    const batch = due.slice(0, this.#options.maxPerPacket).map(([infoHash]) => infoHash);
    for (const infoHash of batch) this.#lastSent.set(infoHash, now);
    this.#lastPacketAt = now;
    return batch;
  }

  /**
   * When {@linkcode AnnounceSchedule.take} will next have something to send.
   * @param now Current time in ms.
   * @returns A time in ms (≥ `now`), or `undefined` when nothing is wanted.
   */
  nextAt(now: number): number | undefined {
    if (this.#lastSent.size === 0) return undefined;
    let earliest = Infinity;
    for (const at of this.#lastSent.values()) earliest = Math.min(earliest, at + this.#options.reannounce);
    return Math.max(now, earliest, this.#lastPacketAt + this.#options.minGap);
  }
}
