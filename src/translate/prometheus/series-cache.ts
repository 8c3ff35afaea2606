/**
 * Content-keyed PointEntry cache for points WITHOUT a `prom` identity (OTLP input): a steady OTLP stream sends the
 * same series every interval as fresh objects, so object identity cannot be the key; the content can.
 *
 * Contract
 * - A point's final label set is a pure function of (label context content, attribute keys in order, family name,
 *   stringified attribute values) under one translator configuration. The first two are interned once per batch and
 *   shape as a persistent `shapeId`, the name as a `nameId`; a point is found by (shapeId, nameId, values): a 32-bit
 *   hash picks a chain, and the ids and every value string are compared, so a hit is always the correct entry.
 * - FAST PATH: no key string is built (hashing and Map lookups of long string keys cost ~1 us per point); the hash
 *   is computed over the value chars directly and the Map is keyed by a small integer.
 * - Two generations bound memory: lookups hit `young`, then `old` (promoting to `young`); `young` becomes `old` when it
 *   holds `limit` entries or is `maxAgeMs` old, so unseen series are forgotten after at most two rotations. The id
 *   tables are bounded too (everything is reset when one reaches 2^20 entries).
 * - Memory per entry: the value strings (shared with nothing after the batch) plus the PointEntry and its encoders'
 *   memos (~0.5-1 KB).
 * Usage: `find(...)`, then on a miss `insert(entry)` (which uses the hash and values of that `find`).
 * No I/O, no logging.
 */
import type { Attributes, Label } from '../../model/types.ts';
import { FNV_OFFSET, fnvMix, fnvString } from '../../util/fnv.ts';
import { attributeValue } from './labels.ts';
import type { PointEntry } from './series.ts';

const ID_LIMIT = 1 << 20;

interface Slot {
  readonly shapeId: number;
  readonly nameId: number;
  readonly values: readonly string[];
  readonly entry: PointEntry;
  next: Slot | undefined;
}

/** Length prefix for signatures: one char below 0xffff, else an escape plus the decimal length. */
function len(n: number): string {
  return n < 0xffff ? String.fromCharCode(n) : '\uffff' + n + ':';
}

export class SeriesContentCache {
  readonly limit: number;
  readonly maxAgeMs: number;
  private young = new Map<number, Slot>();
  private old = new Map<number, Slot>();
  private youngCount = 0;
  private oldCount = 0;
  private rotatedAtMs: number;
  private shapeIds = new Map<string, number>();
  private nameIds = new Map<string, number>();
  // The last find(): its key parts, for insert().
  private readonly values: string[] = [];
  private nValues = 0;
  private hash = 0;
  private shapeId = 0;
  private nameId = 0;

  constructor(limit: number, maxAgeMs: number, nowMs: number) {
    this.limit = limit;
    this.maxAgeMs = maxAgeMs;
    this.rotatedAtMs = nowMs;
  }

  get size(): number {
    return this.youngCount + this.oldCount;
  }

  /** Persistent id of a label context's content plus an attribute-key list (once per shape per batch). */
  shapeIdOf(override: readonly Label[], fill: readonly Label[], keys: readonly string[]): number {
    let sig = 'o';
    for (const l of override) sig += len(l.name.length) + l.name + len(l.value.length) + l.value;
    sig += 'f';
    for (const l of fill) sig += len(l.name.length) + l.name + len(l.value.length) + l.value;
    sig += 'k';
    for (const k of keys) sig += len(k.length) + k;
    return this.intern(true, sig);
  }

  /** Persistent id of a family name (once per metric per batch). */
  nameIdOf(name: string): number {
    return this.intern(false, name);
  }

  /** The cached entry for (shape, name, attribute values), or undefined (then `insert` may follow). */
  find(shapeId: number, nameId: number, attrs: Attributes): PointEntry | undefined {
    let h = fnvMix(FNV_OFFSET, shapeId) ^ nameId;
    const vals = this.values;
    const n = attrs.length;
    for (let i = 0; i < n; i++) {
      const v = attributeValue(attrs, i);
      vals[i] = v;
      h = fnvString(fnvMix(h, v.length), v);
    }
    h |= 0;
    this.nValues = n;
    this.hash = h;
    this.shapeId = shapeId;
    this.nameId = nameId;
    for (let s = this.young.get(h); s !== undefined; s = s.next) if (this.matches(s)) return s.entry;
    let prev: Slot | undefined;
    for (let s = this.old.get(h); s !== undefined; prev = s, s = s.next) {
      if (!this.matches(s)) continue;
      // Promote to the young generation.
      if (prev === undefined) {
        if (s.next === undefined) this.old.delete(h);
        else this.old.set(h, s.next);
      } else prev.next = s.next;
      this.oldCount--;
      this.insert(s.entry);
      return s.entry;
    }
    return undefined;
  }

  /** Caches `entry` under the key of the last `find`. */
  insert(entry: PointEntry): void {
    if (this.youngCount >= this.limit) this.rotate(this.rotatedAtMs);
    const h = this.hash;
    const slot: Slot = {
      shapeId: this.shapeId,
      nameId: this.nameId,
      values: this.values.slice(0, this.nValues),
      entry,
      next: this.young.get(h),
    };
    this.young.set(h, slot);
    this.youngCount++;
  }

  /** Time-based rotation; call once per batch. */
  tick(nowMs: number): void {
    if (nowMs - this.rotatedAtMs >= this.maxAgeMs) this.rotate(nowMs);
  }

  private matches(s: Slot): boolean {
    if (s.shapeId !== this.shapeId || s.nameId !== this.nameId) return false;
    const v = s.values;
    const n = this.nValues;
    if (v.length !== n) return false;
    for (let i = 0; i < n; i++) if (v[i] !== this.values[i]) return false;
    return true;
  }

  private rotate(nowMs: number): void {
    this.old = this.young;
    this.oldCount = this.youngCount;
    this.young = new Map();
    this.youngCount = 0;
    this.rotatedAtMs = nowMs;
  }

  private intern(shape: boolean, s: string): number {
    let table = shape ? this.shapeIds : this.nameIds;
    let id = table.get(s);
    if (id === undefined) {
      if (table.size >= ID_LIMIT) {
        // Ids must never be reused while entries keyed by them exist: forget all ids and entries.
        this.shapeIds = new Map();
        this.nameIds = new Map();
        this.young = new Map();
        this.old = new Map();
        this.youngCount = 0;
        this.oldCount = 0;
        table = shape ? this.shapeIds : this.nameIds;
      }
      id = table.size;
      table.set(s, id);
    }
    return id;
  }
}
