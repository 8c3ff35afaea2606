/**
 * Aggregation state of one rule: groups (one per output label set) holding their input series.
 *
 * Semantics of the outputs (per group, per interval unless said otherwise):
 * - sum_samples, count_samples, min, max, avg, last: over the sample values received in the interval (number
 *   points: gauges and sums, cumulative values as they are, delta values as they are). `last` = the sample with the
 *   latest timestamp.
 * - count_series: distinct input series that sent a sample in the interval (histogram series included).
 * - quantiles(phi...): over the interval's sample values, Prometheus `quantile` interpolation (rank phi*(n-1));
 *   exact up to 10000 samples per group and interval, a uniform reservoir sample beyond that. One gauge per phi with
 *   the label `quantile`.
 * - total: a cumulative monotonic sum of the counter increases of every input series since the group appeared;
 *   emitted every interval while the group is alive. increase: the same increases per interval (a gauge, 0 when
 *   nothing changed). rate_sum / rate_avg: per series increase / seconds between its last sample before the
 *   interval (or its first one) and its last one in it, summed / averaged over the series that have one.
 * - Counter increases (reset-aware): a delta point adds its value. A cumulative point adds value - previous value;
 *   a lower value, or a changed start time, is a restart: the new value is added. The first point of a series is a
 *   baseline (adds nothing) unless its start time shows the counter began after the processor started and within
 *   the staleness interval (then it adds its whole value). Samples older than the series' last one are ignored.
 * - histogram_bucket (explicit-bounds histogram inputs only): the same reset-aware increases bucket by bucket, plus
 *   count and sum, accumulated into a cumulative histogram with the bounds of the group's first point; points with
 *   other bounds are ignored (counted by the caller). Other outputs ignore histogram points.
 * - Staleness: a series without samples for staleness_interval is forgotten; a group whose series are all gone
 *   and that got nothing for staleness_interval is removed (its total stops being emitted).
 * NaN values and points flagged "no recorded value" are ignored.
 */
import type { HistogramDataPoint, Label } from '../../model/types.ts';
import type { AggregateRule } from './config.ts';

export const MAX_QUANTILE_SAMPLES = 10_000;

export interface Series {
  last: number;
  /** Data timestamp (ms) of the last sample. */
  lastTs: number;
  /** OTLP start time (ns) of the last sample, 0n when unknown. */
  start: bigint;
  /** Wall clock (ms) of the last sample. */
  seen: number;
  /** Flush epoch in which the series last sent a sample (count_series). */
  epoch: number;
  rInc: number;
  rFrom: number;
  rTo: number;
  hCounts: number[] | undefined;
  hCount: number;
  hSum: number;
}

export interface HistAgg {
  bounds: number[];
  counts: number[];
  count: number;
  sum: number;
}

export interface Group {
  readonly labels: Label[];
  n: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastTs: number;
  samples: number[];
  seenTotal: number;
  increase: number;
  total: number;
  /** Start (ns) of the group's cumulative outputs. */
  start: bigint;
  lastSeen: number;
  hist: HistAgg | undefined;
  readonly series: Map<string, Series>;
}

export interface OutputSeries {
  readonly metric: string;
  /** Sorted, without __name__. */
  readonly labels: readonly Label[];
  readonly kind: 'gauge' | 'sum' | 'histogram';
  readonly value: number;
  readonly start: bigint;
  readonly time: bigint;
  readonly hist?: HistAgg | undefined;
}

/** A sample held back by dedup_interval until the end of its dedup window. */
interface Pending {
  labels: Label[];
  v: number;
  hist: HistogramDataPoint | undefined;
  tsMs: number;
  startNs: bigint;
  delta: boolean;
}

export function labelsKey(labels: readonly Label[]): string {
  let k = '';
  for (let i = 0; i < labels.length; i++) k += labels[i]!.name + '\u0001' + labels[i]!.value + '\u0002';
  return k;
}

