/**
 * Per-target scrape cache (Prometheus `scrapeCache`), keyed by the raw series text of the exposition line.
 *
 * Objects, from the line outwards:
 *   SeriesEntry  one raw series text -> final labels, its role in an OTLP point, staleness bookkeeping; `dropped`
 *                when metric relabeling dropped it (the line is then skipped on sight, as Prometheus's droppedSeries)
 *   PointGroup   one OTLP data point identity: final labels minus `le`/`quantile`, interned by that identity so two
 *                raw spellings of one series share it; holds the `prom` identity and attribute templates reused
 *                scrape after scrape, plus per-scrape scratch (value, buckets, quantiles...) stamped by `iter`
 *   MetricSlot   one OTLP metric (resource x scope x name x kind) with its per-scrape Metric object
 *   ScopeSlot / ResourceSlot   the scope (from otel_scope_* labels) and resource (job, instance) of those metrics
 *
 * Staleness is Prometheus's two-set scheme on arrays: entries tracked in this append go to `cur`; at the end,
 * entries of `prev` not tracked again are stale; then the arrays swap. `appendId` is unique per append call (empty
 * appends included), `iter` counts successful scrapes for cache cleanup (`iterDone`), as upstream.
 * Not shared between targets; single-threaded, so no locking.
 */
import type { Exemplar, KeyValue, Label, Metric, PromSeries, ResourceMetrics, ScopeMetrics } from '../../../model/types.ts';
import { ownString } from '../../../model/label-intern.ts';
import { GroupTable } from './group-table.ts';

