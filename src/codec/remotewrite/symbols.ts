/**
 * Symbol interning for RW 2.0 without a hash lookup per label string per sample.
 *
 * Contract
 * - `SymbolRegistry` gives every string a stable global id (id 0 is ""). It lives as long as its encoder and is
 *   compacted (forgotten, `gen` bumped) only between requests, when it holds more than `limit` strings.
 * - A series' global ids are memoised on its SeriesRef (`rw2` slot, `Rw2Memo`), tagged with the registry and its
 *   generation, so the per-series string->id lookups happen once per series lifetime (or after a compaction).
 * - `RequestSymbols` maps global ids to the request's own symbol table (`symbols[0] == ""`, each string once) with
 *   epoch-stamped typed arrays: a request boundary is `nextRequest()` (O(1)), a lookup is two array reads.
 * No I/O, no logging.
 */
import type { SeriesRef } from '../../translate/prometheus/types.ts';
import { checkLabels, forEachWireLabel } from './series-labels.ts';

export class SymbolRegistry {
  readonly limit: number;
  /** Bumped by every compaction: memos of older generations are stale. */
  gen = 0;
  strings: string[] = [''];
  private ids = new Map<string, number>([['', 0]]);

  constructor(limit = 1 << 20) {
    this.limit = limit;
  }

  get size(): number {
    return this.strings.length;
  }

  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  /** Forgets all strings when over the limit (call only between requests). Returns true if it did. */
  compactIfNeeded(): boolean {
    if (this.strings.length <= this.limit) return false;
    this.strings = [''];
    this.ids = new Map([['', 0]]);
    this.gen++;
    return true;
  }
}

/** The `rw2` memo: global ids of the wire label strings [name0, value0, ...] (`__name__` merged in, sorted). */
export interface Rw2Memo {
  readonly reg: SymbolRegistry;
  readonly gen: number;
  readonly ids: Int32Array;
}

let scratchIds = new Int32Array(64);

/**
 * Global ids for `ref`'s wire labels, or null when its label set is structurally invalid. Memoised on cacheable refs;
 * for other refs the result is a scratch array valid until the next call.
 */
export function seriesIds(ref: SeriesRef, reg: SymbolRegistry): Int32Array | null {
  const memo = ref.rw2 as Rw2Memo | null | undefined;
  // FAST PATH: memo from this registry and generation.
  if (memo !== undefined && memo !== null && memo.reg === reg && memo.gen === reg.gen) return memo.ids;
  if (memo === null) return null;
  if (checkLabels(ref, false) !== undefined) {
    if (ref.cacheable === true) ref.rw2 = null;
    return null;
  }
  const n = 2 * ref.labels.length + 2;
  let ids: Int32Array;
  if (ref.cacheable === true) ids = new Int32Array(n);
  else {
    if (scratchIds.length < n) scratchIds = new Int32Array(n * 2);
    ids = scratchIds;
  }
  let i = 0;
  forEachWireLabel(ref, (name, value) => {
    ids[i++] = reg.id(name);
    ids[i++] = reg.id(value);
  });
  if (ref.cacheable === true) ref.rw2 = { reg, gen: reg.gen, ids } satisfies Rw2Memo;
  return ids;
}

/** Per-request symbol table over a registry. */
export class RequestSymbols {
  readonly reg: SymbolRegistry;
  /** The request's symbols; [0] is "". */
  list: string[] = [''];
  /** Approximate encoded size of `list`. */
  bytes = 2;
  private epoch = 1;
  private epochOf = new Int32Array(4096);
  private localOf = new Int32Array(4096);

  constructor(reg: SymbolRegistry) {
    this.reg = reg;
    this.epochOf[0] = 1; // "" is always local 0
  }

  /** Local ref of global id `g`, adding the string to this request's table on first use. */
  local(g: number): number {
    if (g >= this.epochOf.length) this.grow(g);
    if (this.epochOf[g] === this.epoch) return this.localOf[g]!;
    const l = this.list.length;
    const s = this.reg.strings[g]!;
    this.list.push(s);
    this.bytes += s.length + 2;
    this.epochOf[g] = this.epoch;
    this.localOf[g] = l;
    return l;
  }

  /** Local ref of an arbitrary string. */
  intern(s: string): number {
    return this.local(this.reg.id(s));
  }

  /** Starts a new request table (and compacts the registry if it grew past its limit). */
  nextRequest(): void {
    this.reg.compactIfNeeded();
    this.list = [''];
    this.bytes = 2;
    this.epoch++;
    this.epochOf[0] = this.epoch;
    this.localOf[0] = 0;
  }

  private grow(g: number): void {
    let n = this.epochOf.length * 2;
    while (n <= g) n *= 2;
    const e = new Int32Array(n);
    e.set(this.epochOf);
    const l = new Int32Array(n);
    l.set(this.localOf);
    this.epochOf = e;
    this.localOf = l;
  }
}
