/**
 * `deltatocumulative` processor (contrib names): delta sums, histograms and exponential histograms become
 * cumulative, per stream.
 *
 *   deltatocumulative:
 *     max_stale: 5m        # a stream not updated for this long is forgotten (its next delta starts a new total)
 *     max_streams: 0       # 0 = unlimited (contrib default: math.MaxInt64); over the limit new streams are refused
 *
 * Contract
 * - Stream identity: resource attributes + scope (name, version, attributes) + metric (name, unit, type,
 *   monotonicity) + point attributes (attribute order does not matter, value types do).
 * - The first delta of a stream starts it: start time = that delta's start time; every accepted delta adds to the
 *   running total, which replaces the point's values; the metric's temporality becomes cumulative.
 * - Dropped and counted in `otelbridge_processor_dropped_items{reason}`: a delta not newer than the stream's last
 *   one (`out_of_order`), a delta starting before the stream's last one ended (`overlapping`), a delta of a new
 *   stream while `max_streams` streams exist (`max_streams`). Histogram bound changes restart the stream
 *   (`otelbridge_processor_deltatocumulative_restarts`).
 * - Cumulative, unspecified-temporality and non-aggregating metrics (gauges, summaries) pass untouched.
 * - Staleness is wall-clock time since the stream's last accepted delta, swept every min(max_stale/2, 1m).
 * - Converted points get `prom = undefined` (their temporality, hence their Prometheus meaning, changed).
 */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import type { CreateSettings, ProcessorFactory } from '../../component/component.ts';
import type { Consumer } from '../../consumer/consumer.ts';
import { anyValueToString } from '../../model/attributes.ts';
import type { AnyValue, Attributes, DataPoint, Metric, MetricsData } from '../../model/types.ts';
import { Temporality } from '../../model/types.ts';
import { createProcessor, processorCounters } from '../helper.ts';
import { addExp, addHist, addSum, newExp, newHist, newSum, writeExp, writeHist, writeSum, type StreamState } from './accumulate.ts';

export const deltaToCumulativeSchema = z.strictObject({
  max_stale: duration('5m'),
  max_streams: z.number().int().min(0).default(0),
});
export type DeltaToCumulativeConfig = z.output<typeof deltaToCumulativeSchema>;

function valueKey(v: AnyValue): string {
  switch (typeof v) {
    case 'string':
      return 's' + v;
    case 'bigint':
      return 'i' + v;
    case 'number':
      return 'd' + v;
    case 'boolean':
      return v ? 'T' : 'F';
    default:
      return v === null ? 'n' : 'x' + anyValueToString(v);
  }
}

/** Order-independent key of an attribute list. */
export function attributesKey(attrs: Attributes): string {
  const n = attrs.length;
  if (n === 0) return '';
  const parts: string[] = new Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const kv = attrs[i]!;
    parts[i] = kv.key + '\u0001' + valueKey(kv.value);
    if (i > 0 && attrs[i - 1]!.key > kv.key) sorted = false;
  }
  if (!sorted) parts.sort();
  return parts.join('\u0002');
}

export class DeltaToCumulative {
  readonly streams = new Map<string, StreamState>();
  private readonly cfg: DeltaToCumulativeConfig;
  readonly dropped = { out_of_order: 0, overlapping: 0, max_streams: 0 };
  restarts = 0;
  now: () => number = Date.now;

  constructor(cfg: DeltaToCumulativeConfig) {
    this.cfg = cfg;
  }

  /** Forgets streams not updated within max_stale; returns how many. */
  sweep(): number {
    const limit = this.now() - this.cfg.max_stale;
    let n = 0;
    for (const [k, s] of this.streams) {
      if (s.seen < limit) {
        this.streams.delete(k);
        n++;
      }
    }
    return n;
  }