/** Role of a sample within its point. */
export const Role = {
  VALUE: 0,
  BUCKET: 1,
  SUM: 2,
  COUNT: 3,
  CREATED: 4,
  QUANTILE: 5,
  /** target_info: labels become resource attributes. */
  TARGET_INFO: 6,
  /** Kept for Prometheus bookkeeping (counts, staleness) but not translated (gauge histograms, bad `le`). */
  IGNORE: 7,
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export type SlotKind = 'gauge' | 'sum' | 'histogram' | 'summary';

export interface MetaEntry {
  type: string;
  help: string;
  unit: string;
  /** Successful-scrape iteration this family's metadata was last seen in. */
  lastIter: number;
  /** Append that created the entry. */
  createdId: number;
}

export class ResourceSlot {
  readonly job: string;
  readonly instance: string;
  /** Resource attributes from the last `target_info` sample (without job/instance). */
  targetInfo: KeyValue[] = [];
  iter = -1;
  rm: ResourceMetrics | undefined = undefined;
  constructor(job: string, instance: string) {
    this.job = job;
    this.instance = instance;
  }
}

export class ScopeSlot {
  readonly res: ResourceSlot;
  readonly name: string;
  readonly version: string;
  readonly schemaUrl: string;
  readonly attributes: readonly KeyValue[];
  iter = -1;
  sm: ScopeMetrics | undefined = undefined;
  constructor(res: ResourceSlot, name: string, version: string, schemaUrl: string, attributes: readonly KeyValue[]) {
    this.res = res;
    this.name = name;
    this.version = version;
    this.schemaUrl = schemaUrl;
    this.attributes = attributes;
  }
}

export class MetricSlot {
  readonly scope: ScopeSlot;
  readonly name: string;
  readonly kind: SlotKind;
  readonly monotonic: boolean;
  /** `prometheus.type` metadata value. */
  readonly promType: string;
  /** Family name to read HELP/UNIT from. */
  readonly family: string;
  iter = -1;
  metric: Metric | undefined = undefined;
  constructor(scope: ScopeSlot, name: string, kind: SlotKind, monotonic: boolean, promType: string, family: string) {
    this.scope = scope;
    this.name = name;
    this.kind = kind;
    this.monotonic = monotonic;
    this.promType = promType;
    this.family = family;
  }
}

/** The shared empty array of PointGroup's number lists (frozen: writers allocate their own first). */
export const NO_NUMBERS: number[] = Object.freeze([]) as unknown as number[];

export class PointGroup {
  readonly slot: MetricSlot;
  /** Point attributes (labels minus job, instance, otel_scope_*, le, quantile), reused across scrapes. */
  readonly attributes: KeyValue[];
  readonly prom: PromSeries;
  lastIter = 0;
  // ---- per-scrape scratch, valid while `iter` equals the current append id ----
  iter = -1;
  tsMs = 0;
  hasValue = false;
  value = 0;
  createdMs = -1;
  hasSum = false;
  sum = 0;
  hasCount = false;
  count = 0;
  /** Bucket upper bounds / cumulative counts, or quantiles / values, in exposition order (allocated on first use:
   * most groups are gauges and counters; NO_NUMBERS is shared and never written). */
  keys: number[] = NO_NUMBERS;
  vals: number[] = NO_NUMBERS;
  exemplars: Exemplar[] | undefined = undefined;
  // ---- across scrapes ----
  /** Bounds (histogram) or quantiles (summary) of the last emitted point, for stale markers. */
  lastLayout: number[] = NO_NUMBERS;
  lastHadBuckets = false;
  lastHadSum = false;
  /** Stamp of the append that emitted a stale marker for this group. */
  staleIter = -1;
  /** Stamp of the last append that emitted a (non-stale) point for this group; -1 = never. */
  emitId = -1;
  /** first_seen start-time mode: start (ms) and last cumulative value for reset detection. */
  startMs = -1;
  lastCumulative = -1;
  /** `startMs` in ns, set together with it (it changes only on a reset): no BigInt per point per scrape. */
  startNs = 0n;
  constructor(slot: MetricSlot, attributes: KeyValue[], prom: PromSeries) {
    this.slot = slot;
    this.attributes = attributes;
    this.prom = prom;
  }
}

export class SeriesEntry {
  readonly dropped: boolean;
  /** Final `__name__`. */
  readonly name: string;
  /** Final labels without `__name__`, sorted, no empty values. */
  readonly labels: readonly Label[];
  group: PointGroup | undefined = undefined;
  role: Role = Role.IGNORE;
  /** `le` or `quantile` value. */
  bound = 0;
  /** Cache metadata generation the role was resolved under. */
  metaGen = -1;
  lastIter = 0;
  /** appendId of the last append that tracked this entry for staleness. */
  trackIter = -1;
  /** appendId of the last append that saw this raw line (duplicate detection). */
  seenId = -1;
  /** The raw series text this entry is keyed by in `ScrapeCache.series` (owned copy; '' until inserted). */
  raw = '';
  /** Removed from `ScrapeCache.series` by a cache cleanup: no longer a valid positional guess. */
  evicted = false;
  constructor(dropped: boolean, name: string, labels: readonly Label[]) {
    this.dropped = dropped;
    this.name = name;
    this.labels = labels;
  }
}

const DROPPED = new SeriesEntry(true, '', []);

export class ScrapeCache {
  readonly series = new Map<string, SeriesEntry>();
  /**
   * FAST PATH: the entries of the last append in exposition order. Targets expose their series in the same order
   * scrape after scrape, so the entry at the same position is checked first, by comparing the line's series text in
   * place (no substring, no string hash, no Map probe); only a mismatch falls back to `series`. Slots past the last
   * append's length, or of evicted entries, are stale guesses: each is verified before use.
   */
  readonly order: SeriesEntry[] = [];
  readonly groups = new GroupTable();
  readonly slots = new Map<string, MetricSlot>();
  readonly scopes = new Map<string, ScopeSlot>();
  readonly resources = new Map<string, ResourceSlot>();
  readonly metadata = new Map<string, MetaEntry>();
  /** Bumped whenever a known family's type changes or a family is forgotten: cached roles are re-resolved. A new
   * family does not bump it (its TYPE line precedes its samples, so nothing resolved earlier depends on it). */
  metaGen = 0;
  iter = 1;
  appendId = 0;
  successfulCount = 0;
  /** Staleness sets: entries [0, curLen) / [0, prevLen) (the arrays are reused, never shrunk: no regrowth per scrape;
   * slots past the length may still point to old entries until overwritten). */
  private cur: SeriesEntry[] = [];
  private curLen = 0;
  private prev: SeriesEntry[] = [];
  private prevLen = 0;

  /** Keys `e` by an owned copy of `raw` (the parser's strings are slices of the whole body). */
  insert(raw: string, e: SeriesEntry): SeriesEntry {
    e.raw = ownString(raw);
    e.lastIter = this.iter;
    this.series.set(e.raw, e);
    return e;
  }

  addDropped(raw: string): SeriesEntry {
    return this.insert(raw, new SeriesEntry(true, DROPPED.name, DROPPED.labels));
  }

  setType(name: string, type: string): void {
    const m = this.meta(name);
    if (m.type !== type) {
      if (m.type !== '' || m.createdId !== this.appendId) this.metaGen++;
      m.type = type;
    }
  }

  meta(name: string): MetaEntry {
    let m = this.metadata.get(name);
    if (m === undefined) {
      m = { type: '', help: '', unit: '', lastIter: this.iter, createdId: this.appendId };
      this.metadata.set(ownString(name), m);
    }
    m.lastIter = this.iter;
    return m;
  }

  /** Marks `e` as exposed in this append (Prometheus `trackStaleness`). */
  track(e: SeriesEntry): void {
    if (e.trackIter === this.appendId) return;
    e.trackIter = this.appendId;
    this.cur[this.curLen++] = e;
  }

  /** Entries exposed in the previous append and not in this one (Prometheus `forEachStale`). */
  stale(out: SeriesEntry[]): void {
    const id = this.appendId;
    const prev = this.prev;
    for (let i = 0; i < this.prevLen; i++) if (prev[i]!.trackIter !== id) out.push(prev[i]!);
  }

  /** Prometheus `iterDone(flushCache)`: cleanup after a successful scrape, then swap the staleness sets. */
  iterDone(flushCache: boolean): void {
    const count = this.series.size + this.metadata.size;
    if (flushCache) this.successfulCount = count;
    else if (count > this.successfulCount * 2 + 1000) flushCache = true;
    if (flushCache) {
      const it = this.iter;
      // forEach, not for-of with destructuring: no [key, value] array per entry (this runs after every scrape).
      const series = this.series;
      series.forEach((e, k) => {
        if (e.lastIter !== it) {
          e.evicted = true;
          series.delete(k);
        }
      });
      this.groups.sweep(it);
      const metadata = this.metadata;
      metadata.forEach((m, k) => {
        if (m.lastIter !== it) {
          metadata.delete(k);
          this.metaGen++;
        }
      });
      this.iter++;
    }
    const p = this.prev;
    this.prev = this.cur;
    this.prevLen = this.curLen;
    this.cur = p;
    this.curLen = 0;
  }

  /** Forgets what this append tracked so far (a failed transport: as if nothing was read). */
  untrackAll(): void {
    this.curLen = 0;
  }

  /** Starts an append: a fresh stamp for tracking, duplicates and per-scrape scratch. */
  beginAppend(): number {
    return ++this.appendId;
  }
}
