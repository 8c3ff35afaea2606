/**
 * Public types of the OTLP -> Prometheus translation layer (shared by the /metrics and remote-write exporters).
 *
 * Contract
 * - The translator pushes into a `PromSink`: `family()` once per OTLP metric before its first series, then `series()`
 *   per sample (or `histogram()` per exponential histogram point, when the sink has it). Nothing is buffered in between, so consumers build their output without intermediate arrays.
 * - A `SeriesRef` is one Prometheus series identity: `name` (the `__name__` value) and `labels` (sorted by name, unique,
 *   names and values non-empty, WITHOUT `__name__`). For points that carry `prom` (or get one via
 *   `attachPromIdentity`) the same SeriesRef object comes back batch after batch, so its memo slots (`rw1`, `rw2`,
 *   `text`) are computed once per series. `rw1`, `text` and `legacyNames` are pure functions of (name, labels), so any
 *   consumer may fill and read them; `rw2` is tagged with its owner. `null` marks "label set invalid for that format".
 * - Values are JS numbers (int64 values converted); `STALE_NAN` (values.ts) marks stale series. Timestamps are integer
 *   ms. `startMs` is the point's start time in ms, 0 when unknown (RW 2.0 created_timestamp).
 * - Nothing is dropped silently: every point that produces no series is counted in `TranslateStats.dropped` by reason.
 */
import type { Label } from '../../model/types.ts';
import type { NativeHistogram } from './native-histogram.ts';

/** Prometheus metric family types (OpenMetrics names). Text 0.0.4 renderers map info/stateset to gauge. */
export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown' | 'info' | 'stateset';

/** What a sample is within its family. Small ints so sinks can switch cheaply. */
export const SeriesKind = {
  GAUGE: 0,
  COUNTER: 1,
  BUCKET: 2,
  SUM: 3,
  COUNT: 4,
  QUANTILE: 5,
  CREATED: 6,
  TARGET_INFO: 7,
  /** A whole exponential histogram point as one native histogram sample (`PromSink.histogram`). */
  NATIVE_HISTOGRAM: 8,
} as const;
export type SeriesKind = (typeof SeriesKind)[keyof typeof SeriesKind];

export interface SeriesRef {
  /** Value of `__name__` (with `_total`, `_bucket`, `_sum`, `_count`, `_created` as applicable). */
  readonly name: string;
  /** Sorted, unique, non-empty; excludes `__name__`; includes `le` / `quantile` where applicable. */
  readonly labels: readonly Label[];
  /**
   * True when the translator will hand out this same object again (its point carries `prom`): only then are memo
   * slots worth filling. Consumers encode non-cacheable refs straight into their output (no per-series allocation).
   */
  readonly cacheable?: boolean | undefined;
  /** Memo: RW 1.0 encoded `Label` messages (field 1 entries of TimeSeries), `__name__` included. */
  rw1?: Uint8Array | null | undefined;
  /** Memo owned by the RW 2.0 encoder (symbol ids tagged with their registry; see codec/remotewrite/symbols.ts). */
  rw2?: unknown;
  /** Memo: text-format series prefix, e.g. `name{a="b"}`. */
  text?: string | null | undefined;
  /** Memo: name and label names match the classic (pre-UTF-8) Prometheus character sets. */
  legacyNames?: boolean | undefined;
  /** Memo of the remote-write batcher: hash of the point identity behind this series (-1 or undefined: not yet). */
  shardHash?: number | undefined;
}

export interface PromExemplar {
  /** `trace_id`, `span_id` first (hex), then the filtered attributes; sorted by name. */
  readonly labels: readonly Label[];
  readonly value: number;
  readonly timestampMs: number;
}

export interface PromSink {
  /** Family metadata; called once per OTLP metric (so possibly more than once per name across resources/scopes). */
  family(name: string, type: FamilyType, help: string, unit: string): void;
  /** One sample. `exemplars` only for counters and histogram buckets (gauge/summary exemplars are dropped). */
  series(
    ref: SeriesRef,
    value: number,
    timestampMs: number,
    kind: SeriesKind,
    startMs: number,
    exemplars: readonly PromExemplar[] | undefined,
  ): void;
  /**
   * Optional: one native histogram sample (an OTLP exponential histogram point; `ref` is the family-named series,
   * no suffix; `kind` is NATIVE_HISTOGRAM). Sinks without it (text formats) get no exponential histograms: the
   * translator counts those points as `unsupported_exponential_histogram`.
   */
  histogram?(
    ref: SeriesRef,
    h: NativeHistogram,
    kind: SeriesKind,
    startMs: number,
    exemplars: readonly PromExemplar[] | undefined,
  ): void;
}

