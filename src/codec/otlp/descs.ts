/**
 * Field tables of the OTLP metrics protos, for the binary decoder's error messages and wrong-wire-type checks.
 *
 * Contract: each `MessageDesc` lists EVERY field of the current upstream message (opentelemetry-proto
 * `metrics/v1/metrics.proto`, `common/v1/common.proto`, `resource/v1/resource.proto`,
 * `collector/metrics/v1/metrics_service.proto`, googleapis `google/rpc/status.proto`, `error_details.proto`) by
 * field number, and nothing else: reserved/removed numbers (Metric 4, 6, 8; points' `labels` 1; ResourceMetrics
 * 1000) are absent so they are skipped as unknown. Decoders must handle every valid wire type of each listed field.
 */
import type { MessageDesc } from '../protobuf/index.ts';

const d = (name: string, fields: Record<number, string>): MessageDesc => ({ name, fields });

export const D_METRICS_DATA = d('MetricsData', { 1: 'resource_metrics' });
export const D_RESOURCE_METRICS = d('ResourceMetrics', { 1: 'resource', 2: 'scope_metrics', 3: 'schema_url' });
export const D_RESOURCE = d('Resource', { 1: 'attributes', 2: 'dropped_attributes_count', 3: 'entity_refs' });
export const D_ENTITY_REF = d('EntityRef', { 1: 'schema_url', 2: 'type', 3: 'id_keys', 4: 'description_keys' });
export const D_SCOPE_METRICS = d('ScopeMetrics', { 1: 'scope', 2: 'metrics', 3: 'schema_url' });
export const D_SCOPE = d('InstrumentationScope', {
  1: 'name',
  2: 'version',
  3: 'attributes',
  4: 'dropped_attributes_count',
});
export const D_METRIC = d('Metric', {
  1: 'name',
  2: 'description',
  3: 'unit',
  5: 'gauge',
  7: 'sum',
  9: 'histogram',
  10: 'exponential_histogram',
  11: 'summary',
  12: 'metadata',
});
export const D_GAUGE = d('Gauge', { 1: 'data_points' });
export const D_SUM = d('Sum', { 1: 'data_points', 2: 'aggregation_temporality', 3: 'is_monotonic' });
export const D_HISTOGRAM = d('Histogram', { 1: 'data_points', 2: 'aggregation_temporality' });
export const D_EXP_HISTOGRAM = d('ExponentialHistogram', { 1: 'data_points', 2: 'aggregation_temporality' });
export const D_SUMMARY = d('Summary', { 1: 'data_points' });
export const D_NUMBER_POINT = d('NumberDataPoint', {
  2: 'start_time_unix_nano',
  3: 'time_unix_nano',
  4: 'as_double',
  5: 'exemplars',
  6: 'as_int',
  7: 'attributes',
  8: 'flags',
});
export const D_HISTOGRAM_POINT = d('HistogramDataPoint', {
  2: 'start_time_unix_nano',
  3: 'time_unix_nano',
  4: 'count',
  5: 'sum',
  6: 'bucket_counts',
  7: 'explicit_bounds',
  8: 'exemplars',
  9: 'attributes',
  10: 'flags',
  11: 'min',
  12: 'max',
});
export const D_EXP_HISTOGRAM_POINT = d('ExponentialHistogramDataPoint', {
  1: 'attributes',
  2: 'start_time_unix_nano',
  3: 'time_unix_nano',
  4: 'count',
  5: 'sum',
  6: 'scale',
  7: 'zero_count',
  8: 'positive',
  9: 'negative',
  10: 'flags',
  11: 'exemplars',
  12: 'min',
  13: 'max',
  14: 'zero_threshold',
});
export const D_BUCKETS = d('ExponentialHistogramDataPoint.Buckets', { 1: 'offset', 2: 'bucket_counts' });
export const D_SUMMARY_POINT = d('SummaryDataPoint', {
  2: 'start_time_unix_nano',
  3: 'time_unix_nano',
  4: 'count',
  5: 'sum',
  6: 'quantile_values',
  7: 'attributes',
  8: 'flags',
});
export const D_QUANTILE = d('SummaryDataPoint.ValueAtQuantile', { 1: 'quantile', 2: 'value' });
export const D_EXEMPLAR = d('Exemplar', {
  2: 'time_unix_nano',
  3: 'as_double',
  4: 'span_id',
  5: 'trace_id',
  6: 'as_int',
  7: 'filtered_attributes',
});
export const D_KEY_VALUE = d('KeyValue', { 1: 'key', 2: 'value' });
export const D_ANY_VALUE = d('AnyValue', {
  1: 'string_value',
  2: 'bool_value',
  3: 'int_value',
  4: 'double_value',
  5: 'array_value',
  6: 'kvlist_value',
  7: 'bytes_value',
});
export const D_ARRAY_VALUE = d('ArrayValue', { 1: 'values' });
export const D_KVLIST_VALUE = d('KeyValueList', { 1: 'values' });

export const D_EXPORT_RESPONSE = d('ExportMetricsServiceResponse', { 1: 'partial_success' });
export const D_PARTIAL_SUCCESS = d('ExportMetricsPartialSuccess', { 1: 'rejected_data_points', 2: 'error_message' });
export const D_STATUS = d('google.rpc.Status', { 1: 'code', 2: 'message', 3: 'details' });
export const D_ANY = d('google.protobuf.Any', { 1: 'type_url', 2: 'value' });
export const D_RETRY_INFO = d('google.rpc.RetryInfo', { 1: 'retry_delay' });
export const D_DURATION = d('google.protobuf.Duration', { 1: 'seconds', 2: 'nanos' });

/** AnyValue nesting limit (arrays/kvlists inside AnyValue), for both codecs. */
export const MAX_ANY_VALUE_DEPTH = 64;
/** Reader depth limit: the metrics envelope plus MAX_ANY_VALUE_DEPTH levels of kvlist (3 messages each). */
export const MAX_MESSAGE_DEPTH = 16 + 3 * MAX_ANY_VALUE_DEPTH;
