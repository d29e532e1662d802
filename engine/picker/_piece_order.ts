/**
 * The order in which new pieces are started: pieces sit in buckets by key (lower key = picked first), and inside a
 * bucket in a uniformly random order, so ties in rarity are broken at random (BEP 3 "rarest first").
 *
 * Every operation is O(1) apart from scans: moving a piece between buckets removes it by swapping the bucket's last
 * element into its slot and inserts it at a random slot of the new bucket (inside-out Fisher-Yates), which keeps
 * each bucket a uniform random permutation without ever sorting.
 *
 * @module
 */

/** `bucketOf` value of a piece that is not queued. */
const NOT_QUEUED = 0xffff;
/** Smallest capacity a bucket list shrinks to. */
const MIN_CAPACITY = 16;

/** A growable list of piece indices in an `Int32Array`, shrinking again when mostly empty. */
class IndexList {
  data: Int32Array;
  length = 0;

  constructor(capacity = 0) {
    this.data = new Int32Array(capacity);
  }

  push(value: number): void {
    if (this.length === this.data.length) this.#resize(Math.max(MIN_CAPACITY, this.data.length * 2));
    this.data[this.length++] = value;
  }

  pop(): number {
    const value = this.data[--this.length];
    if (this.data.length > MIN_CAPACITY && this.length < this.data.length / 4) {
      this.#resize(Math.max(MIN_CAPACITY, this.data.length >> 1));
    }
    return value;
  }

