/**
 * A main-side LRU of whole pieces, bounded in bytes, that also coalesces concurrent loads of the same piece:
 * a peer's 16 block requests for one piece cost one disk read.
 *
 * @module
 */

/** LRU cache of piece bytes keyed by `storage:piece`. */
export class ReadCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Uint8Array>();
  readonly #loading = new Map<string, Promise<Uint8Array>>();
  #bytes = 0;

  /** @param maxBytes Byte budget; 0 disables caching but still coalesces concurrent loads. */
  constructor(maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`Cannot create read cache: ${maxBytes} bytes is not a non-negative integer`);
    }
    this.#maxBytes = maxBytes;
  }

  /** The byte budget. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The cached bytes of `storage:piece`, or those `load` gives (one load at a time per piece).
   * @throws Whatever `load` throws; a failed load is not cached.
   */
  get(storage: number, piece: number, load: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const key = `${storage}:${piece}`;
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return Promise.resolve(hit);
    }
    const inFlight = this.#loading.get(key);
    if (inFlight !== undefined) return inFlight;
    const loading = load().then(
      (bytes) => {
        // Only the load that is still current may fill the cache: an invalidation may have happened meanwhile.
        if (this.#loading.get(key) === loading) {
          this.#loading.delete(key);
          this.#insert(key, bytes);
        }
        return bytes;
      },
      (error) => {
        if (this.#loading.get(key) === loading) this.#loading.delete(key);
        throw error;
      },
    );
    this.#loading.set(key, loading);
    return loading;
  }

  /** Drops `storage:piece` (its data on disk changed or may have). */
  delete(storage: number, piece: number): void {
    const key = `${storage}:${piece}`;
    this.#loading.delete(key);
    this.#drop(key);
  }

  /** Drops every piece of `storage`. */
  deleteStorage(storage: number): void {
    const prefix = `${storage}:`;
    for (const key of [...this.#loading.keys()]) if (key.startsWith(prefix)) this.#loading.delete(key);
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.#drop(key);
  }

  /** Drops everything. */
  clear(): void {
    this.#loading.clear();
    this.#entries.clear();
    this.#bytes = 0;
  }

  #insert(key: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.#maxBytes) return;
    this.#drop(key);
    while (this.#bytes + bytes.byteLength > this.#maxBytes) {
      const [oldest] = this.#entries.keys();
      this.#drop(oldest);
    }
    this.#entries.set(key, bytes);
    this.#bytes += bytes.byteLength;
  }

  #drop(key: string): void {
    const bytes = this.#entries.get(key);
    if (bytes === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= bytes.byteLength;
  }
}
