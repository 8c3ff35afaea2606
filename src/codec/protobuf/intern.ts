/**
 * ByteIntern: a fixed-size, direct-mapped cache from short byte strings to decoded values.
 *
 * Contract
 * - `get(buf, view, start, end)` returns the value stored for exactly the bytes [start, end), or undefined. A hit is
 *   only ever returned for byte-identical input, so using it is always equivalent to decoding again (callers store
 *   only values that are pure functions of the bytes, and immutable ones: strings, frozen pairs).
 * - 2-way set associative: `put` fills an empty way of the bytes' set or replaces the older one (no chaining, no
 *   growth): memory is fixed at
 *   `entries * maxLen` bytes plus the value array. Inputs longer than `maxLen` are never cached.
 * - Hashing and equality read 4 bytes at a time. Both need `view` over the same bytes as `buf`.
 */

export class ByteIntern<T> {
  readonly maxLen: number;
  private readonly mask: number;
  private readonly arena: Uint8Array;
  private readonly arenaView: DataView;
  private readonly lens: Int32Array;
  private readonly values: Array<T | undefined>;
  /** Per 2-way set: which way the next replacement takes. */
  private readonly victim: Uint8Array;

  constructor(entries: number, maxLen: number) {
    if ((entries & (entries - 1)) !== 0) throw new RangeError('entries must be a power of two');
    this.maxLen = maxLen;
    this.mask = entries - 1;
    this.arena = new Uint8Array(entries * maxLen);
    this.arenaView = new DataView(this.arena.buffer);
    this.lens = new Int32Array(entries).fill(-1);
    this.values = new Array<T | undefined>(entries).fill(undefined);
    this.victim = new Uint8Array(entries >>> 1);
  }

  private slot(buf: Uint8Array, view: DataView, start: number, end: number): number {
    // Every byte counts (a sampled hash made IDs differing in one digit collide and thrash the slot).
    let h = end - start;
    let p = start;
    for (; p + 4 <= end; p += 4) {
      h = Math.imul(h ^ view.getUint32(p, true), 0x9e3779b1);
      h ^= h >>> 15;
    }
    for (; p < end; p++) h = Math.imul(h ^ buf[p]!, 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & this.mask;
  }

  get(buf: Uint8Array, view: DataView, start: number, end: number): T | undefined {
    const n = end - start;
    if (n > this.maxLen) return undefined;
    const s = this.slot(buf, view, start, end);
    // 2-way set: slots s and s ^ 1.
    if (this.lens[s] === n && this.equal(s, buf, view, start, n)) return this.values[s];
    const t = s ^ 1;
    if (this.lens[t] === n && this.equal(t, buf, view, start, n)) return this.values[t];
    return undefined;
  }

  private equal(slot: number, buf: Uint8Array, view: DataView, start: number, n: number): boolean {
    const arena = this.arena;
    const av = this.arenaView;
    const base = slot * this.maxLen;
    let j = 0;
    for (; j + 4 <= n; j += 4) if (view.getUint32(start + j, true) !== av.getUint32(base + j, true)) return false;
    for (; j < n; j++) if (buf[start + j] !== arena[base + j]) return false;
    return true;
  }

  put(buf: Uint8Array, view: DataView, start: number, end: number, value: T): void {
    const n = end - start;
    if (n > this.maxLen) return;
    let s = this.slot(buf, view, start, end);
    // Fill an empty way first, else replace the way not written last.
    if (this.lens[s] !== -1) {
      if (this.lens[s ^ 1] === -1 || this.victim[s >>> 1] === 1) s ^= 1;
    }
    this.victim[s >>> 1] = (s & 1) ^ 1;
    this.arena.set(buf.subarray(start, end), s * this.maxLen);
    this.lens[s] = n;
    this.values[s] = value;
  }
}