  #resize(capacity: number): void {
    const next = new Int32Array(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

/** Buckets of queued pieces; see the module comment. */
export class PieceOrder {
  #buckets: (IndexList | undefined)[];
  #bucketOf: Uint16Array;
  #slot: Int32Array;
  #size = 0;
  #random: () => number;

  /**
   * @param pieceCount Number of pieces in the torrent.
   * @param bucketCount Number of distinct keys, at most 65535.
   * @param random Uniform random source in `[0, 1)`.
   */
  constructor(pieceCount: number, bucketCount: number, random: () => number) {
    this.#buckets = new Array(bucketCount).fill(undefined);
    this.#bucketOf = new Uint16Array(pieceCount).fill(NOT_QUEUED);
    this.#slot = new Int32Array(pieceCount);
    this.#random = random;
  }

  /** Number of queued pieces. */
  get size(): number {
    return this.#size;
  }

  /** Number of keys. */
  get bucketCount(): number {
    return this.#buckets.length;
  }

  /** Whether piece `index` is queued. */
  has(index: number): boolean {
    return this.#bucketOf[index] !== NOT_QUEUED;
  }

  /** Key of a queued piece, or -1. */
  keyOf(index: number): number {
    const key = this.#bucketOf[index];
    return key === NOT_QUEUED ? -1 : key;
  }

  /** A number that orders queued pieces the way a scan visits them (lower first); -1 when not queued. */
  rank(index: number): number {
    const key = this.#bucketOf[index];
    return key === NOT_QUEUED ? -1 : key * 0x80000000 + this.#slot[index];
  }

  /** Number of pieces under `key`. */
  bucketSize(key: number): number {
    return this.#buckets[key]?.length ?? 0;
  }

  /** The piece at position `position` under `key` (no bounds check). */
  pieceAt(key: number, position: number): number {
    return this.#buckets[key]!.data[position];
  }

  /** Queues piece `index` under `key`, at a random position among the pieces with that key. */
  insert(index: number, key: number): void {
    if (this.#bucketOf[index] !== NOT_QUEUED) this.remove(index);
    const list = this.#buckets[key] ??= new IndexList();
    list.push(index);
    const last = list.length - 1;
    const j = Math.floor(this.#random() * list.length);
    const slot = j >= 0 && j < last ? j : last;
    if (slot !== last) {
      const other = list.data[slot];
      list.data[last] = other;
      this.#slot[other] = last;
      list.data[slot] = index;
    }
    this.#slot[index] = slot;
    this.#bucketOf[index] = key;
    this.#size++;
  }

  /** Dequeues piece `index`; a no-op when it is not queued. */
  remove(index: number): void {
    const key = this.#bucketOf[index];
    if (key === NOT_QUEUED) return;
    const list = this.#buckets[key]!;
    const slot = this.#slot[index];
    const lastIndex = list.data[list.length - 1];
    list.data[slot] = lastIndex;
    this.#slot[lastIndex] = slot;
    list.pop();
    this.#bucketOf[index] = NOT_QUEUED;
    this.#size--;
  }

  /** Moves a queued piece to `key` (random position); a no-op when unqueued or already there. */
  move(index: number, key: number): void {
    const current = this.#bucketOf[index];
    if (current === NOT_QUEUED || current === key) return;
    this.remove(index);
    this.insert(index, key);
  }

  /**
   * Re-keys every queued piece at once and reshuffles each bucket: O(queued pieces), cheaper than moving most
   * pieces one by one (a peer's bitfield arrives).
   * @param keyOf New key of a queued piece.
   */
  rebuild(keyOf: (index: number) => number): void {
    const bucketCount = this.#buckets.length;
    const counts = new Int32Array(bucketCount);
    for (const list of this.#buckets) {
      if (list === undefined) continue;
      for (let j = 0; j < list.length; j++) {
        const index = list.data[j];
        const key = keyOf(index);
        this.#bucketOf[index] = key;
        counts[key]++;
      }
    }
    const old = this.#buckets;
    this.#buckets = new Array(bucketCount).fill(undefined);
    for (let key = 0; key < bucketCount; key++) {
      if (counts[key] > 0) this.#buckets[key] = new IndexList(counts[key]);
    }
    for (const list of old) {
      if (list === undefined) continue;
      for (let j = 0; j < list.length; j++) {
        const index = list.data[j];
        const target = this.#buckets[this.#bucketOf[index]]!;
        target.data[target.length++] = index;
      }
    }
    for (const list of this.#buckets) {
      if (list === undefined) continue;
      const data = list.data;
      for (let j = list.length - 1; j > 0; j--) {
        const r = Math.floor(this.#random() * (j + 1));
        const other = r >= 0 && r <= j ? r : j;
        const t = data[j];
        data[j] = data[other];
        data[other] = t;
      }
      for (let j = 0; j < list.length; j++) this.#slot[data[j]] = j;
    }
  }

  /**
   * Queues every piece in `0..pieceCount - 1` for which `include` is true, under `keyOf(piece)`, in random order
   * within each key. Only for a new, empty order.
   */
  fill(include: (index: number) => boolean, keyOf: (index: number) => number): void {
    const list = this.#buckets[0] = new IndexList(this.#bucketOf.length);
    for (let i = 0; i < this.#bucketOf.length; i++) {
      if (!include(i)) continue;
      list.data[list.length++] = i;
      this.#bucketOf[i] = 0;
    }
    this.#size = list.length;
    this.rebuild(keyOf);
  }

  /**
   * Up to `k` queued pieces among `candidates` with the lowest rank, lowest first. Uses a bounded max-heap, so
   * cost is O(candidates × log k), for peers that have few of the queued pieces.
   */
  lowestRanked(candidates: Iterable<number>, k: number): number[] {
    const heap: number[] = [];
    const ranks: number[] = [];
    if (k <= 0) return heap;
    for (const index of candidates) {
      const rank = this.rank(index);
      if (rank < 0) continue;
      if (heap.length < k) {
        heap.push(index);
        ranks.push(rank);
        siftUp(heap, ranks, heap.length - 1);
      } else if (rank < ranks[0]) {
        heap[0] = index;
        ranks[0] = rank;
        siftDown(heap, ranks, 0);
      }
    }
    return heap.map((index, i) => [ranks[i], index]).sort((a, b) => a[0] - b[0]).map((pair) => pair[1]);
  }
}

function swap(heap: number[], ranks: number[], a: number, b: number): void {
  [heap[a], heap[b]] = [heap[b], heap[a]];
  [ranks[a], ranks[b]] = [ranks[b], ranks[a]];
}

function siftUp(heap: number[], ranks: number[], i: number): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (ranks[parent] >= ranks[i]) return;
    swap(heap, ranks, parent, i);
    i = parent;
  }
}

function siftDown(heap: number[], ranks: number[], i: number): void {
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let largest = i;
    if (left < heap.length && ranks[left] > ranks[largest]) largest = left;
    if (right < heap.length && ranks[right] > ranks[largest]) largest = right;
    if (largest === i) return;
    swap(heap, ranks, i, largest);
    i = largest;
  }
}
