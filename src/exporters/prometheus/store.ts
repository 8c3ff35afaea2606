/**
 * The /metrics exporter's state: the latest value of every series, grouped by family (metric name) and by metric
 * point, fed by the OTLP -> Prometheus translation layer (this class is its PromSink) and read by render.ts.
 *
 * Contract
 * - `begin(nowMs)` before each translated batch (the update time stamped on every point it touches), `end()` after.
 * - A family is keyed by its name. A later OTLP metric with the same name but another type is refused while the
 *   family has points (counted in `conflicts` with its samples; the first type wins until it expires).
 * - A point is one exposition group: a gauge/counter/target_info sample, or every `_bucket`/quantile sample plus
 *   `_sum`/`_count` of one histogram/summary point (the translator emits them consecutively, ending with `_count`).
 *   Updating a point keeps its cached series text (prefix `name{labels}`) when its layout is unchanged, so the
 *   steady state costs one Map lookup and a value store per sample; only the render's cached value text (and
 *   exemplar text when the exemplar changed) is invalidated. A point whose layout or labels changed gets new samples.
 * - A stale marker (STALE_NAN: the point had the no-recorded-value flag) removes the point at once: the series has
 *   ended, and the scraper marks it stale itself when it disappears.
 * - `sweep(nowMs)` drops points not updated for `expirationMs` (collector `metric_expiration`), families left empty
 *   with them; target_info is an ordinary point, so it expires with its resource's series.
 * - Latest value wins; counters arrive cumulative (the translator accumulates deltas).
 */
import type { FamilyType, PromExemplar, PromSink, SeriesRef } from '../../translate/prometheus/index.ts';
import { isStaleNaN, SeriesKind } from '../../translate/prometheus/index.ts';
import { escapeLabelValue } from '../../codec/promtext/index.ts';
import type { Label } from '../../model/types.ts';

export interface StoredSample {
  /** The series as first seen (name and labels are what match[] selectors test). */
  readonly ref: SeriesRef;
  readonly kind: SeriesKind;
  /** `name{a="b"}` (text format series text; escaping applied). */
  readonly prefix: string;
  /** `prefix` is all ASCII (written byte per char); otherwise it is written as UTF-8. */
  readonly ascii: boolean;
  /** OpenMetrics series text when it differs from `prefix` (a counter named without `_total`); set by the render. */
  omPrefix: string | undefined;
  value: number;
  ts: number;
  exemplar: PromExemplar | undefined;
  /** Render caches, cleared when the sample changes: the formatted value (text, OpenMetrics), the exemplar suffix. */
  text: string | undefined;
  om: string | undefined;
  omEx: string | undefined;
}

export interface StoredPoint {
  samples: StoredSample[];
  updatedMs: number;
  /** Histogram/summary point with a `_sum` sample (OpenMetrics writes `_count` only with `_sum`). */
  hasSum: boolean;
}

export class StoredFamily {
  readonly name: string;
  type: FamilyType;
  help: string;
  unit: string;
  /** The translator's target_info family (rendered as an OpenMetrics info family). */
  targetInfo = false;
  readonly points = new Map<string, StoredPoint>();
  textHeader: string | undefined = undefined;
  omHeader: string | undefined = undefined;

  constructor(name: string, type: FamilyType, help: string, unit: string) {
    this.name = name;
    this.type = type;
    this.help = help;
    this.unit = unit;
  }
}

/** `name{a="b",c="d"}`, memoised on the SeriesRef's `text` slot (a pure function of name and labels). */
export function seriesText(ref: SeriesRef): string {
  let t = ref.text;
  if (typeof t === 'string') return t;
  t = ref.name;
  const ls = ref.labels;
  if (ls.length > 0) {
    t += '{';
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i]!;
      t += (i === 0 ? '' : ',') + l.name + '="' + escapeLabelValue(l.value) + '"';
    }
    t += '}';
  }
  ref.text = t;
  return t;
}

