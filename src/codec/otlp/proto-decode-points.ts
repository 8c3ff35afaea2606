/**
 * Binary decoding of the four OTLP data point messages (Number, Histogram, ExponentialHistogram, Summary).
 *
 * Contract: each function takes a reader positioned right after the point's tag, consumes the message and returns a
 * fresh model point (fields in their model defaults when absent: optional sum/min/max `undefined`; a number point
 * without a value gets `value: 0, valueAbsent: true`). Repeated scalars are accepted packed and unpacked. Errors are ProtoDecodeError.
 */
import {
  readPackedDoubles,
  readPackedFixed64Numbers,
  readPackedVarintNumbers,
  type ProtoReader,
} from '../protobuf/index.ts';
import type {
  Buckets,
  Exemplar,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  KeyValue,
  NumberDataPoint,
  SummaryDataPoint,
  ValueAtQuantile,
} from '../../model/types.ts';
import { D_BUCKETS, D_EXP_HISTOGRAM_POINT, D_HISTOGRAM_POINT, D_NUMBER_POINT, D_QUANTILE, D_SUMMARY_POINT } from './descs.ts';
import { decodeExemplar, decodeKeyValue } from './proto-decode-common.ts';

export function decodeNumberPoint(r: ProtoReader): NumberDataPoint {
  r.enter(D_NUMBER_POINT);
  const attributes: KeyValue[] = [];
  const exemplars: Exemplar[] = [];
  let start = 0n;
  let time = 0n;
  let value: number | bigint | undefined;
  let flags = 0;
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x11: // 2 start_time_unix_nano
        start = r.fixed64();
        break;
      case 0x19: // 3 time_unix_nano
        time = r.fixed64();
        break;
      case 0x21: // 4 as_double
        value = r.double();
        break;
      case 0x2a: // 5 exemplars
        exemplars.push(decodeExemplar(r));
        break;
      case 0x31: // 6 as_int
        value = r.sfixed64();
        break;
      case 0x3a: // 7 attributes
        attributes.push(decodeKeyValue(r, 0));
        break;
      case 0x40: // 8 flags
        flags = r.uint32();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  if (value !== undefined) return { attributes, startTimeUnixNano: start, timeUnixNano: time, flags, value, exemplars };
  // Neither as_double nor as_int: "no value" (the Collector's Empty), not 0.
  return { attributes, startTimeUnixNano: start, timeUnixNano: time, flags, value: 0, exemplars, valueAbsent: true };
}

export function decodeHistogramPoint(r: ProtoReader): HistogramDataPoint {
  r.enter(D_HISTOGRAM_POINT);
  const attributes: KeyValue[] = [];
  const exemplars: Exemplar[] = [];
  const bucketCounts: number[] = [];
  const explicitBounds: number[] = [];
  let start = 0n;
  let time = 0n;
  let count = 0;
  let sum: number | undefined;
  let min: number | undefined;
  let max: number | undefined;
  let flags = 0;
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x11: // 2 start_time_unix_nano
        start = r.fixed64();
        break;
      case 0x19: // 3 time_unix_nano
        time = r.fixed64();
        break;
      case 0x21: // 4 count
        count = r.fixed64Number();
        break;
      case 0x29: // 5 sum
        sum = r.double();
        break;
      case 0x32: // 6 bucket_counts (packed)
      case 0x31: // 6 bucket_counts (unpacked)
        readPackedFixed64Numbers(r, bucketCounts);
        break;
      case 0x3a: // 7 explicit_bounds (packed)
      case 0x39: // 7 explicit_bounds (unpacked)
        readPackedDoubles(r, explicitBounds);
        break;
      case 0x42: // 8 exemplars
        exemplars.push(decodeExemplar(r));
        break;
      case 0x4a: // 9 attributes
        attributes.push(decodeKeyValue(r, 0));
        break;
      case 0x50: // 10 flags
        flags = r.uint32();
        break;
      case 0x59: // 11 min
        min = r.double();
        break;
      case 0x61: // 12 max
        max = r.double();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  return {
    attributes,
    startTimeUnixNano: start,
    timeUnixNano: time,
    flags,
    count,
    sum,
    bucketCounts,
    explicitBounds,
    exemplars,
    min,
    max,
  };
}

