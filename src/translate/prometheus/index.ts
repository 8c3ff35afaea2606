/**
 * OTLP -> Prometheus translation layer shared by the /metrics exporter and the remote-write exporters.
 * Entry point: `new PrometheusTranslator(options).translate(md, sink)`; see translator.ts and types.ts for the
 * contracts, metric-namer.ts / label-namer.ts for the otlptranslator ports, labels.ts for label-set rules.
 */
export { PrometheusTranslator, translate } from './translator.ts';
export type {
  DropReason,
  FamilyType,
  PromExemplar,
  PromSink,
  SeriesRef,
  TranslateStats,
  TranslatorOptions,
} from './types.ts';
export { DROP_REASONS, newStats, SeriesKind } from './types.ts';
export type { MetricNamerOptions, NamerMetricType, NameResult } from './metric-namer.ts';
export { buildMetricName, buildUnitName, isClassicMetricName, PER_UNIT_MAP, UNIT_MAP } from './metric-namer.ts';
export type { LabelNamerOptions, LabelNameResult } from './label-namer.ts';
export { buildLabelName, LabelNamer } from './label-namer.ts';
export type { BucketSpan, NativeHistogram } from './native-histogram.ts';
export { convertBuckets, DEFAULT_ZERO_THRESHOLD, toNativeHistogram } from './native-histogram.ts';
export { DeltaAccumulator } from './delta-accumulator.ts';
export { float64Bits, formatLabelFloat, isStaleNaN, nsToMs, STALE_NAN } from './values.ts';
export type { MetricPlan } from './classify.ts';
export { classify } from './classify.ts';
