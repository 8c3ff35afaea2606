/**
 * The one internal metrics model: OTLP-shaped, lossless for everything OTLP metrics carry.
 *
 * Contract
 * - A `MetricsData` handed to `Consumer.consume` belongs to the callee from then on; the caller must not touch it.
 *   Fan-out (see src/consumer/fanout.ts) clones for every mutating consumer but the last.
 * - 64-bit integers: timestamps (`*UnixNano`) and int64 values/attributes are `bigint`, so nothing is lost.
 *   Unsigned counts (`count`, `bucketCounts`, `zeroCount`) are `number`: exact up to 2^53, which no real
 *   histogram reaches (documented loss beyond that).
 * - `prom` on a data point is the cached Prometheus identity of that point (see PromSeries below). Whoever changes a
 *   point's attributes, its metric's name/type/unit, or its resource/scope MUST reset `prom` to undefined.
 * - Stale markers: V8 may quiet NaN payloads kept in plain `number[]` arrays; keep values that may be the Prometheus
 *   stale NaN in object fields or a Float64Array (the flag FLAG_NO_RECORDED_VALUE is the model's own marker).
 * See README.md in this folder for the whole picture.
 */

/** AnyValue, discriminated by JS type:
 *  string | boolean | bigint (int64) | number (double) | Uint8Array (bytes) | AnyValue[] (array) | KvList | null (empty) */
export type AnyValue = string | boolean | bigint | number | Uint8Array | AnyValue[] | KvList | null;

export interface KvList {
  readonly kvlist: KeyValue[];
}

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export type Attributes = KeyValue[];

export interface Resource {
  attributes: Attributes;
  droppedAttributesCount: number;
  /** Resource.entity_refs (proto field 3, development status); absent (not `[]`) when the input had none. */
  entityRefs?: EntityRef[] | undefined;
}