const msToNs = (ms: number): bigint => BigInt(Math.round(ms)) * 1_000_000n;

function quantile(sorted: readonly number[], phi: number): number {
  const n = sorted.length;
  const rank = phi * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, n - 1);
  const w = rank - lo;
  return sorted[lo]! * (1 - w) + sorted[hi]! * w;
}

export class RuleState {
  readonly rule: AggregateRule;
  readonly groups = new Map<string, Group>();
  /** Wall-clock ms the processor started (ns for comparisons with OTLP start times). */
  readonly startNs: bigint;
  epoch = 0;
  boundsMismatch = 0;
  private readonly keep: Set<string>;
  private readonly wantSamples: boolean;
  /** dedup_interval: latest sample per input series in the current dedup window (null when off). */
  private readonly pending: Map<string, Pending> | null;

  constructor(rule: AggregateRule, startMs: number) {
    this.rule = rule;
    this.startNs = msToNs(startMs);
    this.keep = new Set(rule.by.length > 0 ? rule.by : rule.without);
    this.wantSamples = rule.outputs.some((o) => o.name === 'quantiles');
    this.pending = rule.dedupMs > 0 ? new Map() : null;
  }

  /** Entry point for number samples: straight in, or held for dedup. */
  offerNumber(labels: Label[], v: number, tsMs: number, startNs: bigint, delta: boolean, now: number): void {
    if (this.pending === null) this.addNumber(labels, v, tsMs, startNs, delta, now);
    else this.hold(labels, v, undefined, tsMs, startNs, delta);
  }

  offerHistogram(labels: Label[], p: HistogramDataPoint, tsMs: number, delta: boolean, now: number): void {
    if (this.pending === null) this.addHistogram(labels, p, tsMs, delta, now);
    else this.hold(labels, 0, p, tsMs, p.startTimeUnixNano, delta);
  }

  private hold(labels: Label[], v: number, hist: HistogramDataPoint | undefined, tsMs: number, startNs: bigint, delta: boolean): void {
    const k = labelsKey(labels);
    const old = this.pending!.get(k);
    if (old !== undefined && old.tsMs > tsMs) return;
    this.pending!.set(k, { labels, v, hist, tsMs, startNs, delta });
  }

  /** Feeds the held samples (end of a dedup window). */
  drain(now: number): void {
    if (this.pending === null || this.pending.size === 0) return;
    for (const p of this.pending.values()) {
      if (p.hist !== undefined) this.addHistogram(p.labels, p.hist, p.tsMs, p.delta, now);
      else this.addNumber(p.labels, p.v, p.tsMs, p.startNs, p.delta, now);
    }
    this.pending.clear();
  }

