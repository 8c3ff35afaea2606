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
 * - histogram_bucket, by the group's input type (the first one it saw; points of another type are ignored, reason
 *   `mixed_input_types`):
 *   - number inputs: every sample value is counted into VictoriaMetrics buckets (vmrange.ts), as vmagent does; one
 *     gauge per non-empty bucket with the label `vmrange`, its value the count since the group appeared
 *     (cumulative, like vmagent's). Negative values are not counted (reason `negative_value`).
 *   - explicit histograms: the same reset-aware increases as counters, bucket by bucket plus count and sum,
 *     accumulated into a cumulative histogram with the bounds of the group's first point; points with other bounds
 *     are ignored (reason `histogram_bounds_mismatch`).
 *   - exponential histograms: the same reset-aware increases (exphist.ts: a count that went down or a changed start
 *     time is a restart), merged into a cumulative exponential histogram at the lowest common scale (zero bucket,
 *     count, sum, min, max; see exphist.ts).
 * - Which outputs take which inputs (core.ts turns a summary into its `_sum` and `_count` counter samples):
 *     output                                   number  histogram  exp. histogram
 *     sum/count_samples, min, max, avg, last,  yes     ignored    ignored
 *     quantiles, total, increase, rate_*
 *     count_series                             yes     yes        yes
 *     histogram_bucket                         vmrange bucket-wise bucket-wise
 *   "ignored" is counted per point and output (`ignored()`, reported by processor.ts with output and reason).
 * - Staleness: a series without samples for staleness_interval is forgotten; a group whose series are all gone
 *   and that got nothing for staleness_interval is removed (its total and histogram_bucket stop being emitted).
 * NaN values and points flagged "no recorded value" are ignored.
 *
 * Hot path: callers hold a `Slot` per input series and rule (core.ts caches them per series identity), which keeps
 * the resolved group and series; the label-set keys are built only when a slot is first used or its series expired.
 */
import type { ExponentialHistogramDataPoint, HistogramDataPoint, Label } from '../../model/types.ts';
import type { AggregateRule } from './config.ts';
import { diffExp, emptyExp, fromPoint, mergeExp, type ExpHist } from './exphist.ts';
import { buildOutputs } from './outputs.ts';
import { vmBucket } from './vmrange.ts';

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
  /** Last cumulative exponential histogram point (its own scale). */
  eh: ExpHist | undefined;
  /** No sample applied yet (restored series are not fresh). */
  fresh: boolean;
  /** Removed for staleness: slots holding it resolve again. */
  dead: boolean;
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
  /** histogram_bucket over number inputs: vmrange bucket index -> count. */
  vmh: Map<number, number> | undefined;
  /** histogram_bucket over exponential histogram inputs. */
  ehist: ExpHist | undefined;
  readonly series: Map<string, Series>;
}

export interface OutputSeries {
  readonly metric: string;
  /** Sorted, without __name__. */
  readonly labels: readonly Label[];
  readonly kind: 'gauge' | 'sum' | 'histogram' | 'exphistogram';
  readonly value: number;
  readonly start: bigint;
  readonly time: bigint;
  readonly hist?: HistAgg | undefined;
  readonly ehist?: ExpHist | undefined;
}

/** One input series as one rule sees it: its view labels, their key, and the resolved group/series (lazily). */
export interface Slot {
  readonly labels: Label[];
  readonly key: string;
  ref: { g: Group; s: Series } | undefined;
}

/** Reasons an output did not take a point (see the contract). */
export type IgnoreReason = 'histogram_input' | 'exponential_histogram_input' | 'summary_quantiles' | 'histogram_bounds_mismatch' | 'mixed_input_types' | 'negative_value';

/** A sample held back by dedup_interval until the end of its dedup window. */
interface Pending {
  slot: Slot;
  v: number;
  hist: HistogramDataPoint | undefined;
  exp: ExponentialHistogramDataPoint | undefined;
  tsMs: number;
  startNs: bigint;
  delta: boolean;
}

