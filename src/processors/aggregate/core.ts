/**
 * The data half of the `aggregate` processor: feeding matched points into the rules' state (state.ts) and turning
 * flushed outputs into OTLP metrics. No timers or I/O here (processor.ts owns those), so tests drive it directly.
 *
 * Contract
 * - `ingest(md, now)` matches every gauge, sum, histogram, exponential histogram and summary point against each
 *   rule's selectors on its Prometheus view (src/processors/relabel/promview.ts: `__name__`, point attributes,
 *   job/instance from the resource), adds it to every matching rule, and removes from `md` the points matched by a
 *   rule with `keep_input: false`. Returns how many points were removed.
 * - Input types (state.ts has the output x input table): number points as they are; histograms and exponential
 *   histograms bucket-wise; a summary (matched by its own name, as histograms) becomes two cumulative counter samples
 *   `<name>_sum` and `<name>_count` (same labels); its quantiles cannot be aggregated and are counted as ignored
 *   (reason `summary_quantiles`).
 * - A removed point that no output of any matching rule could use (a histogram for a rule without histogram_bucket
 *   or count_series) is not "aggregated": it is counted in `dropped` (processor.ts reports it with reason
 *   `unsupported_input`). Outputs that ignore part of what they were given are counted by RuleState.ignored().
 * - Interval assignment is by arrival (wall clock), as vmagent; point timestamps order samples of one series and
 *   time rates.
 * - Series identity cache (the hot path): a point with a `prom` identity (prometheus receiver) finds its per-rule
 *   slots in a WeakMap keyed by that object (the model guarantees `prom` is reset whenever the point's identity
 *   changes; the metric name and job/instance are checked anyway, a mismatch takes the keyed path); other points by a key built from the metric name, job/instance and the raw attributes in their order
 *   (aliases of one canonical label-set key, so another attribute order is the same series). Those keyed entries
 *   are forgotten after the longest staleness_interval without a sample.
 * - `toMetrics(outputs)` builds one MetricsData: outputs grouped by their `job`/`instance` labels into resources
 *   (`service.name` = job, `service.instance.id` = instance; no label -> no attribute, so the Prometheus view of an
 *   output has exactly the output's labels), scope `otel-bridge/aggregate`, other labels as string attributes.
 *   Gauge outputs are gauges (start = interval start), `total` a cumulative monotonic sum, `histogram_bucket` a
 *   cumulative histogram / exponential histogram (histogram inputs) or gauges with `vmrange` (number inputs).
 */
import type { Attributes, DataPoint, ExponentialHistogramDataPoint, HistogramDataPoint, Label, Metric, MetricsData, NumberDataPoint, PromSeries, ResourceMetrics, SummaryDataPoint } from '../../model/types.ts';
import { FNV_OFFSET, fnvMix, fnvString } from '../../util/fnv.ts';
import { FLAG_NO_RECORDED_VALUE, Temporality } from '../../model/types.ts';
import { anyValueToString } from '../../model/attributes.ts';
import { selectorMatches } from '../../selector/selector.ts';
import { VERSION } from '../../version.ts';
import { resourceFromLabels, resourceView, viewLabels, type ResourceView } from '../relabel/promview.ts';
import type { AggregateConfig } from './config.ts';
import { labelsKey, RuleState, type OutputSeries, type Slot } from './state.ts';

/** One input series: its slot per rule (null = the rule does not match it); summaries have a second set. */
interface Entry {
  readonly slots: (Slot | null)[];
  /** Summaries: `slots` are for `<name>_sum`, these for `<name>_count`. */
  readonly countSlots: (Slot | null)[] | undefined;
  /** Metric name (summaries marked), job and instance it was made for. */
  readonly prefix: string;
  seen: number;
}

/** A raw identity (see the contract) of an entry, chained by hash. */
interface RawAlias {
  readonly prefix: string;
  /** Attribute keys and string values, alternating, in arrival order. */
  readonly kv: readonly string[];
  readonly entry: Entry;
  readonly next: RawAlias | undefined;
}

