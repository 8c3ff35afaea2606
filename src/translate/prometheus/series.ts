/**
 * Per-point series identities (`PointEntry`) and exemplar conversion.
 *
 * Contract
 * - A `PointEntry` holds every SeriesRef one data point can produce under one translator configuration: the base series
 *   (gauge/counter name, or the family name for histograms/summaries), `_sum`, `_count`, `_created`, one `_bucket` per
 *   bound (+Inf last) and one per quantile. Suffix refs are built lazily and re-validated against the point's current
 *   bounds/quantiles (cheap numeric compares), so a cached entry stays correct when a histogram's layout changes.
 * - Entries are memoised on `point.prom` (model/prom-memo.ts) under the translator's own Symbol; the model contract (whoever changes
 *   a point's identity resets `prom`) keeps them valid.
 * - Exemplars: `trace_id` / `span_id` (lower-case hex, omitted when all-zero) take precedence over same-named filtered
 *   attributes; the filtered attributes are added only while the whole label set stays within 128 runes
 *   (OpenMetrics limit, as Prometheus' translator); labels sorted by name.
 */
import { bytesToHex, anyValueToString } from '../../model/attributes.ts';
import type { Exemplar, Label } from '../../model/types.ts';
import type { LabelNamer } from './label-namer.ts';
import { internLabel } from '../../model/label-intern.ts';
import { withLabel } from './labels.ts';
import type { PromExemplar, SeriesRef } from './types.ts';
import { formatLabelFloat } from './values.ts';

/** A SeriesRef with every memo slot present (one hidden class for all refs). */
export function newSeriesRef(
  name: string,
  labels: readonly Label[],
  cacheable: boolean,
  legacyNames: boolean | undefined = undefined,
): SeriesRef {
  return { name, labels, cacheable, rw1: undefined, rw2: undefined, text: undefined, legacyNames, shardHash: -1 };
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(a[i] !== a[i] && b[i] !== b[i])) return false;
  return true;
}

export class PointEntry {
  readonly base: SeriesRef;
  /** Delta-accumulator key, built on first use. */
  accKey: string | undefined = undefined;
  private sumRef: SeriesRef | undefined = undefined;
  private countRef: SeriesRef | undefined = undefined;
  private createdRef: SeriesRef | undefined = undefined;
  private bucketRefs: SeriesRef[] | undefined = undefined;
  private bucketBounds: number[] | undefined = undefined;
  private quantileRefs: SeriesRef[] | undefined = undefined;
  private quantileKeys: number[] | undefined = undefined;

  /** Whether this entry is memoised (on `prom`), i.e. its refs come back batch after batch. */
  readonly cacheable: boolean;
  /** `legacyNames` memo known at construction (escaped names), else undefined. Suffixes and le/quantile keep it. */
  private readonly legacy: boolean | undefined;

  constructor(name: string, labels: readonly Label[], cacheable: boolean, legacy: boolean | undefined) {
    this.cacheable = cacheable;
    this.legacy = legacy;
    this.base = newSeriesRef(name, labels, cacheable, legacy);
  }

  key(): string {
    if (this.accKey === undefined) {
      let k = this.base.name;
      for (const l of this.base.labels) k += '\xff' + l.name + '\xfe' + l.value;
      this.accKey = k;
    }
    return this.accKey;
  }

  sum(): SeriesRef {
    return (this.sumRef ??= newSeriesRef(this.base.name + '_sum', this.base.labels, this.cacheable, this.legacy));
  }

  count(): SeriesRef {
    return (this.countRef ??= newSeriesRef(this.base.name + '_count', this.base.labels, this.cacheable, this.legacy));
  }

  /** `_created` series; counters drop their `_total` first (as Prometheus does). */
  created(): SeriesRef {
    if (this.createdRef === undefined) {
      const n = this.base.name;
      const stem = n.endsWith('_total') ? n.slice(0, -6) : n;
      this.createdRef = newSeriesRef(stem + '_created', this.base.labels, this.cacheable, this.legacy);
    }
    return this.createdRef;
  }

