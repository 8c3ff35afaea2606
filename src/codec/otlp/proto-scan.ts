/**
 * Checking an ExportMetricsServiceRequest without building it, and the lazy decode built on that (the receivers'
 * path for OTLP protobuf: on OTLP in -> OTLP out nothing needs the objects, the exporter forwards `encoded`).
 *
 * Contract
 * - `scanExportMetricsRequest(bytes)` walks the message with the same reader calls, message descriptors and oneof
 *   rules as proto-decode*.ts, so it throws ProtoDecodeError for every input `decodeExportMetricsRequest` throws
 *   for. It returns the number of data points and ResourceMetrics the decoder would produce, and `suspect` = true
 *   when a point MAY be one the receiver rejects (src/receivers/otlp/validate.ts): histogram bounds NaN / not
 *   increasing / bucket_counts length, exponential histogram scale / zero_threshold / counts, summary quantiles or
 *   count. It must flag at least everything validate.ts rejects (it may flag more). Counts read from the wire as
 *   fixed64/uint64 are always non-negative integers, so they need no check here.
 * - Strings are checked by decoding them (per metric, not per point); attributes through `checkKeyValue` (a cache hit
 *   costs one hash and compare, no allocation); exemplars, entity refs, exponential histogram and summary points
 *   are decoded by the real decoders and dropped.
 * - `decodeExportMetricsRequestLazy(bytes)`: when the scan passes and nothing is suspect, a lazy MetricsData
 *   (src/model/lazy.ts) that decodes `bytes` on first use; otherwise the eager decode (which throws the decoder's
 *   own ProtoDecodeError for bad bytes). Either way the caller sets `encoded` and validates as before (a lazy one
 *   needs no validation: nothing in it is suspect). `bytes` must not change afterwards.
 */
import { ProtoDecodeError, ProtoReader } from '../protobuf/index.ts';
import { lazyMetricsData } from '../../model/lazy.ts';
import type { MetricsData, ResourceMetrics } from '../../model/types.ts';
import {
  D_EXP_HISTOGRAM,
  D_GAUGE,
  D_HISTOGRAM,
  D_HISTOGRAM_POINT,
  D_METRIC,
  D_METRICS_DATA,
  D_NUMBER_POINT,
  D_RESOURCE,
  D_RESOURCE_METRICS,
  D_SCOPE,
  D_SCOPE_METRICS,
  D_SUM,
  D_SUMMARY,
  MAX_MESSAGE_DEPTH,
} from './descs.ts';
import { checkKeyValue, decodeEntityRef, decodeExemplar } from './proto-decode-common.ts';
import { decodeExpHistogramPoint, decodeSummaryPoint } from './proto-decode-points.ts';
import { decodeExportMetricsRequest } from './proto-decode.ts';

export interface ScanResult {
  points: number;
  resources: number;
  suspect: boolean;
}

const TYPE_NONE = 0;
const TYPE_GAUGE = 1;
const TYPE_SUM = 2;
const TYPE_HISTOGRAM = 3;
const TYPE_EXP_HISTOGRAM = 4;
const TYPE_SUMMARY = 5;

export function scanExportMetricsRequest(bytes: Uint8Array): ScanResult {
  const r = new ProtoReader(bytes, D_METRICS_DATA, MAX_MESSAGE_DEPTH);
  const s: ScanResult = { points: 0, resources: 0, suspect: false };
  while (r.pos < r.limit) {
    if (r.tag() === 0x0a) {
      scanResourceMetrics(r, s);
      s.resources++;
    } else r.skipUnknown();
  }
  return s;
}

const decodeList = (bytes: Uint8Array): ResourceMetrics[] => decodeExportMetricsRequest(bytes).resourceMetrics;

export function decodeExportMetricsRequestLazy(bytes: Uint8Array): MetricsData {
  let scan: ScanResult;
  try {
    scan = scanExportMetricsRequest(bytes);
  } catch (err) {
    if (!(err instanceof ProtoDecodeError)) throw err;
    return decodeExportMetricsRequest(bytes); // the decoder's own error (or its result, were the scan stricter)
  }
  if (scan.suspect || scan.resources === 0) return decodeExportMetricsRequest(bytes);
  return lazyMetricsData(bytes, scan.points, scan.resources, decodeList);
}

