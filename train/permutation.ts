/**
 * A keyed pseudo-random permutation of [0, n) evaluated one index at a time (a Feistel network
 * over the smallest even power of two >= n, with cycle walking). It shuffles an epoch of n windows
 * in O(1) memory, and seeking to any position of the epoch is O(1): a data cursor is two integers.
 */

/** murmur3's 32-bit finaliser: a fast, well-mixing bijection on uint32. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit key derived from a seed and an epoch number. */
export function epochKey(seed: number, epoch: number): number {
  return mix32(mix32(seed >>> 0) ^ Math.imul(epoch + 1, 0x9e3779b9));
}

const ROUNDS = 6;

/** The image of `i` (0 <= i < n) under the permutation of [0, n) selected by `key`. */
export function permuteIndex(i: number, n: number, key: number): number {
  if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`index ${i} outside [0, ${n})`);
  if (n > 2 ** 32) throw new RangeError(`permutation size ${n} above 2^32`);
  if (n <= 1) return i;
  let bits = Math.ceil(Math.log2(n));
  if (bits % 2) bits += 1;
  const half = bits / 2;
  const size = 2 ** half;
  const mask = size - 1;
  let x = i;
  do {
    let left = Math.floor(x / size);
    let right = x & mask;
    for (let r = 0; r < ROUNDS; r++) {
      const f = mix32(right ^ mix32(key + Math.imul(r + 1, 0x27d4eb2f))) & mask;
      [left, right] = [right, (left ^ f) & mask];
    }
    x = left * size + right;
  } while (x >= n); // cycle walking: the walk stays in [0, n) since the full map is a bijection
  return x;
}