  /** The base labels plus `name=value`; long-lived (cacheable) entries share the label object (label-intern.ts). */
  private with(name: string, value: string): Label[] {
    return withLabel(this.base.labels, name, value, this.cacheable ? internLabel(name, value) : undefined);
  }

  /** `_bucket` refs for `bounds` plus the trailing `le="+Inf"` one (length bounds.length + 1). */
  buckets(bounds: readonly number[]): readonly SeriesRef[] {
    if (this.bucketRefs !== undefined && sameNumbers(this.bucketBounds!, bounds)) return this.bucketRefs;
    const name = this.base.name + '_bucket';
    const refs: SeriesRef[] = [];
    for (let i = 0; i < bounds.length; i++) refs.push(newSeriesRef(name, this.with('le', formatLabelFloat(bounds[i]!)), this.cacheable, this.legacy));
    refs.push(newSeriesRef(name, this.with('le', '+Inf'), this.cacheable, this.legacy));
    this.bucketRefs = refs;
    this.bucketBounds = bounds.slice();
    return refs;
  }

  /** Quantile refs, in the order of `quantiles` (the caller sorts the values). */
  quantiles(quantiles: readonly number[]): readonly SeriesRef[] {
    if (this.quantileRefs !== undefined && sameNumbers(this.quantileKeys!, quantiles)) return this.quantileRefs;
    const refs: SeriesRef[] = [];
    for (let i = 0; i < quantiles.length; i++) {
      refs.push(
        newSeriesRef(this.base.name, this.with('quantile', formatLabelFloat(quantiles[i]!)), this.cacheable, this.legacy),
      );
    }
    this.quantileRefs = refs;
    this.quantileKeys = quantiles.slice();
    return refs;
  }
}

const MAX_EXEMPLAR_RUNES = 128;

function runes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++; // count high surrogates' pair once
  }
  return n;
}

function allZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

const byName = (a: Label, b: Label): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function convertExemplar(e: Exemplar, namer: LabelNamer, toMs: (ns: bigint) => number): PromExemplar {
  const labels: Label[] = [];
  let used = 0;
  let hasTrace = false;
  let hasSpan = false;
  if (e.traceId.length > 0 && !allZero(e.traceId)) {
    const v = bytesToHex(e.traceId);
    labels.push({ name: 'trace_id', value: v });
    used += 8 + runes(v);
    hasTrace = true;
  }
  if (e.spanId.length > 0 && !allZero(e.spanId)) {
    const v = bytesToHex(e.spanId);
    labels.push({ name: 'span_id', value: v });
    used += 7 + runes(v);
    hasSpan = true;
  }
  const fixed = labels.length;
  for (const kv of e.filteredAttributes) {
    const r = namer.build(kv.key);
    if (r.error !== undefined) continue;
    if ((hasTrace && r.name === 'trace_id') || (hasSpan && r.name === 'span_id')) continue;
    const value = anyValueToString(kv.value);
    if (value === '' || labels.some((l) => l.name === r.name)) continue;
    used += runes(r.name) + runes(value);
    labels.push({ name: r.name, value });
  }
  if (used > MAX_EXEMPLAR_RUNES) labels.length = fixed; // over the limit: keep only trace/span ids
  labels.sort(byName);
  const value = typeof e.value === 'number' ? e.value : Number(e.value);
  return { labels, value, timestampMs: toMs(e.timeUnixNano) };
}

/** Exemplars grouped by histogram bucket: the first bucket whose bound >= value, else +Inf (index `nb`). */
export function exemplarsByBucket(
  exemplars: readonly Exemplar[],
  bounds: readonly number[],
  nb: number,
  namer: LabelNamer,
  toMs: (ns: bigint) => number,
): PromExemplar[][] {
  const byBucket: PromExemplar[][] = [];
  for (const x of exemplars) {
    const pe = convertExemplar(x, namer, toMs);
    let b = 0;
    while (b < nb && !(pe.value <= bounds[b]!)) b++;
    (byBucket[b] ??= []).push(pe);
  }
  return byBucket;
}
