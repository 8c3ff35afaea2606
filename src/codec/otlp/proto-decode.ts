/**
 * Binary OTLP metrics decoding: ExportMetricsServiceRequest / MetricsData bytes -> MetricsData.
 *
 * Contract
 * - `decodeExportMetricsRequest(bytes)` reads every field of current upstream metrics.proto (v1). Removed fields
 *   (int_gauge/int_sum/int_histogram, labels, instrumentation_library_*) and unknown fields are skipped; a known
 *   field with a wrong wire type, truncation, bad lengths, invalid UTF-8 or nesting past the limits throws
 *   `ProtoDecodeError` (offset + `Message.field`). Nothing else is thrown for bad bytes.
 * - The result never aliases `bytes` and belongs to the caller. `prom` is never set.
 * - Proto semantics: absent fields take their defaults (resource/scope become empty objects, a metric without data
 *   is type 'empty', optional sum/min/max are `undefined` when absent); for a oneof the last field wins; a repeated
 *   occurrence of a singular sub-message merges into the first. Enum values outside the known set are kept as is.
 * - Counts (fixed64/uint64) become numbers: exact up to 2^53.
 */
import { ProtoReader } from '../protobuf/index.ts';
import type {
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  KeyValue,
  Metric,
  MetricsData,
  NumberDataPoint,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
  Temporality,
} from '../../model/types.ts';
import {
  D_EXP_HISTOGRAM,
  D_GAUGE,
  D_HISTOGRAM,
  D_METRIC,
  D_METRICS_DATA,
  D_RESOURCE_METRICS,
  D_SCOPE_METRICS,
  D_SUM,
  D_SUMMARY,
  MAX_MESSAGE_DEPTH,
} from './descs.ts';
import { decodeKeyValue, decodeResource, decodeScope } from './proto-decode-common.ts';
import { decodeExpHistogramPoint, decodeHistogramPoint, decodeNumberPoint, decodeSummaryPoint } from './proto-decode-points.ts';

/** Decodes an ExportMetricsServiceRequest (same layout as MetricsData). */
export function decodeExportMetricsRequest(bytes: Uint8Array): MetricsData {
  const r = new ProtoReader(bytes, D_METRICS_DATA, MAX_MESSAGE_DEPTH);
  const resourceMetrics: ResourceMetrics[] = [];
  while (r.pos < r.limit) {
    if (r.tag() === 0x0a) resourceMetrics.push(decodeResourceMetrics(r));
    else r.skipUnknown();
  }
  return { resourceMetrics };
}

function decodeResourceMetrics(r: ProtoReader): ResourceMetrics {
  r.enter(D_RESOURCE_METRICS);
  const rm: ResourceMetrics = { resource: { attributes: [], droppedAttributesCount: 0 }, scopeMetrics: [], schemaUrl: '' };
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 resource
        decodeResource(r, rm.resource);
        break;
      case 0x12: // 2 scope_metrics
        rm.scopeMetrics.push(decodeScopeMetrics(r));
        break;
      case 0x1a: // 3 schema_url
        rm.schemaUrl = r.string();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  return rm;
}

function decodeScopeMetrics(r: ProtoReader): ScopeMetrics {
  r.enter(D_SCOPE_METRICS);
  const sm: ScopeMetrics = {
    scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
    metrics: [],
    schemaUrl: '',
  };
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 scope
        decodeScope(r, sm.scope);
        break;
      case 0x12: // 2 metrics
        sm.metrics.push(decodeMetric(r));
        break;
      case 0x1a: // 3 schema_url
        sm.schemaUrl = r.string();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  return sm;
}

/** Accumulates the Metric.data oneof while decoding (one per decodeMetric call). */
interface DataAcc {
  type: Metric['type'];
  temporality: number;
  isMonotonic: boolean;
  points: unknown[];
}

function decodeMetric(r: ProtoReader): Metric {
  r.enter(D_METRIC);
  let name = '';
  let description = '';
  let unit = '';
  const metadata: KeyValue[] = [];
  const acc: DataAcc = { type: 'empty', temporality: 0, isMonotonic: false, points: [] };
  while (r.pos < r.limit) {
    const t = r.tag();
    switch (t) {
      case 0x0a: // 1 name
        name = r.string();
        break;
      case 0x12: // 2 description
        description = r.string();
        break;
      case 0x1a: // 3 unit
        unit = r.string();
        break;
      case 0x2a: // 5 gauge
        decodeData(r, acc, 'gauge');
        break;
      case 0x3a: // 7 sum
        decodeData(r, acc, 'sum');
        break;
      case 0x4a: // 9 histogram
        decodeData(r, acc, 'histogram');
        break;
      case 0x52: // 10 exponential_histogram
        decodeData(r, acc, 'exponential_histogram');
        break;
      case 0x5a: // 11 summary
        decodeData(r, acc, 'summary');
        break;
      case 0x62: // 12 metadata
        metadata.push(decodeKeyValue(r, 0));
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  const temporality = acc.temporality as Temporality;
  switch (acc.type) {
    case 'gauge':
      return { name, description, unit, metadata, type: 'gauge', points: acc.points as NumberDataPoint[] };
    case 'sum':
      return {
        name,
        description,
        unit,
        metadata,
        type: 'sum',
        temporality,
        isMonotonic: acc.isMonotonic,
        points: acc.points as NumberDataPoint[],
      };
    case 'histogram':
      return { name, description, unit, metadata, type: 'histogram', temporality, points: acc.points as HistogramDataPoint[] };
    case 'exponential_histogram':
      return {
        name,
        description,
        unit,
        metadata,
        type: 'exponential_histogram',
        temporality,
        points: acc.points as ExponentialHistogramDataPoint[],
      };
    case 'summary':
      return { name, description, unit, metadata, type: 'summary', points: acc.points as SummaryDataPoint[] };
    default:
      return { name, description, unit, metadata, type: 'empty', points: [] };
  }
}

/** Decodes one Gauge/Sum/Histogram/ExponentialHistogram/Summary message into `acc` (oneof: a new type resets). */
function decodeData(r: ProtoReader, acc: DataAcc, type: Metric['type']): void {
  if (acc.type !== type) {
    acc.type = type;
    acc.temporality = 0;
    acc.isMonotonic = false;
    acc.points = [];
  }
  const points = acc.points;
  switch (type) {
    case 'gauge':
      r.enter(D_GAUGE);
      break;
    case 'sum':
      r.enter(D_SUM);
      break;
    case 'histogram':
      r.enter(D_HISTOGRAM);
      break;
    case 'exponential_histogram':
      r.enter(D_EXP_HISTOGRAM);
      break;
    default:
      r.enter(D_SUMMARY);
  }
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x0a) {
      // 1 data_points
      switch (type) {
        case 'gauge':
        case 'sum':
          points.push(decodeNumberPoint(r));
          break;
        case 'histogram':
          points.push(decodeHistogramPoint(r));
          break;
        case 'exponential_histogram':
          points.push(decodeExpHistogramPoint(r));
          break;
        default:
          points.push(decodeSummaryPoint(r));
      }
    } else if (t === 0x10 && type !== 'gauge' && type !== 'summary') {
      acc.temporality = r.int32(); // 2 aggregation_temporality
    } else if (t === 0x18 && type === 'sum') {
      acc.isMonotonic = r.bool(); // 3 is_monotonic
    } else r.skipUnknown();
  }
  r.leave();
}