/** common.proto EntityRef: which resource attributes identify (and describe) one entity. */
export interface EntityRef {
  schemaUrl: string;
  type: string;
  idKeys: string[];
  descriptionKeys: string[];
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

/** Values of AggregationTemporality in the OTLP proto. */
export const Temporality = { UNSPECIFIED: 0, DELTA: 1, CUMULATIVE: 2 } as const;
export type Temporality = (typeof Temporality)[keyof typeof Temporality];

/** DataPointFlags bits. */
export const FLAG_NO_RECORDED_VALUE = 1;

export interface Exemplar {
  filteredAttributes: Attributes;
  timeUnixNano: bigint;
  /** asDouble is number, asInt is bigint. */
  value: number | bigint;
  /** 16 bytes or empty. */
  traceId: Uint8Array;
  /** 8 bytes or empty. */
  spanId: Uint8Array;
}

interface PointBase {
  attributes: Attributes;
  /** 0n when unset. */
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  flags: number;
  /** Cached Prometheus identity (see PromSeries). Reset to undefined on any identity change. */
  prom?: PromSeries | undefined;
}

export interface NumberDataPoint extends PointBase {
  /** asDouble is number, asInt is bigint. 0 (double) when the point has no value (see `valueAbsent`). */
  value: number | bigint;
  exemplars: Exemplar[];
  /**
   * True when the point had neither as_double nor as_int (the Collector's NumberDataPointValueType Empty); absent
   * otherwise. Encoders honour it only while `value` is still the double 0, so a writer that sets a value without
   * deleting the flag still gets its value encoded. Readers that need a number use `value` (0, as the Collector).
   */
  valueAbsent?: true | undefined;
}

/** True when `p` carries no value (see NumberDataPoint.valueAbsent): encoders then write neither as_double nor as_int. */
export function isValueAbsent(p: NumberDataPoint): boolean {
  return p.valueAbsent === true && p.value === 0;
}

export interface HistogramDataPoint extends PointBase {
  count: number;
  /** undefined when the optional field is absent. */
  sum: number | undefined;
  /** Per-bucket (not cumulative) counts; length = explicitBounds.length + 1, or 0 when no buckets. */
  bucketCounts: number[];
  explicitBounds: number[];
  exemplars: Exemplar[];
  min: number | undefined;
  max: number | undefined;
}

export interface Buckets {
  offset: number;
  bucketCounts: number[];
}

export interface ExponentialHistogramDataPoint extends PointBase {
  count: number;
  sum: number | undefined;
  scale: number;
  zeroCount: number;
  positive: Buckets;
  negative: Buckets;
  exemplars: Exemplar[];
  min: number | undefined;
  max: number | undefined;
  zeroThreshold: number;
}

export interface ValueAtQuantile {
  quantile: number;
  value: number;
}

export interface SummaryDataPoint extends PointBase {
  count: number;
  sum: number;
  quantileValues: ValueAtQuantile[];
}

interface MetricBase {
  name: string;
  description: string;
  unit: string;
  /** Metric.metadata (e.g. `prometheus.type`). */
  metadata: Attributes;
}

export interface GaugeMetric extends MetricBase {
  type: 'gauge';
  points: NumberDataPoint[];
}
export interface SumMetric extends MetricBase {
  type: 'sum';
  temporality: Temporality;
  isMonotonic: boolean;
  points: NumberDataPoint[];
}
export interface HistogramMetric extends MetricBase {
  type: 'histogram';
  temporality: Temporality;
  points: HistogramDataPoint[];
}
export interface ExponentialHistogramMetric extends MetricBase {
  type: 'exponential_histogram';
  temporality: Temporality;
  points: ExponentialHistogramDataPoint[];
}
export interface SummaryMetric extends MetricBase {
  type: 'summary';
  points: SummaryDataPoint[];
}
/** A metric with no data set (allowed by the proto; kept so OTLP round trips stay equal). */
export interface EmptyMetric extends MetricBase {
  type: 'empty';
  points: never[];
}

export type Metric =
  | GaugeMetric
  | SumMetric
  | HistogramMetric
  | ExponentialHistogramMetric
  | SummaryMetric
  | EmptyMetric;
export type MetricType = Metric['type'];
export type DataPoint = Metric['points'][number];

export interface ScopeMetrics {
  scope: InstrumentationScope;
  metrics: Metric[];
  schemaUrl: string;
}

export interface ResourceMetrics {
  resource: Resource;
  scopeMetrics: ScopeMetrics[];
  schemaUrl: string;
}

/** ExportMetricsServiceRequest / MetricsData. */
export interface MetricsData {
  resourceMetrics: ResourceMetrics[];
  /**
   * The exact OTLP protobuf encoding (ExportMetricsServiceRequest) of this data as received, when a receiver had it
   * and nothing has changed the data since. OTLP exporters send it as is instead of re-encoding. The service strips
   * it before every processor that mutates data (unless the processor declares `preservesEncoding` and keeps it
   * right itself), so a processor can never forward stale bytes.
   */
  encoded?: Uint8Array | undefined;
}

/**
 * Cached Prometheus identity of one data point, built once by whoever knows it (the prometheus receiver from its
 * scrape cache) and reused by every Prometheus path.
 * `labels` are sorted by name, unique, non-empty, and exclude `__name__`; `name` is the family name as scraped
 * (for histograms/summaries the base name without `_bucket`/`_sum`/`_count`; for counters the name with `_total`
 * when the exposition had it). Translators never trust `name`/`labels` for their own output: they memoise their
 * per-options results in `cache` under their own Symbol (src/translate/prometheus/series-cache.ts).
 * Memos (`memoKey`/`memo`, then `cache`) are free for translators/encoders to keep per-series results under their own
 * symbol; use prom-memo.ts (one slot inline: a Map per series costs ~300 bytes).
 */
export interface PromSeries {
  readonly name: string;
  readonly labels: readonly Label[];
  /** First memo slot (most points have one translator): its key and value. See prom-memo.ts. */
  memoKey?: symbol | undefined;
  memo?: unknown;
  /** Further memos, by key. */
  cache?: Map<symbol, unknown> | undefined;
}

export interface Label {
  readonly name: string;
  readonly value: string;
}