export function labelsKey(labels: readonly Label[]): string {
  let k = '';
  for (let i = 0; i < labels.length; i++) k += labels[i]!.name + '\u0001' + labels[i]!.value + '\u0002';
  return k;
}

export const msToNs = (ms: number): bigint => BigInt(Math.round(ms)) * 1_000_000n;

const HIST_OUTPUTS = new Set(['histogram_bucket', 'count_series']);

export class RuleState {
  readonly rule: AggregateRule;
  readonly groups = new Map<string, Group>();
  /** Wall-clock ms the processor started (ns for comparisons with OTLP start times). */
  readonly startNs: bigint;
  epoch = 0;
  boundsMismatch = 0;
  /** Whether any output takes histogram points (histogram_bucket, count_series). */
  readonly usesHistograms: boolean;
  /** Points (per reason) some output ignored; see ignored(). */
  private readonly ignoredPoints = { histogram_input: 0, exponential_histogram_input: 0, summary_quantiles: 0, mixed_input_types: 0, negative_value: 0 };
  private readonly keep: Set<string>;
  private readonly wantSamples: boolean;
  private readonly wantBuckets: boolean;
  /** Outputs that ignore histogram points. */
  private readonly histRejects: string[];
  /** dedup_interval: latest sample per input series in the current dedup window (null when off). */
  private readonly pending: Map<string, Pending> | null;

  constructor(rule: AggregateRule, startMs: number) {
    this.rule = rule;
    this.startNs = msToNs(startMs);
    this.keep = new Set(rule.by.length > 0 ? rule.by : rule.without);
    this.wantSamples = rule.outputs.some((o) => o.name === 'quantiles');
    this.wantBuckets = rule.outputs.some((o) => o.name === 'histogram_bucket');
    this.histRejects = rule.outputs.filter((o) => !HIST_OUTPUTS.has(o.name)).map((o) => o.name);
    this.usesHistograms = this.histRejects.length < rule.outputs.length;
    this.pending = rule.dedupMs > 0 ? new Map() : null;
  }

  /** [output, reason, points] for every output that ignored points so far (monotonic). */
  ignored(): [string, IgnoreReason, number][] {
    const out: [string, IgnoreReason, number][] = [];
    const ip = this.ignoredPoints;
    for (const o of this.histRejects) {
      if (ip.histogram_input > 0) out.push([o, 'histogram_input', ip.histogram_input]);
      if (ip.exponential_histogram_input > 0) out.push([o, 'exponential_histogram_input', ip.exponential_histogram_input]);
    }
    if (ip.summary_quantiles > 0) out.push(['*', 'summary_quantiles', ip.summary_quantiles]);
    if (this.boundsMismatch > 0) out.push(['histogram_bucket', 'histogram_bounds_mismatch', this.boundsMismatch]);
    if (ip.mixed_input_types > 0) out.push(['histogram_bucket', 'mixed_input_types', ip.mixed_input_types]);
    if (ip.negative_value > 0) out.push(['histogram_bucket', 'negative_value', ip.negative_value]);
    return out;
  }

  /** A summary point's quantiles could not be aggregated (its _sum/_count were). */
  ignoreQuantiles(): void {
    this.ignoredPoints.summary_quantiles++;
  }

  /** Entry point for number samples: straight in, or held for dedup. */
  offerNumber(slot: Slot, v: number, tsMs: number, startNs: bigint, delta: boolean, now: number): void {
    if (this.pending === null) this.addNumber(slot, v, tsMs, startNs, delta, now);
    else this.hold(slot, v, undefined, undefined, tsMs, startNs, delta);
  }

  offerHistogram(slot: Slot, p: HistogramDataPoint, tsMs: number, delta: boolean, now: number): void {
    if (this.histRejects.length > 0) this.ignoredPoints.histogram_input++;
    if (!this.usesHistograms) return;
    if (this.pending === null) this.addHistogram(slot, p, tsMs, delta, now);
    else this.hold(slot, 0, p, undefined, tsMs, p.startTimeUnixNano, delta);
  }

