/**
 * How an OTLP metric maps onto a Prometheus family (the spec's "OTLP -> Prometheus" type rules), decided once per
 * metric before its points are visited.
 *
 * Contract: `classify(m, deltaToCumulative)` returns a `MetricPlan` or the DropReason that applies to every point:
 * gauge -> gauge (or unknown/info/stateset from `prometheus.type` metadata); sum: cumulative monotonic -> counter,
 * cumulative non-monotonic -> gauge, delta monotonic -> counter only when accumulating, delta non-monotonic and
 * unspecified temporality -> unsupported_temporality; histogram: cumulative, or delta when accumulating; summary;
 * exponential histogram: cumulative -> native histogram (family type histogram, no suffixes beyond the unit); delta and
 * unspecified -> unsupported_temporality even when accumulating (the Collector's prometheusremotewrite exporter accepts
 * only cumulative exponential histograms). Sinks without native histograms are handled by the translator. Pure, no I/O.
 */
import type { Metric } from '../../model/types.ts';
import { Temporality } from '../../model/types.ts';
import type { NamerMetricType } from './metric-namer.ts';
import type { DropReason, FamilyType } from './types.ts';

export interface MetricPlan {
  readonly kind: 'gauge' | 'counter' | 'histogram' | 'summary' | 'native_histogram';
  readonly familyType: FamilyType;
  readonly namerType: NamerMetricType;
  /** Points are deltas to accumulate. */
  readonly delta: boolean;
}

const COUNTER: MetricPlan = { kind: 'counter', familyType: 'counter', namerType: 'monotonic_counter', delta: false };
const DELTA_COUNTER: MetricPlan = { ...COUNTER, delta: true };
const HISTOGRAM: MetricPlan = { kind: 'histogram', familyType: 'histogram', namerType: 'histogram', delta: false };
const DELTA_HISTOGRAM: MetricPlan = { ...HISTOGRAM, delta: true };
const NATIVE_HISTOGRAM: MetricPlan = { kind: 'native_histogram', familyType: 'histogram', namerType: 'histogram', delta: false };
const SUMMARY: MetricPlan = { kind: 'summary', familyType: 'summary', namerType: 'summary', delta: false };

/** Gauge family type from `prometheus.type` metadata (unknown/info/stateset), else gauge. */
function gaugeType(m: Metric): FamilyType {
  for (const kv of m.metadata) {
    if (kv.key === 'prometheus.type' && typeof kv.value === 'string') {
      const t = kv.value;
      if (t === 'unknown' || t === 'info' || t === 'stateset') return t;
    }
  }
  return 'gauge';
}

export function classify(m: Metric, deltaToCumulative: boolean): MetricPlan | DropReason {
  switch (m.type) {
    case 'gauge':
      return { kind: 'gauge', familyType: gaugeType(m), namerType: 'gauge', delta: false };
    case 'sum':
      if (m.temporality === Temporality.CUMULATIVE) {
        return m.isMonotonic
          ? COUNTER
          : { kind: 'gauge', familyType: gaugeType(m), namerType: 'non_monotonic_counter', delta: false };
      }
      // Delta UpDownCounters are neither gauges nor accumulable counters (the collector drops them too).
      if (m.temporality === Temporality.DELTA && m.isMonotonic && deltaToCumulative) return DELTA_COUNTER;
      return 'unsupported_temporality';
    case 'histogram':
      if (m.temporality === Temporality.CUMULATIVE) return HISTOGRAM;
      if (m.temporality === Temporality.DELTA && deltaToCumulative) return DELTA_HISTOGRAM;
      return 'unsupported_temporality';
    case 'summary':
      return SUMMARY;
    case 'exponential_histogram':
      return m.temporality === Temporality.CUMULATIVE ? NATIVE_HISTOGRAM : 'unsupported_temporality';
    default:
      return 'unsupported_type';
  }
}
