/**
 * OTLP exponential histogram point -> Prometheus native histogram (integer histogram), as the Collector's
 * prometheusremotewrite translator (`exponentialToNativeHistogram` / `convertBucketsLayout`) does.
 *
 * Contract
 * - `toNativeHistogram(pt, timestampMs)` returns a `NativeHistogram` or a DropReason: `unsupported_scale` when the
 *   point's scale is below -4 (the smallest native schema); `invalid_histogram` when its count is below the zero count
 *   plus the bucket counts (Prometheus rejects such a histogram, and with it the whole request). A scale above 8 is clamped to schema 8 by merging each
 *   2^(scale-8) adjacent buckets into one.
 * - Bucket index mapping: OTLP bucket `offset + i` covers (base^(k), base^(k+1)], Prometheus bucket k covers
 *   (base^(k-1), base^k], so the Prometheus index is `((offset + i) >> scaleDown) + 1`.
 * - Buckets become spans + deltas (client_golang's layout): empty buckets are not sent, except that a gap of at most
 *   2 empty buckets between two non-empty ones is filled with zeros instead of starting a new span. Deltas are the
 *   difference to the previous bucket of the same sign (the first to 0).
 * - `zeroThreshold`: the point's when > 0, else 1e-128 (the Collector's default); `zeroCount`, `count`, `sum` (0 when
 *   the point has none). `resetHint` is always 0 (UNKNOWN), as the Collector: a wrong NO would make Prometheus skip
 *   its own counter-reset detection; the start time travels as RW 2.0 `created_timestamp`.
 * - Stale (FLAG_NO_RECORDED_VALUE): the histogram Prometheus itself writes as a stale marker: `sum` = STALE_NAN,
 *   count 0, no buckets, schema 0. (`sum` is an object field, so the NaN bits survive.)
 * Pure; allocates the result's arrays (exponential histograms are not on the scrape hot path).
 */
import type { Buckets, ExponentialHistogramDataPoint } from '../../model/types.ts';
import { FLAG_NO_RECORDED_VALUE } from '../../model/types.ts';
import { STALE_NAN } from './values.ts';

export interface BucketSpan {
  /** Gap to the previous span's end, or the first bucket's index for the first span (may be negative). */
  offset: number;
  length: number;
}

export interface NativeHistogram {
  /** -4..8. */
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  count: number;
  /** STALE_NAN for a stale marker. */
  sum: number;
  positiveSpans: BucketSpan[];
  /** Delta-encoded bucket counts (first against 0). */
  positiveDeltas: number[];
  negativeSpans: BucketSpan[];
  negativeDeltas: number[];
  /** 0 UNKNOWN, 1 YES, 2 NO, 3 GAUGE. */
  resetHint: number;
  timestampMs: number;
}

export const MIN_SCHEMA = -4;
export const MAX_SCHEMA = 8;
/** The Collector's zero threshold when the point has none. */
export const DEFAULT_ZERO_THRESHOLD = 1e-128;
/** A gap of up to this many empty buckets is filled with zeros rather than starting a new span (client_golang). */
const MAX_FILLED_GAP = 2;

/** Spans and deltas of one bucket side, merging 2^scaleDown OTLP buckets into one. */
export function convertBuckets(b: Buckets, scaleDown: number): { spans: BucketSpan[]; deltas: number[]; total: number } {
  const spans: BucketSpan[] = [];
  const deltas: number[] = [];
  const counts = b.bucketCounts;
  const n = counts.length;
  let total = 0;
  let prev = 0; // previous bucket's count (delta base)
  let lastIdx = 0; // index of the last bucket written
  let i = 0;
  while (i < n) {
    // Merge the OTLP buckets that fall into Prometheus bucket `idx`.
    const idx = ((b.offset + i) >> scaleDown) + 1;
    let c = 0;
    do c += counts[i++]!;
    while (i < n && ((b.offset + i) >> scaleDown) + 1 === idx);
    if (c === 0) continue;
    total += c;
    if (spans.length === 0) spans.push({ offset: idx, length: 0 });
    else {
      const gap = idx - lastIdx - 1;
      if (gap > MAX_FILLED_GAP) spans.push({ offset: gap, length: 0 });
      else if (gap > 0) {
        deltas.push(-prev); // the first filled empty bucket; the others are 0 - 0
        for (let g = 1; g < gap; g++) deltas.push(0);
        spans[spans.length - 1]!.length += gap;
        prev = 0;
      }
    }
    deltas.push(c - prev);
    spans[spans.length - 1]!.length++;
    prev = c;
    lastIdx = idx;
  }
  return { spans, deltas, total };
}

/** The native histogram for one exponential histogram point, or the reason it cannot be one. */
export function toNativeHistogram(
  pt: ExponentialHistogramDataPoint,
  timestampMs: number,
): NativeHistogram | 'unsupported_scale' | 'invalid_histogram' {
  if ((pt.flags & FLAG_NO_RECORDED_VALUE) !== 0) {
    return {
      schema: 0,
      zeroThreshold: 0,
      zeroCount: 0,
      count: 0,
      sum: STALE_NAN,
      positiveSpans: [],
      positiveDeltas: [],
      negativeSpans: [],
      negativeDeltas: [],
      resetHint: 0,
      timestampMs,
    };
  }
  let schema = pt.scale;
  if (schema < MIN_SCHEMA) return 'unsupported_scale';
  let scaleDown = 0;
  if (schema > MAX_SCHEMA) (scaleDown = schema - MAX_SCHEMA), (schema = MAX_SCHEMA);
  const pos = convertBuckets(pt.positive, scaleDown);
  const neg = convertBuckets(pt.negative, scaleDown);
  if (pt.count < pt.zeroCount + pos.total + neg.total) return 'invalid_histogram';
  return {
    schema,
    zeroThreshold: pt.zeroThreshold > 0 ? pt.zeroThreshold : DEFAULT_ZERO_THRESHOLD,
    zeroCount: pt.zeroCount,
    count: pt.count,
    sum: pt.sum ?? 0,
    positiveSpans: pos.spans,
    positiveDeltas: pos.deltas,
    negativeSpans: neg.spans,
    negativeDeltas: neg.deltas,
    resetHint: 0,
    timestampMs,
  };
}