  offerExponential(slot: Slot, p: ExponentialHistogramDataPoint, tsMs: number, delta: boolean, now: number): void {
    if (this.histRejects.length > 0) this.ignoredPoints.exponential_histogram_input++;
    if (!this.usesHistograms) return;
    if (this.pending === null) this.addExponential(slot, p, tsMs, delta, now);
    else this.hold(slot, 0, undefined, p, tsMs, p.startTimeUnixNano, delta);
  }

  private hold(slot: Slot, v: number, hist: HistogramDataPoint | undefined, exp: ExponentialHistogramDataPoint | undefined, tsMs: number, startNs: bigint, delta: boolean): void {
    const old = this.pending!.get(slot.key);
    if (old !== undefined && old.tsMs > tsMs) return;
    this.pending!.set(slot.key, { slot, v, hist, exp, tsMs, startNs, delta });
  }

  /** Feeds the held samples (end of a dedup window). */
  drain(now: number): void {
    if (this.pending === null || this.pending.size === 0) return;
    for (const p of this.pending.values()) {
      if (p.hist !== undefined) this.addHistogram(p.slot, p.hist, p.tsMs, p.delta, now);
      else if (p.exp !== undefined) this.addExponential(p.slot, p.exp, p.tsMs, p.delta, now);
      else this.addNumber(p.slot, p.v, p.tsMs, p.startNs, p.delta, now);
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

  /** Group and series of a slot (created on first use, again after the series expired). */
  private resolve(slot: Slot, now: number): { g: Group; s: Series } {
    const out = this.outputLabels(slot.labels);
    const gk = out === slot.labels ? slot.key : labelsKey(out);
    let g = this.groups.get(gk);
    if (g === undefined) {
      const iv = this.rule.intervalMs;
      g = { labels: out, n: 0, sum: 0, min: Infinity, max: -Infinity, last: 0, lastTs: -Infinity, samples: [], seenTotal: 0, increase: 0, total: 0, start: msToNs(Math.floor(now / iv) * iv), lastSeen: now, hist: undefined, vmh: undefined, ehist: undefined, series: new Map() };
      this.groups.set(gk, g);
    }
    let s = g.series.get(slot.key);
    if (s === undefined) {
      s = { last: 0, lastTs: -Infinity, start: 0n, seen: now, epoch: -1, rInc: 0, rFrom: -1, rTo: -1, hCounts: undefined, hCount: 0, hSum: 0, eh: undefined, fresh: true, dead: false };
      g.series.set(slot.key, s);
    }
    return (slot.ref = { g, s });
  }

  /** The slot's group and series, marked as seen now. */
  private touch(slot: Slot, now: number): { g: Group; s: Series } {
    let r = slot.ref;
    if (r === undefined || r.s.dead) r = this.resolve(slot, now);
    const { g, s } = r;
    g.lastSeen = now;
    if (s.epoch !== this.epoch) {
      s.epoch = this.epoch;
      g.seenTotal++;
    }
    s.seen = now;
    return r;
  }

  /** Whether the first sample of a new cumulative series counts in full (see the contract). */
  private startedRecently(startNs: bigint, now: number): boolean {
    return startNs > 0n && startNs >= this.startNs && startNs > msToNs(now - this.rule.stalenessMs);
  }

  addNumber(slot: Slot, v: number, tsMs: number, startNs: bigint, delta: boolean, now: number): void {
    if (Number.isNaN(v)) return;
    const { g, s } = this.touch(slot, now);
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
    if (this.wantBuckets) this.addBucket(g, v);
    const isNew = s.fresh;
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
    s.fresh = false;
    s.last = v;
    s.lastTs = tsMs;
    s.start = startNs;
    s.rInc += inc;
    s.rTo = tsMs;
    g.increase += inc;
    g.total += inc;
  }

  /** histogram_bucket over number samples (vmrange buckets). */
  private addBucket(g: Group, v: number): void {
    if (g.hist !== undefined || g.ehist !== undefined) {
      this.ignoredPoints.mixed_input_types++;
      return;
    }
    if (v < 0) {
      this.ignoredPoints.negative_value++;
      return;
    }
    const b = vmBucket(v);
    const m = (g.vmh ??= new Map());
    m.set(b, (m.get(b) ?? 0) + 1);
  }

  /** Returns false when the point was not aggregated (other bounds, or another input type in the group). */
  addHistogram(slot: Slot, p: HistogramDataPoint, tsMs: number, delta: boolean, now: number): boolean {
    const { g, s } = this.touch(slot, now);
    if (!this.wantBuckets) return true;
    if (g.vmh !== undefined || g.ehist !== undefined) {
      this.ignoredPoints.mixed_input_types++;
      return false;
    }
    if (g.hist === undefined) g.hist = { bounds: p.explicitBounds.slice(), counts: new Array(p.bucketCounts.length).fill(0), count: 0, sum: 0 };
    const h = g.hist;
    if (h.counts.length !== p.bucketCounts.length || h.bounds.some((b, i) => b !== p.explicitBounds[i])) {
      this.boundsMismatch++;
      return false;
    }
    if (!delta && s.hCounts !== undefined && tsMs < s.lastTs) return true;
    const sum = p.sum ?? 0;
    let whole: boolean;
    if (delta) whole = true;
    else if (s.hCounts === undefined) whole = this.startedRecently(p.startTimeUnixNano, now);
    else {
      whole = p.count < s.hCount || (p.startTimeUnixNano > 0n && s.start > 0n && p.startTimeUnixNano !== s.start);
      for (let i = 0; !whole && i < h.counts.length; i++) if (p.bucketCounts[i]! < s.hCounts[i]!) whole = true;
    }
    const baseline = !delta && s.hCounts === undefined && !whole;
    if (!baseline) {
      for (let i = 0; i < h.counts.length; i++) h.counts[i]! += whole ? p.bucketCounts[i]! : p.bucketCounts[i]! - s.hCounts![i]!;
      h.count += whole ? p.count : p.count - s.hCount;
      h.sum += whole ? sum : sum - s.hSum;
    }
    s.fresh = false;
    s.hCounts = p.bucketCounts.slice();
    s.hCount = p.count;
    s.hSum = sum;
    s.start = p.startTimeUnixNano;
    s.lastTs = tsMs;
    return true;
  }

  /** Exponential histograms, as addHistogram (see the contract and exphist.ts). */
  addExponential(slot: Slot, p: ExponentialHistogramDataPoint, tsMs: number, delta: boolean, now: number): boolean {
    const { g, s } = this.touch(slot, now);
    if (!this.wantBuckets) return true;
    if (g.vmh !== undefined || g.hist !== undefined) {
      this.ignoredPoints.mixed_input_types++;
      return false;
    }
    if (!delta && s.eh !== undefined && tsMs < s.lastTs) return true;
    const cur = fromPoint(p);
    let inc: ExpHist | undefined;
    if (delta) inc = cur;
    else if (s.eh === undefined) inc = this.startedRecently(p.startTimeUnixNano, now) ? cur : undefined;
    else {
      const restarted = p.startTimeUnixNano > 0n && s.start > 0n && p.startTimeUnixNano !== s.start;
      inc = restarted ? cur : (diffExp(cur, s.eh) ?? cur);
    }
    g.ehist ??= emptyExp(p.scale);
    if (inc !== undefined) g.ehist = mergeExp(g.ehist, inc);
    s.fresh = false;
    if (!delta) s.eh = cur;
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
      for (const [sk, s] of g.series) {
        if (s.seen < staleBefore) {
          s.dead = true;
          g.series.delete(sk);
        }
      }
      if (g.series.size === 0 && g.lastSeen < staleBefore) {
        this.groups.delete(gk);
        continue;
      }
      buildOutputs(r, g, this.epoch, ivStart, time, out);
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