function scanResourceMetrics(r: ProtoReader, s: ScanResult): void {
  r.enter(D_RESOURCE_METRICS);
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 resource
        scanResource(r);
        break;
      case 0x12: // 2 scope_metrics
        scanScopeMetrics(r, s);
        break;
      case 0x1a: // 3 schema_url
        r.string();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
}

function scanResource(r: ProtoReader): void {
  r.enter(D_RESOURCE);
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 attributes
        checkKeyValue(r);
        break;
      case 0x10: // 2 dropped_attributes_count
        r.uint32();
        break;
      case 0x1a: // 3 entity_refs
        decodeEntityRef(r);
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
}

function scanScopeMetrics(r: ProtoReader, s: ScanResult): void {
  r.enter(D_SCOPE_METRICS);
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 scope
        scanScope(r);
        break;
      case 0x12: // 2 metrics
        s.points += scanMetric(r, s);
        break;
      case 0x1a: // 3 schema_url
        r.string();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
}

function scanScope(r: ProtoReader): void {
  r.enter(D_SCOPE);
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 name
      case 0x12: // 2 version
        r.string();
        break;
      case 0x1a: // 3 attributes
        checkKeyValue(r);
        break;
      case 0x20: // 4 dropped_attributes_count
        r.uint32();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
}

/** Returns the metric's data points as the decoder counts them (oneof: a different data field starts over). */
function scanMetric(r: ProtoReader, s: ScanResult): number {
  r.enter(D_METRIC);
  let type = TYPE_NONE;
  let points = 0;
  while (r.pos < r.limit) {
    const t = r.tag();
    let dt = TYPE_NONE;
    switch (t) {
      case 0x0a: // 1 name
      case 0x12: // 2 description
      case 0x1a: // 3 unit
        r.string();
        break;
      case 0x2a: // 5 gauge
        dt = TYPE_GAUGE;
        break;
      case 0x3a: // 7 sum
        dt = TYPE_SUM;
        break;
      case 0x4a: // 9 histogram
        dt = TYPE_HISTOGRAM;
        break;
      case 0x52: // 10 exponential_histogram
        dt = TYPE_EXP_HISTOGRAM;
        break;
      case 0x5a: // 11 summary
        dt = TYPE_SUMMARY;
        break;
      case 0x62: // 12 metadata
        checkKeyValue(r);
        break;
      default:
        r.skipUnknown();
    }
    if (dt !== TYPE_NONE) {
      if (dt !== type) {
        type = dt;
        points = 0;
      }
      points += scanData(r, s, dt);
    }
  }
  r.leave();
  return points;
}

function scanData(r: ProtoReader, s: ScanResult, type: number): number {
  switch (type) {
    case TYPE_GAUGE:
      r.enter(D_GAUGE);
      break;
    case TYPE_SUM:
      r.enter(D_SUM);
      break;
    case TYPE_HISTOGRAM:
      r.enter(D_HISTOGRAM);
      break;
    case TYPE_EXP_HISTOGRAM:
      r.enter(D_EXP_HISTOGRAM);
      break;
    default:
      r.enter(D_SUMMARY);
  }
  let n = 0;
  while (r.pos < r.limit) {
    const t = r.tag();
    if (t === 0x0a) {
      // 1 data_points
      n++;
      switch (type) {
        case TYPE_GAUGE:
        case TYPE_SUM:
          scanNumberPoint(r);
          break;
        case TYPE_HISTOGRAM:
          if (!scanHistogramPoint(r)) s.suspect = true;
          break;
        case TYPE_EXP_HISTOGRAM: {
          const p = decodeExpHistogramPoint(r);
          const ok =
            Number.isInteger(p.scale) && p.scale >= -10 && p.scale <= 20 && isCount(p.count) && isCount(p.zeroCount) && p.zeroThreshold >= 0 &&
            allCounts(p.positive.bucketCounts) && allCounts(p.negative.bucketCounts);
          if (!ok) s.suspect = true;
          break;
        }
        default: {
          const p = decodeSummaryPoint(r);
          let ok = isCount(p.count);
          for (const q of p.quantileValues) if (!(q.quantile >= 0 && q.quantile <= 1)) ok = false;
          if (!ok) s.suspect = true;
        }
      }
    } else if (t === 0x10 && type !== TYPE_GAUGE && type !== TYPE_SUMMARY) {
      r.int32(); // 2 aggregation_temporality
    } else if (t === 0x18 && type === TYPE_SUM) {
      r.bool(); // 3 is_monotonic
    } else r.skipUnknown();
  }
  r.leave();
  return n;
}

