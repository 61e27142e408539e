/**
 * A hash table from pre-token to token ids that is probed with a slice of a larger string (text, start,
 * end), so the encoder's hot loop looks words up without cutting a substring out of the text first.
 */

/** FNV-1a over UTF-16 code units of text[start, end). */
export function hashSlice(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Open-addressing (linear probing) cache; emptied when it reaches `maxEntries`. */
export class WordCache<V> {
  private keys: (string | undefined)[] = [];
  private hashes = new Uint32Array(0);
  private values: (V | undefined)[] = [];
  private mask = 0;
  private count = 0;

  constructor(private readonly maxEntries = 1 << 20) {
    this.reset(1 << 12);
  }

  /** Entries held. */
  get size(): number {
    return this.count;
  }

  /** The value stored for text[start, end) with hash `hash` (from hashSlice), or undefined. */
  get(text: string, start: number, end: number, hash: number): V | undefined {
    const len = end - start;
    for (let slot = hash & this.mask;; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot];
      if (key === undefined) return undefined;
      if (this.hashes[slot] === hash && key.length === len && sameChars(key, text, start)) return this.values[slot];
    }
  }

  /** Stores `value` for `key` (whose hashSlice is `hash`); the key must not be present. */
  set(key: string, hash: number, value: V): void {
    if (this.count >= this.maxEntries) this.reset(this.keys.length);
    else if (2 * (this.count + 1) > this.keys.length) this.grow();
    let slot = hash & this.mask;
    while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask;
    this.keys[slot] = key;
    this.hashes[slot] = hash;
    this.values[slot] = value;
    this.count++;
  }

  private reset(capacity: number): void {
    this.keys = new Array(capacity).fill(undefined);
    this.values = new Array(capacity).fill(undefined);
    this.hashes = new Uint32Array(capacity);
    this.mask = capacity - 1;
    this.count = 0;
  }

  private grow(): void {
    const { keys, hashes, values } = this;
    this.reset(keys.length * 2);
    keys.forEach((key, slot) => {
      if (key !== undefined) this.set(key, hashes[slot], values[slot]!);
    });
  }
}

function sameChars(key: string, text: string, start: number): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== text.charCodeAt(start + i)) return false;
  return true;
}
