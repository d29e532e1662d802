/**
 * The Merkle root of one v2 piece (BEP 52): its 16 KiB leaves hashed with a worker's `Hasher` (so both backends
 * verify v2 pieces), its inner nodes with a SHA-256 of 64-byte messages written here.
 *
 * @module
 */

import { MERKLE_BLOCK_SIZE, MERKLE_HASH_SIZE } from "../merkle/constants.ts";
import { padHash } from "../merkle/pad_hash.ts";
import type { Hasher } from "./hasher.ts";

/**
 * The root of the Merkle subtree over `data`: SHA-256 leaves of 16 KiB blocks (the last block hashed as it is),
 * padded with zero leaves to `width` slots. For a piece of a file larger than one piece `width` is the piece's
 * blocks (`pieceLength / 16 KiB`); for a file of at most one piece it is the next power of two of the file's
 * blocks, and the root is the file's pieces root.
 *
 * @param data The file's bytes in the piece (at least one byte, at most `width` blocks).
 * @param width Leaf slots: a power of two.
 * @param hasher The SHA-256 of the leaves.
 * @returns 32 bytes.
 */
export function pieceRoot(data: Uint8Array, width: number, hasher: Hasher): Uint8Array {
  let count = Math.ceil(data.length / MERKLE_BLOCK_SIZE);
  const layer = new Uint8Array(count * MERKLE_HASH_SIZE);
  for (let i = 0; i < count; i++) {
    layer.set(
      hasher.sha256(data.subarray(i * MERKLE_BLOCK_SIZE, (i + 1) * MERKLE_BLOCK_SIZE)),
      i * MERKLE_HASH_SIZE,
    );
  }
  const pair = new Uint8Array(2 * MERKLE_HASH_SIZE);
  let height = 0;
  for (let slots = width; slots > 1; slots /= 2) {
    const parents = Math.ceil(count / 2);
    for (let i = 0; i < parents; i++) {
      const left = 2 * i * MERKLE_HASH_SIZE;
      // Parent i lands at or before its children, which are read whole before it is written: in place is safe.
      if (2 * i + 1 < count) {
        sha256Of64(layer, left, layer, i * MERKLE_HASH_SIZE);
      } else {
        pair.set(layer.subarray(left, left + MERKLE_HASH_SIZE), 0);
        pair.set(padHash(height), MERKLE_HASH_SIZE);
        sha256Of64(pair, 0, layer, i * MERKLE_HASH_SIZE);
      }
    }
    count = parents;
    height++;
  }
  return layer.slice(0, MERKLE_HASH_SIZE);
}

// SHA-256 (FIPS 180-4) of exactly 64 bytes, an inner node's two children. node:crypto costs ~2.5 us a call here in
// object and op overhead, this ~0.4 us: a 1 MiB piece has 63 inner nodes, a GiB 64,512 (bench: 0.17 s -> 0.03 s).
// The second block of a 64-byte message is constant padding, so its schedule (plus K) is computed once.

const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);
const W = new Int32Array(64);
const H = new Int32Array(8);
const PAD_WK = new Int32Array(64);
PAD_WK[0] = 0x80000000 | 0;
PAD_WK[15] = 512;
schedule(PAD_WK);

/** Expands `w[0..16)` into the 64-word schedule and adds the round constants. */
function schedule(w: Int32Array): void {
  for (let t = 16; t < 64; t++) {
    const a = w[t - 15];
    const b = w[t - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
  }
  for (let t = 0; t < 64; t++) w[t] = (w[t] + K[t]) | 0;
}

/** One compression of the state `h` with a schedule that already includes the round constants. */
function compress(wk: Int32Array, h: Int32Array): void {
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (hh + s1 + ((e & f) ^ (~e & g)) + wk[t]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0;
  h[5] = (h[5] + f) | 0;
  h[6] = (h[6] + g) | 0;
  h[7] = (h[7] + hh) | 0;
}

/** SHA-256 of `src[at..at + 64)` into `dst[to..to + 32)`; the source is read whole first, so they may overlap. */
function sha256Of64(src: Uint8Array, at: number, dst: Uint8Array, to: number): void {
  for (let t = 0; t < 16; t++) {
    const i = at + 4 * t;
    W[t] = (src[i] << 24) | (src[i + 1] << 16) | (src[i + 2] << 8) | src[i + 3];
  }
  schedule(W);
  H.set(IV);
  compress(W, H);
  compress(PAD_WK, H);
  for (let t = 0; t < 8; t++) {
    const v = H[t];
    const i = to + 4 * t;
    dst[i] = v >>> 24;
    dst[i + 1] = v >>> 16;
    dst[i + 2] = v >>> 8;
    dst[i + 3] = v;
  }
}