function sameRaw(a: RawAlias, prefix: string, attrs: Attributes): boolean {
  const kv = a.kv;
  if (a.prefix !== prefix || kv.length !== attrs.length * 2) return false;
  for (let i = 0; i < attrs.length; i++) {
    const x = attrs[i]!;
    if (kv[2 * i] !== x.key) return false;
    const v = x.value;
    if (kv[2 * i + 1] !== (typeof v === 'string' ? v : anyValueToString(v))) return false;
  }
  return true;
}

const kvString = (v: Attributes[number]['value']): string => (typeof v === 'string' ? v : anyValueToString(v));

export class AggregateCore {
  readonly rules: RuleState[];
  readonly startMs: number;
  /** Removed points no output could use (see the contract); monotonic. */
  dropped = 0;
  private readonly byProm = new WeakMap<PromSeries, Entry>();
  /** Hash of the raw identity (name, job/instance, attributes in arrival order) -> aliases with that hash. */
  private readonly byRaw = new Map<number, RawAlias>();
  /** Canonical label-set key -> entry. */
  private readonly byKey = new Map<string, Entry>();
  private readonly forgetAfter: number;
  private nextSweep = 0;

  constructor(cfg: AggregateConfig, startMs: number) {
    this.startMs = startMs;
    this.rules = cfg.rules.map((r) => new RuleState(r, startMs));
    this.forgetAfter = Math.max(...cfg.rules.map((r) => r.stalenessMs));
  }