  /** The group's labels for an input label set (sorted, __name__ kept). */
  outputLabels(labels: Label[]): Label[] {
    const r = this.rule;
    if (r.by.length === 0 && r.without.length === 0) return labels;
    const byMode = r.by.length > 0;
    const out: Label[] = [];
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (l.name === '__name__' || this.keep.has(l.name) === byMode) out.push(l);
    }
    return out;
  }

  private group(labels: Label[], now: number): { g: Group; seriesKey: string } {
    const out = this.outputLabels(labels);
    const seriesKey = labelsKey(labels);
    const gk = out === labels ? seriesKey : labelsKey(out);
    let g = this.groups.get(gk);
    if (g === undefined) {
      const iv = this.rule.intervalMs;
      g = { labels: out, n: 0, sum: 0, min: Infinity, max: -Infinity, last: 0, lastTs: -Infinity, samples: [], seenTotal: 0, increase: 0, total: 0, start: msToNs(Math.floor(now / iv) * iv), lastSeen: now, hist: undefined, series: new Map() };
      this.groups.set(gk, g);
    }
    g.lastSeen = now;
    return { g, seriesKey };
  }

  private series(g: Group, key: string, now: number): { s: Series; isNew: boolean } {
    let s = g.series.get(key);
    const isNew = s === undefined;
    if (s === undefined) {
      s = { last: 0, lastTs: -Infinity, start: 0n, seen: now, epoch: -1, rInc: 0, rFrom: -1, rTo: -1, hCounts: undefined, hCount: 0, hSum: 0 };
      g.series.set(key, s);
    }
    if (s.epoch !== this.epoch) {
      s.epoch = this.epoch;
      g.seenTotal++;
    }
    s.seen = now;
    return { s, isNew };
  }

  /** Whether the first sample of a new cumulative series counts in full (see the contract). */
  private startedRecently(startNs: bigint, now: number): boolean {
    return startNs > 0n && startNs >= this.startNs && startNs > msToNs(now - this.rule.stalenessMs);
  }

  addNumber(labels: Label[], v: number, tsMs: number, startNs: bigint, delta: boolean, now: number): void {
    if (Number.isNaN(v)) return;
    const { g, seriesKey } = this.group(labels, now);
    g.n++;
    g.sum += v;
    if (v < g.min) g.min = v;
    if (v > g.max) g.max = v;
    if (tsMs >= g.lastTs) {
      g.last = v;
      g.lastTs = tsMs;
    }
    if (this.wantSamples) {
      if (g.samples.length < MAX_QUANTILE_SAMPLES) g.samples.push(v);
      else {
        const j = Math.floor(Math.random() * g.n);
        if (j < MAX_QUANTILE_SAMPLES) g.samples[j] = v;
      }
    }
    const { s, isNew } = this.series(g, seriesKey, now);
    let inc: number;
    if (delta) {
      inc = v;
      if (s.rFrom < 0) s.rFrom = startNs > 0n ? Number(startNs / 1_000_000n) : isNew ? tsMs : s.lastTs;
    } else {
      if (!isNew && tsMs < s.lastTs) return;
      if (isNew) inc = this.startedRecently(startNs, now) ? v : 0;
      else if (v < s.last || (startNs > 0n && s.start > 0n && startNs !== s.start)) inc = v;
      else inc = v - s.last;
      if (s.rFrom < 0) s.rFrom = isNew ? tsMs : s.lastTs;
    }
    s.last = v;
    s.lastTs = tsMs;
    s.start = startNs;
    s.rInc += inc;
    s.rTo = tsMs;
    g.increase += inc;
    g.total += inc;
  }

  /** Returns false when the point's bounds differ from the group's (ignored). */
  addHistogram(labels: Label[], p: HistogramDataPoint, tsMs: number, delta: boolean, now: number): boolean {
    const { g, seriesKey } = this.group(labels, now);
    const { s, isNew } = this.series(g, seriesKey, now);
    if (g.hist === undefined) g.hist = { bounds: p.explicitBounds.slice(), counts: new Array(p.bucketCounts.length).fill(0), count: 0, sum: 0 };
    const h = g.hist;
    if (h.counts.length !== p.bucketCounts.length || h.bounds.some((b, i) => b !== p.explicitBounds[i])) {
      this.boundsMismatch++;
      return false;
    }
    if (!delta && !isNew && tsMs < s.lastTs) return true;
    const sum = p.sum ?? 0;
    let whole: boolean;
    if (delta) whole = true;
    else if (isNew || s.hCounts === undefined) whole = this.startedRecently(p.startTimeUnixNano, now);
    else {
      whole = p.count < s.hCount || (p.startTimeUnixNano > 0n && s.start > 0n && p.startTimeUnixNano !== s.start);
      for (let i = 0; !whole && i < h.counts.length; i++) if (p.bucketCounts[i]! < s.hCounts[i]!) whole = true;
    }
    const baseline = !delta && (isNew || s.hCounts === undefined) && !whole;
    if (!baseline) {
      for (let i = 0; i < h.counts.length; i++) h.counts[i]! += whole ? p.bucketCounts[i]! : p.bucketCounts[i]! - s.hCounts![i]!;
      h.count += whole ? p.count : p.count - s.hCount;
      h.sum += whole ? sum : sum - s.hSum;
    }
    s.hCounts = p.bucketCounts.slice();
    s.hCount = p.count;
    s.hSum = sum;
    s.start = p.startTimeUnixNano;
    s.lastTs = tsMs;
    return true;
  }

  /** Emits the outputs for the interval ending at `boundary` (ms) and resets the per-interval state. */
  flush(boundary: number, now: number): OutputSeries[] {
    this.drain(now);
    const r = this.rule;
    const out: OutputSeries[] = [];
    const time = msToNs(boundary);
    const ivStart = msToNs(boundary - r.intervalMs);
    const staleBefore = now - r.stalenessMs;
    for (const [gk, g] of this.groups) {
      for (const [sk, s] of g.series) if (s.seen < staleBefore) g.series.delete(sk);
      if (g.series.size === 0 && g.lastSeen < staleBefore) {
        this.groups.delete(gk);
        continue;
      }
      let name = '';
      const labels: Label[] = [];
      for (const l of g.labels) {
        if (l.name === '__name__') name = l.value;
        else labels.push(l);
      }
      const prefix = name + r.suffix + '_';
      const gauge = (output: string, value: number, extra?: Label) =>
        out.push({ metric: prefix + output, labels: extra === undefined ? labels : [...labels, extra].sort((a, b) => (a.name < b.name ? -1 : 1)), kind: 'gauge', value, start: ivStart, time });
      const had = g.n > 0;
      let rateSum = 0;
      let rateN = 0;
      for (const s of g.series.values()) {
        if (s.rTo > s.rFrom && s.rFrom >= 0 && s.epoch === this.epoch) {
          rateSum += s.rInc / ((s.rTo - s.rFrom) / 1000);
          rateN++;
        }
        if (s.epoch === this.epoch && s.rTo >= 0) s.rFrom = s.rTo;
        s.rInc = 0;
      }
      for (const o of r.outputs) {
        switch (o.name) {
          case 'sum_samples':
            if (had) gauge(o.name, g.sum);
            break;
          case 'count_samples':
            if (had) gauge(o.name, g.n);
            break;
          case 'count_series':
            if (g.seenTotal > 0) gauge(o.name, g.seenTotal);
            break;
          case 'min':
            if (had) gauge(o.name, g.min);
            break;
          case 'max':
            if (had) gauge(o.name, g.max);
            break;
          case 'avg':
            if (had) gauge(o.name, g.sum / g.n);
            break;
          case 'last':
            if (had) gauge(o.name, g.last);
            break;
          case 'increase':
            gauge(o.name, g.increase);
            break;
          case 'rate_sum':
            if (rateN > 0) gauge(o.name, rateSum);
            break;
          case 'rate_avg':
            if (rateN > 0) gauge(o.name, rateSum / rateN);
            break;
          case 'total':
            out.push({ metric: prefix + o.name, labels, kind: 'sum', value: g.total, start: g.start, time });
            break;
          case 'histogram_bucket':
            if (g.hist !== undefined) out.push({ metric: prefix + o.name, labels, kind: 'histogram', value: 0, start: g.start, time, hist: { bounds: g.hist.bounds, counts: g.hist.counts.slice(), count: g.hist.count, sum: g.hist.sum } });
            break;
          case 'quantiles':
            if (g.samples.length > 0) {
              const sorted = g.samples.slice().sort((a, b) => a - b);
              for (const phi of o.phis) gauge(o.name, quantile(sorted, phi), { name: 'quantile', value: String(phi) });
            }
            break;
        }
      }
      g.n = 0;
      g.sum = 0;
      g.min = Infinity;
      g.max = -Infinity;
      g.lastTs = -Infinity;
      g.samples = [];
      g.seenTotal = 0;
      g.increase = 0;
    }
    this.epoch++;
    return out;
  }
}