  apply(md: MetricsData): void {
    const now = this.now();
    let rw = 0;
    for (const rm of md.resourceMetrics) {
      let rkey: string | undefined;
      let sw = 0;
      for (const sm of rm.scopeMetrics) {
        let skey: string | undefined;
        const had = sm.metrics.length;
        let mw = 0;
        for (const m of sm.metrics) {
          if (!('temporality' in m) || m.temporality !== Temporality.DELTA || m.points.length === 0) {
            sm.metrics[mw++] = m;
            continue;
          }
          rkey ??= attributesKey(rm.resource.attributes);
          skey ??= `${rkey}\u0003${sm.scope.name}\u0003${sm.scope.version}\u0003${attributesKey(sm.scope.attributes)}`;
          this.metric(m, `${skey}\u0003${m.name}\u0003${m.unit}\u0003${m.type}\u0003${m.type === 'sum' && m.isMonotonic ? 'm' : ''}\u0003`, now);
          if (m.points.length > 0) sm.metrics[mw++] = m;
        }
        sm.metrics.length = mw;
        if (mw > 0 || had === 0) rm.scopeMetrics[sw++] = sm;
      }
      const hadScopes = rm.scopeMetrics.length;
      rm.scopeMetrics.length = sw;
      if (sw > 0 || hadScopes === 0) md.resourceMetrics[rw++] = rm;
    }
    md.resourceMetrics.length = rw;
  }

  private metric(m: Metric, prefix: string, now: number): void {
    const points = m.points as DataPoint[];
    const max = this.cfg.max_streams;
    let w = 0;
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      const key = prefix + attributesKey(p.attributes);
      let s = this.streams.get(key);
      if (s === undefined) {
        if (max > 0 && this.streams.size >= max) {
          this.dropped.max_streams++;
          continue;
        }
        s = m.type === 'sum' ? newSum(p as never, now) : m.type === 'histogram' ? newHist(p as never, now) : newExp(p as never, now);
        this.streams.set(key, s);
      } else {
        if (p.timeUnixNano <= s.last) {
          this.dropped.out_of_order++;
          continue;
        }
        if (p.startTimeUnixNano !== 0n && p.startTimeUnixNano < s.last) {
          this.dropped.overlapping++;
          continue;
        }
        if (s.kind === 'sum') addSum(s, p as never);
        else if (s.kind === 'histogram') {
          if (!addHist(s, p as never)) this.restarts++;
        } else addExp(s, p as never);
        s.last = p.timeUnixNano;
        s.seen = now;
      }
      if (s.kind === 'sum') writeSum(s, p as never);
      else if (s.kind === 'histogram') writeHist(s, p as never);
      else writeExp(s, p as never);
      p.prom = undefined;
      points[w++] = p;
    }
    points.length = w;
    (m as { temporality: Temporality }).temporality = Temporality.CUMULATIVE;
  }
}

function createDeltaToCumulative(settings: CreateSettings, cfg: DeltaToCumulativeConfig, next: Consumer) {
  const core = new DeltaToCumulative(cfg);
  const counters = processorCounters(settings);
  const restarts = settings.telemetry.counter('otelbridge_processor_deltatocumulative_restarts', 'Streams restarted because a histogram delta changed its bucket bounds.', '{streams}');
  let timer: NodeJS.Timeout | undefined;
  const seen = { out_of_order: 0, overlapping: 0, max_streams: 0, restarts: 0 };
  return createProcessor(settings, next, {
    mutatesData: true,
    async start() {
      const every = Math.min(Math.max(cfg.max_stale / 2, 10), 60_000);
      timer = setInterval(() => core.sweep(), every);
      timer.unref();
    },
    async shutdown() {
      clearInterval(timer);
      timer = undefined;
    },
    status: () => ({ streams: core.streams.size, maxStreams: cfg.max_streams, maxStaleMs: cfg.max_stale, dropped: { ...core.dropped }, restarts: core.restarts }),
    process(md: MetricsData) {
      const before = core.dropped.out_of_order + core.dropped.overlapping + core.dropped.max_streams;
      core.apply(md);
      const changed = core.dropped.out_of_order + core.dropped.overlapping + core.dropped.max_streams !== before;
      for (const reason of ['out_of_order', 'overlapping', 'max_streams'] as const) {
        const d = core.dropped[reason] - seen[reason];
        if (d > 0) counters.dropped.add(d, { reason });
        seen[reason] = core.dropped[reason];
      }
      if (core.restarts > seen.restarts) restarts.add(core.restarts - seen.restarts);
      seen.restarts = core.restarts;
      // A new wrapper when points were dropped: the helper only recounts outgoing points for a different object.
      return changed ? { resourceMetrics: md.resourceMetrics } : md;
    },
  });
}

export const deltaToCumulativeFactory: ProcessorFactory<DeltaToCumulativeConfig> = {
  kind: 'processor',
  type: 'deltatocumulative',
  configSchema: deltaToCumulativeSchema,
  create: createDeltaToCumulative,
};
