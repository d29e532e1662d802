/**
 * A fixed-size set of piece indices, stored as the BEP 3 `bitfield` message body: the high bit of the first byte
 * is piece 0; spare bits at the end are zero.
 *
 * @module
 */

/** Count of set bits in each byte value. */
const POPCOUNT = new Uint8Array(256).map((_, i) => {
  let n = 0;
  for (let v = i; v !== 0; v >>= 1) n += v & 1;
  return n;
});

/** A set of pieces, as in the BEP 3 `bitfield` message. */
export class Bitfield {
  /** Number of pieces this bitfield covers. */
  readonly size: number;
  /** The bytes, `ceil(size / 8)` long, high bit first (BEP 3). */
  readonly bytes: Uint8Array;
  #count = 0;

  /**
   * @param size Number of pieces (bits).
   * @param bytes Optional wire bytes (`ceil(size / 8)` long) to copy; spare bits are cleared (BEP 3 says they
   *   must be zero, HOSTILE_INPUTS.md case 37 says ignore them).
   * @throws {RangeError} When `bytes` is not exactly `ceil(size / 8)` long.
   */
  constructor(size: number, bytes?: Uint8Array) {
    this.size = size;
    const length = Math.ceil(size / 8);
    if (bytes !== undefined && bytes.length !== length) {
      throw new RangeError(`Bitfield of ${size} pieces needs ${length} bytes: got ${bytes.length}`);
    }
    this.bytes = bytes === undefined ? new Uint8Array(length) : bytes.slice();
    const spare = length * 8 - size;
    if (spare > 0) this.bytes[length - 1] &= (0xff << spare) & 0xff;
    for (const b of this.bytes) this.#count += POPCOUNT[b];
  }

  /** Number of set bits. */
  get count(): number {
    return this.#count;
  }

  /** Whether every piece is set. */
  get complete(): boolean {
    return this.#count === this.size;
  }

  /** Whether piece `index` is set; out-of-range indices are not set. */
  has(index: number): boolean {
    if (index < 0 || index >= this.size) return false;
    return (this.bytes[index >> 3] & (0x80 >> (index & 7))) !== 0;
  }

  /**
   * Sets piece `index`.
   * @returns Whether the bit was newly set.
   * @throws {RangeError} When `index` is outside `[0, size)`.
   */
  set(index: number): boolean {
    this.#check(index);
    const mask = 0x80 >> (index & 7);
    if ((this.bytes[index >> 3] & mask) !== 0) return false;
    this.bytes[index >> 3] |= mask;
    this.#count++;
    return true;
  }

  /**
   * Clears piece `index`.
   * @returns Whether the bit was set before.
   * @throws {RangeError} When `index` is outside `[0, size)`.
   */
  clear(index: number): boolean {
    this.#check(index);
    const mask = 0x80 >> (index & 7);
    if ((this.bytes[index >> 3] & mask) === 0) return false;
    this.bytes[index >> 3] &= ~mask;
    this.#count--;
    return true;
  }

  /** Sets every piece. */
  setAll(): void {
    this.bytes.fill(0xff);
    const spare = this.bytes.length * 8 - this.size;
    if (spare > 0) this.bytes[this.bytes.length - 1] = (0xff << spare) & 0xff;
    this.#count = this.size;
  }

  /** A copy of this bitfield. */
  clone(): Bitfield {
    return new Bitfield(this.size, this.bytes);
  }

  /** Indices of the set pieces, ascending. */
  *indices(): IterableIterator<number> {
    for (let i = 0; i < this.bytes.length; i++) {
      const b = this.bytes[i];
      if (b === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        if ((b & (0x80 >> bit)) !== 0) yield i * 8 + bit;
      }
    }
  }

  #check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`Piece index ${index} is outside 0..${this.size - 1}`);
    }
  }
}