function decodeBuckets(r: ProtoReader, b: Buckets): void {
  r.enter(D_BUCKETS);
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x08: // 1 offset (sint32)
        b.offset = r.sint32();
        break;
      case 0x12: // 2 bucket_counts (packed)
      case 0x10: // 2 bucket_counts (unpacked)
        readPackedVarintNumbers(r, b.bucketCounts);
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
}

export function decodeExpHistogramPoint(r: ProtoReader): ExponentialHistogramDataPoint {
  r.enter(D_EXP_HISTOGRAM_POINT);
  const attributes: KeyValue[] = [];
  const exemplars: Exemplar[] = [];
  const positive: Buckets = { offset: 0, bucketCounts: [] };
  const negative: Buckets = { offset: 0, bucketCounts: [] };
  let start = 0n;
  let time = 0n;
  let count = 0;
  let sum: number | undefined;
  let scale = 0;
  let zeroCount = 0;
  let flags = 0;
  let min: number | undefined;
  let max: number | undefined;
  let zeroThreshold = 0;
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x0a: // 1 attributes
        attributes.push(decodeKeyValue(r, 0));
        break;
      case 0x11: // 2 start_time_unix_nano
        start = r.fixed64();
        break;
      case 0x19: // 3 time_unix_nano
        time = r.fixed64();
        break;
      case 0x21: // 4 count
        count = r.fixed64Number();
        break;
      case 0x29: // 5 sum
        sum = r.double();
        break;
      case 0x30: // 6 scale (sint32)
        scale = r.sint32();
        break;
      case 0x39: // 7 zero_count
        zeroCount = r.fixed64Number();
        break;
      case 0x42: // 8 positive
        decodeBuckets(r, positive);
        break;
      case 0x4a: // 9 negative
        decodeBuckets(r, negative);
        break;
      case 0x50: // 10 flags
        flags = r.uint32();
        break;
      case 0x5a: // 11 exemplars
        exemplars.push(decodeExemplar(r));
        break;
      case 0x61: // 12 min
        min = r.double();
        break;
      case 0x69: // 13 max
        max = r.double();
        break;
      case 0x71: // 14 zero_threshold
        zeroThreshold = r.double();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  return {
    attributes,
    startTimeUnixNano: start,
    timeUnixNano: time,
    flags,
    count,
    sum,
    scale,
    zeroCount,
    positive,
    negative,
    exemplars,
    min,
    max,
    zeroThreshold,
  };
}

export function decodeSummaryPoint(r: ProtoReader): SummaryDataPoint {
  r.enter(D_SUMMARY_POINT);
  const attributes: KeyValue[] = [];
  const quantileValues: ValueAtQuantile[] = [];
  let start = 0n;
  let time = 0n;
  let count = 0;
  let sum = 0;
  let flags = 0;
  while (r.pos < r.limit) {
    switch (r.tag()) {
      case 0x11: // 2 start_time_unix_nano
        start = r.fixed64();
        break;
      case 0x19: // 3 time_unix_nano
        time = r.fixed64();
        break;
      case 0x21: // 4 count
        count = r.fixed64Number();
        break;
      case 0x29: // 5 sum
        sum = r.double();
        break;
      case 0x32: {
        // 6 quantile_values
        r.enter(D_QUANTILE);
        let quantile = 0;
        let value = 0;
        while (r.pos < r.limit) {
          const t = r.tag();
          if (t === 0x09) quantile = r.double();
          else if (t === 0x11) value = r.double();
          else r.skipUnknown();
        }
        r.leave();
        quantileValues.push({ quantile, value });
        break;
      }
      case 0x3a: // 7 attributes
        attributes.push(decodeKeyValue(r, 0));
        break;
      case 0x40: // 8 flags
        flags = r.uint32();
        break;
      default:
        r.skipUnknown();
    }
  }
  r.leave();
  return { attributes, startTimeUnixNano: start, timeUnixNano: time, flags, count, sum, quantileValues };
}
