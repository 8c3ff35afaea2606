/**
 * The data half of the `aggregate` processor: feeding matched points into the rules' state (state.ts) and turning
 * flushed outputs into OTLP metrics. No timers or I/O here (processor.ts owns those), so tests drive it directly.
 *
 * Contract
 * - `ingest(md, now)` matches every gauge, sum and explicit histogram point against each rule's selectors on its
 *   Prometheus view (src/processors/relabel/promview.ts: `__name__`, point attributes, job/instance from the
 *   resource), adds it to every matching rule, and removes from `md` the points matched by a rule with
 *   `keep_input: false`. Returns how many points were removed ("aggregated"). Exponential histograms and summaries
 *   are never matched.
 * - Interval assignment is by arrival (wall clock), as vmagent; point timestamps order samples of one series and
 *   time rates.
 * - `toMetrics(outputs)` builds one MetricsData: outputs grouped by their `job`/`instance` labels into resources
 *   (`service.name` = job, `service.instance.id` = instance; no label -> no attribute, so the Prometheus view of an
 *   output has exactly the output's labels), scope `otel-bridge/aggregate`, other labels as string attributes.
 *   Gauge outputs are gauges (start = interval start), `total` a cumulative monotonic sum, `histogram_bucket` a
 *   cumulative histogram.
 */
import type { DataPoint, HistogramDataPoint, Label, Metric, MetricsData, NumberDataPoint, ResourceMetrics } from '../../model/types.ts';
import { FLAG_NO_RECORDED_VALUE, Temporality } from '../../model/types.ts';
import { selectorMatches } from '../../selector/selector.ts';
import { VERSION } from '../../version.ts';
import { resourceFromLabels, resourceView, viewLabels } from '../relabel/promview.ts';
import type { AggregateConfig } from './config.ts';
import { RuleState, type OutputSeries } from './state.ts';

export class AggregateCore {
  readonly rules: RuleState[];
  readonly startMs: number;

  constructor(cfg: AggregateConfig, startMs: number) {
    this.startMs = startMs;
    this.rules = cfg.rules.map((r) => new RuleState(r, startMs));
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

  ingest(md: MetricsData, now: number): number {
    let removed = 0;
    for (const rm of md.resourceMetrics) {
      const rv = resourceView(rm.resource);
      for (const sm of rm.scopeMetrics) {
        let mw = 0;
        for (const m of sm.metrics) {
          const n = m.points.length;
          if (n === 0 || (m.type !== 'gauge' && m.type !== 'sum' && m.type !== 'histogram')) {
            sm.metrics[mw++] = m;
            continue;
          }
          const cands = this.candidates(m.name);
          if (cands.length === 0) {
            sm.metrics[mw++] = m;
            continue;
          }
          const delta = m.type !== 'gauge' && m.temporality === Temporality.DELTA;
          const pts = m.points as DataPoint[];
          let w = 0;
          for (let i = 0; i < n; i++) {
            const p = pts[i]!;
            if ((p.flags & FLAG_NO_RECORDED_VALUE) !== 0) {
              pts[w++] = p;
              continue;
            }
            const labels = viewLabels(m.name, p.attributes, rv);
            const tsMs = Number(p.timeUnixNano) / 1e6;
            let drop = false;
            for (let c = 0; c < cands.length; c++) {
              const ri = cands[c]!;
              if (!this.matches(ri, labels)) continue;
              const rs = this.rules[ri]!;
              if (m.type === 'histogram') rs.offerHistogram(labels, p as HistogramDataPoint, tsMs, delta, now);
              else {
                const v = (p as NumberDataPoint).value;
                rs.offerNumber(labels, typeof v === 'bigint' ? Number(v) : v, tsMs, p.startTimeUnixNano, delta, now);
              }
              if (!rs.rule.keepInput) drop = true;
            }
            if (drop) removed++;
            else pts[w++] = p;
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
      let m = r.metrics.get(o.metric);
      if (m === undefined) {
        const base = { name: o.metric, description: '', unit: '', metadata: [] };
        m =
          o.kind === 'gauge'
            ? { ...base, type: 'gauge', points: [] }
            : o.kind === 'sum'
              ? { ...base, type: 'sum', temporality: Temporality.CUMULATIVE, isMonotonic: true, points: [] }
              : { ...base, type: 'histogram', temporality: Temporality.CUMULATIVE, points: [] };
        r.metrics.set(o.metric, m);
        r.rm.scopeMetrics[0]!.metrics.push(m);
      }
      if (m.type === 'histogram') {
        const h = o.hist!;
        m.points.push({ attributes, startTimeUnixNano: o.start, timeUnixNano: o.time, flags: 0, count: h.count, sum: h.sum, bucketCounts: h.counts.slice(), explicitBounds: h.bounds.slice(), exemplars: [], min: undefined, max: undefined });
      } else (m.points as NumberDataPoint[]).push({ attributes, startTimeUnixNano: o.start, timeUnixNano: o.time, flags: 0, value: o.value, exemplars: [] });
    }
    return { resourceMetrics: [...byResource.values()].map((r) => r.rm) };
  }
}