  /** Indices of the rules whose selectors can match metric `name` (a fixed-name selector of another name cannot). */
  private candidates(name: string): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.rules.length; i++) {
      const sels = this.rules[i]!.rule.selectors;
      if (sels.length === 0 || sels.some((s) => s.metricName === null || s.metricName === name)) out.push(i);
    }
    return out;
  }

  private matches(ri: number, labels: Label[]): boolean {
    const sels = this.rules[ri]!.rule.selectors;
    if (sels.length === 0) return true;
    for (let i = 0; i < sels.length; i++) if (selectorMatches(sels[i]!, labels)) return true;
    return false;
  }

  /** A new entry for a view label set; `summary` adds the `_sum`/`_count` slot sets. */
  private makeEntry(labels: Label[], key: string, prefix: string, cands: number[], summary: boolean, now: number): Entry {
    const slots: (Slot | null)[] = new Array<Slot | null>(this.rules.length).fill(null);
    const countSlots = summary ? new Array<Slot | null>(this.rules.length).fill(null) : undefined;
    const renamed = (suffix: string): { labels: Label[]; key: string } => {
      const ls = labels.map((l) => (l.name === '__name__' ? { name: l.name, value: l.value + suffix } : l));
      return { labels: ls, key: labelsKey(ls) };
    };
    const sumId = summary ? renamed('_sum') : { labels, key };
    const countId = summary ? renamed('_count') : undefined;
    for (const ri of cands) {
      if (!this.matches(ri, labels)) continue;
      slots[ri] = { labels: sumId.labels, key: sumId.key, ref: undefined };
      if (countSlots !== undefined) countSlots[ri] = { labels: countId!.labels, key: countId!.key, ref: undefined };
    }
    return { slots, countSlots, prefix, seen: now };
  }

  /** The entry of one point (see "Series identity cache" in the contract). */
  private entry(name: string, attrs: Attributes, prom: PromSeries | undefined, prefix: string, prefixHash: number, rv: ResourceView, cands: number[], summary: boolean, now: number): Entry {
    if (prom !== undefined) {
      const e = this.byProm.get(prom);
      if (e !== undefined && e.prefix === prefix) return e; // same metric, type and job/instance: a cheap guard
      if (e === undefined) {
        const labels = viewLabels(name, attrs, rv);
        const made = this.makeEntry(labels, labelsKey(labels), prefix, cands, summary, now);
        this.byProm.set(prom, made);
        return made;
      }
    }
    let h = prefixHash;
    for (let i = 0; i < attrs.length; i++) {
      const kv = attrs[i]!;
      h = fnvMix(h, kv.key.length); // keys rarely tell series apart: their length is enough (verified)
      const v = kv.value;
      h = fnvMix(fnvString(h, typeof v === 'string' ? v : anyValueToString(v)), 2);
    }
    let a = this.byRaw.get(h);
    while (a !== undefined && !sameRaw(a, prefix, attrs)) a = a.next;
    let e: Entry;
    if (a !== undefined) e = a.entry;
    else {
      const labels = viewLabels(name, attrs, rv);
      const ck = (summary ? '\u0004' : '') + labelsKey(labels);
      const found = this.byKey.get(ck);
      e = found ?? this.makeEntry(labels, summary ? ck.slice(1) : ck, prefix, cands, summary, now);
      if (found === undefined) this.byKey.set(ck, e);
      const kv: string[] = [];
      for (const x of attrs) kv.push(x.key, kvString(x.value));
      this.byRaw.set(h, { prefix, kv, entry: e, next: this.byRaw.get(h) });
    }
    e.seen = now;
    return e;
  }

  /** Forgets keyed entries without a point for the longest staleness interval. */
  private sweep(now: number): void {
    const before = now - this.forgetAfter;
    for (const [h, first] of this.byRaw) {
      let head: RawAlias | undefined;
      for (let a: RawAlias | undefined = first; a !== undefined; a = a.next) if (a.entry.seen >= before) head = { ...a, next: head };
      if (head === undefined) this.byRaw.delete(h);
      else this.byRaw.set(h, head);
    }
    for (const [k, e] of this.byKey) if (e.seen < before) this.byKey.delete(k);
  }

  ingest(md: MetricsData, now: number): number {
    if (now >= this.nextSweep) {
      this.sweep(now);
      this.nextSweep = now + Math.min(this.forgetAfter, 60_000);
    }
    let removed = 0;
    for (const rm of md.resourceMetrics) {
      const rv = resourceView(rm.resource);
      const rvKey = `${rv.job ?? ''}\u0001${rv.instance ?? ''}\u0003`;
      for (const sm of rm.scopeMetrics) {
        let mw = 0;
        for (const m of sm.metrics) {
          const n = m.points.length;
          if (n === 0 || m.type === 'empty') {
            sm.metrics[mw++] = m;
            continue;
          }
          const cands = this.candidates(m.name);
          if (cands.length === 0) {
            sm.metrics[mw++] = m;
            continue;
          }
          const type = m.type;
          const summary = type === 'summary';
          const hist = type === 'histogram' || type === 'exponential_histogram';
          const delta = type !== 'gauge' && type !== 'summary' && m.temporality === Temporality.DELTA;
          const prefix = (summary ? '\u0004' : '') + m.name + '\u0003' + rvKey;
          const prefixHash = fnvString(FNV_OFFSET, prefix);
          const pts = m.points as DataPoint[];
          let w = 0;
          for (let i = 0; i < n; i++) {
            const p = pts[i]!;
            if ((p.flags & FLAG_NO_RECORDED_VALUE) !== 0) {
              pts[w++] = p;
              continue;
            }
            const e = this.entry(m.name, p.attributes, p.prom, prefix, prefixHash, rv, cands, summary, now);
            const tsMs = Number(p.timeUnixNano) / 1e6;
            let drop = false;
            let used = false;
            for (let c = 0; c < cands.length; c++) {
              const ri = cands[c]!;
              const slot = e.slots[ri];
              if (slot === null || slot === undefined) continue;
              const rs = this.rules[ri]!;
              if (type === 'gauge' || type === 'sum') {
                const v = (p as NumberDataPoint).value;
                rs.offerNumber(slot, typeof v === 'bigint' ? Number(v) : v, tsMs, p.startTimeUnixNano, delta, now);
                used = true;
              } else if (summary) {
                const sp = p as SummaryDataPoint;
                rs.offerNumber(slot, sp.sum, tsMs, sp.startTimeUnixNano, false, now);
                rs.offerNumber(e.countSlots![ri]!, sp.count, tsMs, sp.startTimeUnixNano, false, now);
                if (sp.quantileValues.length > 0) rs.ignoreQuantiles();
                used = true;
              } else if (hist) {
                if (type === 'histogram') rs.offerHistogram(slot, p as HistogramDataPoint, tsMs, delta, now);
                else rs.offerExponential(slot, p as ExponentialHistogramDataPoint, tsMs, delta, now);
                if (rs.usesHistograms) used = true;
              }
              if (!rs.rule.keepInput) drop = true;
            }
            if (drop) {
              removed++;
              if (!used) this.dropped++;
            } else pts[w++] = p;
          }
          pts.length = w;
          if (w > 0) sm.metrics[mw++] = m;
        }
        sm.metrics.length = mw;
      }
    }
    if (removed > 0) {
      for (const rm of md.resourceMetrics) rm.scopeMetrics = rm.scopeMetrics.filter((sm) => sm.metrics.length > 0);
      md.resourceMetrics = md.resourceMetrics.filter((rm) => rm.scopeMetrics.length > 0);
    }
    return removed;
  }

  /** Outputs -> one MetricsData (see the contract). */
  toMetrics(outputs: readonly OutputSeries[]): MetricsData {
    const byResource = new Map<string, { rm: ResourceMetrics; metrics: Map<string, Metric> }>();
    for (const o of outputs) {
      let job: string | undefined;
      let instance: string | undefined;
      const attributes = [];
      for (const l of o.labels) {
        if (l.name === 'job') job = l.value;
        else if (l.name === 'instance') instance = l.value;
        else attributes.push({ key: l.name, value: l.value });
      }
      const rk = `${job ?? '\u0000'}\u0001${instance ?? '\u0000'}`;
      let r = byResource.get(rk);
      if (r === undefined) {
        const rm: ResourceMetrics = { resource: resourceFromLabels(job, instance), schemaUrl: '', scopeMetrics: [{ scope: { name: 'otel-bridge/aggregate', version: VERSION, attributes: [], droppedAttributesCount: 0 }, metrics: [], schemaUrl: '' }] };
        r = { rm, metrics: new Map() };
        byResource.set(rk, r);
      }
      const mk = o.kind + '\u0000' + o.metric; // one name, two kinds: only when a rule saw mixed input types
      let m = r.metrics.get(mk);
      if (m === undefined) {
        const base = { name: o.metric, description: '', unit: '', metadata: [] };
        m =
          o.kind === 'gauge'
            ? { ...base, type: 'gauge', points: [] }
            : o.kind === 'sum'
              ? { ...base, type: 'sum', temporality: Temporality.CUMULATIVE, isMonotonic: true, points: [] }
              : o.kind === 'histogram'
                ? { ...base, type: 'histogram', temporality: Temporality.CUMULATIVE, points: [] }
                : { ...base, type: 'exponential_histogram', temporality: Temporality.CUMULATIVE, points: [] };
        r.metrics.set(mk, m);
        r.rm.scopeMetrics[0]!.metrics.push(m);
      }
      if (m.type === 'histogram') {
        const h = o.hist!;
        m.points.push({ attributes, startTimeUnixNano: o.start, timeUnixNano: o.time, flags: 0, count: h.count, sum: h.sum, bucketCounts: h.counts.slice(), explicitBounds: h.bounds.slice(), exemplars: [], min: undefined, max: undefined });
      } else if (m.type === 'exponential_histogram') {
        const h = o.ehist!;
        m.points.push({ attributes, startTimeUnixNano: o.start, timeUnixNano: o.time, flags: 0, count: h.count, sum: h.sum, scale: h.scale, zeroCount: h.zeroCount, zeroThreshold: h.zeroThreshold, positive: { offset: h.positive.offset, bucketCounts: h.positive.counts.slice() }, negative: { offset: h.negative.offset, bucketCounts: h.negative.counts.slice() }, exemplars: [], min: Number.isFinite(h.min) ? h.min : undefined, max: Number.isFinite(h.max) ? h.max : undefined });
      } else (m.points as NumberDataPoint[]).push({ attributes, startTimeUnixNano: o.start, timeUnixNano: o.time, flags: 0, value: o.value, exemplars: [] });
    }
    return { resourceMetrics: [...byResource.values()].map((r) => r.rm) };
  }
}