const isCount = (n: number): boolean => Number.isInteger(n) && n >= 0;

function allCounts(a: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (!isCount(a[i]!)) return false;
  return true;
}

function scanNumberPoint(r: ProtoReader): void {
  r.enter(D_NUMBER_POINT);
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x11: // 2 start_time_unix_nano (fixed64: the same 8-byte check, no bigint)
      case 0x19: // 3 time_unix_nano
      case 0x31: // 6 as_int (sfixed64)
        r.fixed64Number();
        break;
      case 0x21: // 4 as_double
        r.double();
        break;
      case 0x2a: // 5 exemplars
        decodeExemplar(r);
        break;
      case 0x3a: // 7 attributes
        checkKeyValue(r);
        break;
      case 0x40: // 8 flags
        r.uint32();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
}

/** Checks a HistogramDataPoint; false when validate.ts may reject it (bounds or bucket_counts length). */
function scanHistogramPoint(r: ProtoReader): boolean {
  r.enter(D_HISTOGRAM_POINT);
  let buckets = 0;
  let bounds = 0;
  let prev = 0;
  let ok = true;
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x11: // 2 start_time_unix_nano
      case 0x19: // 3 time_unix_nano
      case 0x21: // 4 count
        r.fixed64Number();
        break;
      case 0x29: // 5 sum
      case 0x59: // 11 min
      case 0x61: // 12 max
        r.double();
        break;
      case 0x32: // 6 bucket_counts (packed)
      case 0x31: // 6 bucket_counts (unpacked)
        buckets += countPackedFixed64(r);
        break;
      case 0x3a: // 7 explicit_bounds (packed)
      case 0x39: {
        // 7 explicit_bounds (unpacked)
        if (r.wireType === 1) {
          const v = r.double();
          if (Number.isNaN(v) || (bounds > 0 && !(v > prev))) ok = false;
          prev = v;
          bounds++;
          break;
        }
        r.expect(2);
        const end = r.lengthEnd();
        if ((end - r.pos) % 8 !== 0) throw r.error('packed doubles length is not a multiple of 8');
        const view = r.view;
        for (let p = r.pos; p < end; p += 8) {
          const v = view.getFloat64(p, true);
          if (Number.isNaN(v) || (bounds > 0 && !(v > prev))) ok = false;
          prev = v;
          bounds++;
        }
        r.pos = end;
        break;
      }
      case 0x42: // 8 exemplars
        decodeExemplar(r);
        break;
      case 0x4a: // 9 attributes
        checkKeyValue(r);
        break;
      case 0x50: // 10 flags
        r.uint32();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  return ok && (buckets === 0 || buckets === bounds + 1);
}

/** Number of elements in one occurrence of a repeated fixed64 field, with readPackedFixed64Numbers' checks. */
function countPackedFixed64(r: ProtoReader): number {
  if (r.wireType === 1) {
    r.fixed64Number();
    return 1;
  }
  r.expect(2);
  const end = r.lengthEnd();
  if ((end - r.pos) % 8 !== 0) throw r.error('packed fixed64 length is not a multiple of 8');
  const n = (end - r.pos) / 8;
  r.pos = end;
  return n;
}