/**
 * Reasons a data point produced no series. `unsupported_exponential_histogram`: the sink has no native histograms
 * (text formats); `unsupported_scale`: an exponential histogram scale below -4 (no native schema).
 */
export type DropReason =
  | 'unsupported_type'
  | 'unsupported_exponential_histogram'
  | 'unsupported_scale'
  | 'unsupported_temporality'
  | 'delta_not_aligned'
  | 'out_of_order'
  | 'invalid_name'
  | 'invalid_label'
  | 'invalid_histogram';

export const DROP_REASONS: readonly DropReason[] = [
  'unsupported_type',
  'unsupported_exponential_histogram',
  'unsupported_scale',
  'unsupported_temporality',
  'delta_not_aligned',
  'out_of_order',
  'invalid_name',
  'invalid_label',
  'invalid_histogram',
];

export interface TranslateStats {
  /** Data points seen. */
  points: number;
  /** `series()` and `histogram()` calls made (samples). */
  samples: number;
  /** Points that produced no series, total and by reason. */
  dropped: number;
  droppedByReason: Record<DropReason, number>;
  /** Attribute keys that collided after sanitising (values joined with ';'), counted when a label set is built. */
  collisions: number;
  /** target_info series emitted. */
  targetInfo: number;
}

export function newStats(): TranslateStats {
  return {
    points: 0,
    samples: 0,
    dropped: 0,
    droppedByReason: {
      unsupported_type: 0,
      unsupported_exponential_histogram: 0,
      unsupported_scale: 0,
      unsupported_temporality: 0,
      delta_not_aligned: 0,
      out_of_order: 0,
      invalid_name: 0,
      invalid_label: 0,
      invalid_histogram: 0,
    },
    collisions: 0,
    targetInfo: 0,
  };
}

export interface TranslatorOptions {
  /** Prefix `<namespace>_` for every metric name (collector `namespace`). */
  readonly namespace?: string | undefined;
  /** Unit and type suffixes (`_seconds`, `_total`, `_ratio`); default true (collector `add_metric_suffixes`). */
  readonly addMetricSuffixes?: boolean | undefined;
  /** Keep UTF-8 names (no escaping); default false. */
  readonly utf8Allowed?: boolean | undefined;
  readonly underscoreLabelSanitization?: boolean | undefined;
  readonly preserveMultipleUnderscores?: boolean | undefined;
  /** otel_scope_name/version/schema_url/<attr> labels; default true (the spec's MUST). */
  readonly promoteScopeMetadata?: boolean | undefined;
  /** All resource attributes become labels (collector `resource_to_telemetry_conversion`). */
  readonly resourceToTelemetryConversion?: boolean | undefined;
  /** Resource attributes copied to labels (point attributes win). */
  readonly promoteResourceAttributes?: readonly string[] | undefined;
  /** With `resourceToTelemetryConversion`: resource attributes NOT to copy. */
  readonly ignoreResourceAttributes?: readonly string[] | undefined;
  /** Collector `external_labels` / `const_labels`: added unless the series already has that label. Names must be valid. */
  readonly externalLabels?: Readonly<Record<string, string>> | undefined;
  /** Emit `target_info` per job/instance; default true. */
  readonly targetInfo?: boolean | undefined;
  /** Keep service.name/namespace/instance.id as target_info labels too; default false. */
  readonly keepIdentifyingResourceAttributes?: boolean | undefined;
  /** Emit `<name>_created` series (value = start time in ms) for counters, histograms, summaries; default false. */
  readonly exportCreatedMetric?: boolean | undefined;
  /** Convert exemplars (counters, histogram buckets); default true. */
  readonly exemplars?: boolean | undefined;
  /** Accumulate delta monotonic sums and delta histograms into cumulative series; default false (dropped). */
  readonly deltaToCumulative?: boolean | undefined;
  /** Accumulated delta state unused for this long is forgotten (collector `metric_expiration`); default 5 min. */
  readonly metricExpirationMs?: number | undefined;
  /**
   * Points without `prom` (OTLP input) are looked up by content (context + name + raw attributes) in a two-generation
   * cache of this many series, so steady OTLP streams reuse SeriesRefs (and encoders' label bytes) across batches.
   * Default 100000; 0 disables. Memory ~0.5-1 KB per cached series; unseen series age out with `metricExpirationMs`.
   */
  readonly seriesCacheSize?: number | undefined;
  /** Set `point.prom` on points that have none, so re-translating the same point objects hits the caches. */
  readonly attachPromIdentity?: boolean | undefined;
  /** Hook for non-fatal findings (attribute collisions). No logging happens inside the translator. */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** Wall clock in ms for expiry; default Date.now. */
  readonly now?: (() => number) | undefined;
}