function sameLabels(a: readonly Label[], b: readonly Label[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  return true;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

function newSample(ref: SeriesRef, kind: SeriesKind, value: number, ts: number, ex: PromExemplar | undefined): StoredSample {
  const prefix = seriesText(ref);
  return { ref, kind, prefix, ascii: isAscii(prefix), omPrefix: undefined, value, ts, exemplar: ex, text: undefined, om: undefined, omEx: undefined };
}

/** Stores a new value / timestamp / exemplar, dropping the render caches when anything changed. */
function update(s: StoredSample, value: number, ts: number, ex: PromExemplar | undefined): void {
  s.ts = ts;
  if (s.value !== value || value !== value) {
    s.value = value;
    s.text = s.om = undefined;
  }
  if (s.exemplar !== ex) {
    s.exemplar = ex;
    s.omEx = undefined;
  }
}

const lastOf = (ex: readonly PromExemplar[] | undefined): PromExemplar | undefined => (ex === undefined || ex.length === 0 ? undefined : ex[ex.length - 1]);

export class SeriesStore implements PromSink {
  readonly families = new Map<string, StoredFamily>();
  readonly expirationMs: number;
  /** Keep exemplars (only OpenMetrics shows them). */
  readonly keepExemplars: boolean;
  /** Points refused because their family name is already served with another type. */
  conflicts = 0;
  private sorted: StoredFamily[] | undefined = undefined;
  private current: StoredFamily | undefined = undefined;
  private nowMs = 0;
  // Pending histogram/summary point (until its `_count`).
  private readonly pRefs: SeriesRef[] = [];
  private readonly pKinds: SeriesKind[] = [];
  private pValues = new Float64Array(64);
  private readonly pTs: number[] = [];
  private readonly pEx: (PromExemplar | undefined)[] = [];
  private pStale = false;
  private pSum = false;

  constructor(expirationMs: number, keepExemplars: boolean) {
    this.expirationMs = expirationMs;
    this.keepExemplars = keepExemplars;
  }

  /** Families sorted by name (cached until a family is added or removed). */
  sortedFamilies(): readonly StoredFamily[] {
    if (this.sorted === undefined) {
      this.sorted = [...this.families.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    return this.sorted;
  }

  begin(nowMs: number): void {
    this.nowMs = nowMs;
    this.current = undefined;
    this.resetPending();
  }

  end(): void {
    this.current = undefined;
    this.resetPending();
  }

  family(name: string, type: FamilyType, help: string, unit: string): void {
    this.resetPending();
    let f = this.families.get(name);
    if (f === undefined) {
      f = new StoredFamily(name, type, help, unit);
      this.families.set(name, f);
      this.sorted = undefined;
    } else if (f.type !== type) {
      if (f.points.size > 0) {
        this.current = undefined;
        return;
      }
      f.type = type;
      f.textHeader = f.omHeader = undefined;
    }
    if (help !== f.help || unit !== f.unit) {
      f.help = help;
      f.unit = unit;
      f.textHeader = f.omHeader = undefined;
    }
    this.current = f;
  }

  series(ref: SeriesRef, value: number, ts: number, kind: SeriesKind, _startMs: number, ex: readonly PromExemplar[] | undefined): void {
    const f = this.current;
    if (f === undefined) {
      if (kind !== SeriesKind.BUCKET && kind !== SeriesKind.QUANTILE && kind !== SeriesKind.SUM && kind !== SeriesKind.CREATED) this.conflicts++;
      return;
    }
    const exemplar = this.keepExemplars ? lastOf(ex) : undefined;
    switch (kind) {
      case SeriesKind.BUCKET:
      case SeriesKind.QUANTILE:
      case SeriesKind.SUM:
        return this.pend(ref, kind, value, ts, exemplar);
      case SeriesKind.COUNT:
        this.pend(ref, kind, value, ts, exemplar);
        return this.flushPoint(f, ref);
      case SeriesKind.CREATED:
        return; // `_created` is never requested from the translator by this exporter
      case SeriesKind.TARGET_INFO:
        f.targetInfo = true;
        return this.single(f, ref, kind, value, ts, undefined);
      default:
        return this.single(f, ref, kind, value, ts, exemplar);
    }
  }

  private single(f: StoredFamily, ref: SeriesRef, kind: SeriesKind, value: number, ts: number, ex: PromExemplar | undefined): void {
    const key = seriesText(ref);
    if (isStaleNaN(value)) {
      f.points.delete(key);
      return;
    }
    const p = f.points.get(key);
    if (p === undefined) {
      f.points.set(key, { samples: [newSample(ref, kind, value, ts, ex)], updatedMs: this.nowMs, hasSum: false });
      return;
    }
    p.updatedMs = this.nowMs;
    update(p.samples[0]!, value, ts, ex);
  }

  private pend(ref: SeriesRef, kind: SeriesKind, value: number, ts: number, ex: PromExemplar | undefined): void {
    const n = this.pRefs.length;
    if (n === this.pValues.length) {
      const grown = new Float64Array(n * 2);
      grown.set(this.pValues);
      this.pValues = grown;
    }
    this.pRefs.push(ref);
    this.pKinds.push(kind);
    this.pValues[n] = value;
    this.pTs.push(ts);
    this.pEx.push(ex);
    if (isStaleNaN(value)) this.pStale = true;
    if (kind === SeriesKind.SUM) this.pSum = true;
  }

  private flushPoint(f: StoredFamily, countRef: SeriesRef): void {
    const key = seriesText(countRef);
    const n = this.pRefs.length;
    if (this.pStale) {
      f.points.delete(key);
      return this.resetPending();
    }
    let p = f.points.get(key);
    if (p === undefined) {
      p = { samples: [], updatedMs: this.nowMs, hasSum: this.pSum };
      f.points.set(key, p);
    }
    p.updatedMs = this.nowMs;
    p.hasSum = this.pSum;
    const ss = p.samples;
    let same = ss.length === n;
    for (let i = 0; same && i < n; i++) {
      const s = ss[i]!;
      const r = this.pRefs[i]!;
      same = s.kind === this.pKinds[i] && (s.ref === r || (s.ref.name === r.name && sameLabels(s.ref.labels, r.labels)));
    }
    if (same) {
      for (let i = 0; i < n; i++) update(ss[i]!, this.pValues[i]!, this.pTs[i]!, this.pEx[i]);
    } else {
      const fresh: StoredSample[] = new Array(n);
      for (let i = 0; i < n; i++) fresh[i] = newSample(this.pRefs[i]!, this.pKinds[i]!, this.pValues[i]!, this.pTs[i]!, this.pEx[i]);
      p.samples = fresh;
    }
    this.resetPending();
  }

  private resetPending(): void {
    if (this.pRefs.length === 0 && !this.pStale) return;
    this.pRefs.length = 0;
    this.pKinds.length = 0;
    this.pTs.length = 0;
    this.pEx.length = 0;
    this.pStale = false;
    this.pSum = false;
  }

  /** Removes points not updated since `nowMs - expirationMs`; returns how many series (samples) went away. */
  sweep(nowMs: number): number {
    const limit = nowMs - this.expirationMs;
    let removed = 0;
    for (const [name, f] of this.families) {
      for (const [key, p] of f.points) {
        if (p.updatedMs < limit) {
          removed += p.samples.length;
          f.points.delete(key);
        }
      }
      if (f.points.size === 0) {
        this.families.delete(name);
        this.sorted = undefined;
      }
    }
    return removed;
  }

  /** Number of series (exposition lines, headers excluded). */
  seriesCount(): number {
    let n = 0;
    for (const f of this.families.values()) for (const p of f.points.values()) n += p.samples.length;
    return n;
  }
}
