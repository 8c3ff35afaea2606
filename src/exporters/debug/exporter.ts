/**
 * `debug` exporter (Collector semantics): logs what passes through, for trying pipelines before real exporters.
 *   basic    one line per batch: resource metrics, metrics and data points counted
 *   normal   plus one line per metric: name, type, unit, point count and the first point's attributes/value
 *   detailed plus every data point
 * `sampling_initial` / `sampling_thereafter` limit lines per second as the Collector's do. Never mutates data.
 */
import { z } from 'zod';
import type { CreateSettings, ExporterComponent, ExporterFactory } from '../../component/component.ts';
import type { ConsumeContext } from '../../consumer/consumer.ts';
import { anyValueToString } from '../../model/attributes.ts';
import { countDataPoints, countMetrics } from '../../model/count.ts';
import type { Attributes, DataPoint, Metric, MetricsData } from '../../model/types.ts';

export const debugSchema = z.strictObject({
  verbosity: z.enum(['basic', 'normal', 'detailed']).default('basic'),
  sampling_initial: z.number().int().positive().default(2),
  sampling_thereafter: z.number().int().positive().default(1),
  use_internal_logger: z.boolean().default(true),
});
export type DebugConfig = z.output<typeof debugSchema>;

function attrs(a: Attributes): Record<string, string> {
  const o: Record<string, string> = {};
  for (const kv of a) o[kv.key] = anyValueToString(kv.value);
  return o;
}

function pointSummary(m: Metric, p: DataPoint): Record<string, unknown> {
  const base = { attributes: attrs(p.attributes), time: p.timeUnixNano.toString(), start: p.startTimeUnixNano.toString(), flags: p.flags };
  switch (m.type) {
    case 'gauge':
    case 'sum':
      return { ...base, value: String((p as { value: number | bigint }).value) };
    case 'histogram':
    case 'exponential_histogram':
    case 'summary': {
      const h = p as { count: number; sum?: number };
      return { ...base, count: h.count, sum: h.sum };
    }
    default:
      return base;
  }
}

class DebugExporter implements ExporterComponent {
  readonly mutatesData = false;
  private readonly settings: CreateSettings;
  private readonly cfg: DebugConfig;
  private windowStart = 0;
  private inWindow = 0;
  private readonly sent;

  constructor(settings: CreateSettings, cfg: DebugConfig) {
    this.settings = settings;
    this.cfg = cfg;
    this.sent = settings.telemetry.counter('otelcol_exporter_sent_metric_points', 'Number of metric points successfully sent to destination.', '{datapoints}');
  }

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}

  private sampled(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) (this.windowStart = now), (this.inWindow = 0);
    this.inWindow++;
    if (this.inWindow <= this.cfg.sampling_initial) return true;
    return (this.inWindow - this.cfg.sampling_initial) % this.cfg.sampling_thereafter === 0;
  }

  async consume(md: MetricsData, _ctx: ConsumeContext): Promise<void> {
    const points = countDataPoints(md);
    this.sent.add(points);
    if (!this.sampled()) return;
    const log = this.settings.logger;
    log.info({ 'resource metrics': md.resourceMetrics.length, metrics: countMetrics(md), 'data points': points }, 'Metrics');
    if (this.cfg.verbosity === 'basic') return;
    for (const rm of md.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics) {
          const first = m.points[0];
          log.info(
            {
              resource: attrs(rm.resource.attributes),
              scope: sm.scope.name,
              metric: m.name,
              type: m.type,
              unit: m.unit,
              points: m.points.length,
              ...(this.cfg.verbosity === 'normal' && first ? { first: pointSummary(m, first) } : {}),
            },
            'metric',
          );
          if (this.cfg.verbosity === 'detailed') {
            for (const p of m.points as DataPoint[]) log.info({ metric: m.name, point: pointSummary(m, p) }, 'data point');
          }
        }
      }
    }
  }

  status(): Record<string, unknown> {
    return { verbosity: this.cfg.verbosity };
  }
}

export const debugFactory: ExporterFactory<DebugConfig> = {
  kind: 'exporter',
  type: 'debug',
  configSchema: debugSchema,
  create: (settings, config) => new DebugExporter(settings, config),
};
