/**
 * `filter` processor (config.ts has the options): drops metrics and data points, as the Collector's filterprocessor.
 *
 * Contract
 * - Legacy form: a metric is kept when it matches `include` (if set) and does not match `exclude` (if set).
 * - OTTL form: a metric is dropped when any `metric` condition is true; then each remaining point is dropped when
 *   any `datapoint` condition is true. Metrics left without points are removed, then empty scopes and resources
 *   (metrics that arrived without points are only removed by metric-level rules).
 * - Dropped points are counted in `otelbridge_processor_dropped_items{reason="filtered"}`.
 * - error_mode (a condition failed at run time, e.g. IsMatch on a bytes attribute): `propagate` rejects the batch
 *   with a permanent PipelineError (400 / INVALID_ARGUMENT at the receiver) naming the condition; `ignore` treats
 *   the condition as false and logs (at most once per second, with the count); `silent` treats it as false quietly.
 */
import type { CreateSettings, ProcessorFactory } from '../../component/component.ts';
import { PipelineError } from '../../component/errors.ts';
import type { Consumer } from '../../consumer/consumer.ts';
import type { DataPoint, Metric, MetricsData } from '../../model/types.ts';
import type { CompiledCondition, OttlTarget } from '../../ottl/index.ts';
import { createProcessor, processorCounters } from '../helper.ts';
import { compileFilter, filterSchema, type CompiledFilter, type FilterConfig } from './config.ts';

class FilterCore {
  private readonly f: CompiledFilter;
  private readonly mode: FilterConfig['error_mode'];
  private readonly settings: CreateSettings;
  private readonly target: OttlTarget;
  dropped = 0;
  errors = 0;
  private lastLog = 0;
  private unlogged = 0;

  constructor(settings: CreateSettings, cfg: FilterConfig) {
    this.settings = settings;
    this.f = compileFilter(cfg);
    this.mode = cfg.error_mode;
    this.target = { resource: { attributes: [], droppedAttributesCount: 0 }, scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, metric: undefined as unknown as Metric, point: undefined };
  }

  /** Any condition true? Evaluation errors handled per error_mode. */
  private any(conds: CompiledCondition[]): boolean {
    const t = this.target;
    for (let i = 0; i < conds.length; i++) {
      const c = conds[i]!;
      try {
        if (c.eval(t)) return true;
      } catch (err) {
        this.failed(c, err);
      }
    }
    return false;
  }

  private failed(c: CompiledCondition, err: unknown): void {
    this.errors++;
    const msg = `condition ${JSON.stringify(c.text)} failed on metric ${JSON.stringify(this.target.metric.name)}: ${(err as Error).message}`;
    if (this.mode === 'propagate') throw PipelineError.permanent('OB_FILTER_CONDITION', msg);
    if (this.mode === 'silent') return;
    const now = Date.now();
    if (now - this.lastLog < 1000) {
      this.unlogged++;
      return;
    }
    this.settings.logger.warn({ suppressed: this.unlogged }, `${msg} (error_mode ignore: treated as false)`);
    this.lastLog = now;
    this.unlogged = 0;
  }

  /** Filters `md` in place; returns the number of dropped points. */
  apply(md: MetricsData): number {
    const f = this.f;
    const t = this.target;
    let dropped = 0;
    let rw = 0;
    for (const rm of md.resourceMetrics) {
      t.resource = rm.resource;
      const hadScopes = rm.scopeMetrics.length > 0;
      let sw = 0;
      for (const sm of rm.scopeMetrics) {
        t.scope = sm.scope;
        const hadMetrics = sm.metrics.length > 0;
        let mw = 0;
        for (const m of sm.metrics) {
          t.metric = m;
          t.point = undefined;
          const n = m.points.length;
          let drop = false;
          if (f.include !== undefined && !f.include.matches(m, rm.resource)) drop = true;
          else if (f.exclude !== undefined && f.exclude.matches(m, rm.resource)) drop = true;
          else if (f.metric.length > 0 && this.any(f.metric)) drop = true;
          if (drop) {
            dropped += n;
            continue;
          }
          if (f.datapoint.length > 0 && n > 0) {
            const pts = m.points as DataPoint[];
            let w = 0;
            for (let i = 0; i < n; i++) {
              const p = pts[i]!;
              t.point = p;
              if (this.any(f.datapoint)) dropped++;
              else pts[w++] = p;
            }
            t.point = undefined;
            pts.length = w;
            if (w === 0) continue;
          }
          sm.metrics[mw++] = m;
        }
        sm.metrics.length = mw;
        if (mw > 0 || !hadMetrics) rm.scopeMetrics[sw++] = sm;
      }
      rm.scopeMetrics.length = sw;
      if (sw > 0 || !hadScopes) md.resourceMetrics[rw++] = rm;
    }
    md.resourceMetrics.length = rw;
    this.dropped += dropped;
    return dropped;
  }
}

function createFilter(settings: CreateSettings, cfg: FilterConfig, next: Consumer) {
  const core = new FilterCore(settings, cfg);
  const counters = processorCounters(settings);
  return createProcessor(settings, next, {
    mutatesData: true,
    status: () => ({ droppedPoints: core.dropped, conditionErrors: core.errors, errorMode: cfg.error_mode }),
    process(md: MetricsData) {
      const n = core.apply(md);
      if (n === 0) return md;
      counters.dropped.add(n, { reason: 'filtered' });
      // A new wrapper: the helper only recounts outgoing points for a different object.
      return { resourceMetrics: md.resourceMetrics };
    },
  });
}

export const filterFactory: ProcessorFactory<FilterConfig> = {
  kind: 'processor',
  type: 'filter',
  configSchema: filterSchema,
  create: createFilter,
};
