/**
 * Per-stream accumulation for `deltatocumulative`: state types, "add a delta", and "write the running total into
 * the point". Pure functions over plain objects; the processor (processor.ts) owns the streams.
 *
 * Contract
 * - Sums: int deltas accumulate as int64 (bigint) while every delta is an int; a double delta turns the total into
 *   a double.
 * - Explicit histograms: count, bucket counts and sum add; min/max are the min/max of both when both are known,
 *   otherwise unknown; a delta with different bounds restarts the stream from that delta (as the contrib processor:
 *   there is no way to merge), which the caller counts.
 * - Exponential histograms: both sides are brought to the smaller scale (bucket index i at scale s becomes
 *   i >> (s - s') at scale s'), offsets are aligned, counts add; when a side would exceed MAX_EXP_BUCKETS buckets the
 *   scale is lowered further (the SDK default maximum, so the state never grows without bound). Zero counts add and
 *   the larger zero threshold is kept (buckets below it are not moved; documented loss).
 * - `writeX(state, point)` copies the totals into the point (fresh arrays: the state keeps its own).
 */
import type { Buckets, ExponentialHistogramDataPoint, HistogramDataPoint, NumberDataPoint } from '../../model/types.ts';

export const MAX_EXP_BUCKETS = 160;

interface Base {
  start: bigint;
  last: bigint;
  /** Wall-clock ms of the last update (staleness). */
  seen: number;
}
export interface SumState extends Base {
  kind: 'sum';
  value: number | bigint;
}
export interface HistState extends Base {
  kind: 'histogram';
  count: number;
  sum: number | undefined;
  min: number | undefined;
  max: number | undefined;
  bounds: number[];
  buckets: number[];
}
export interface ExpState extends Base {
  kind: 'exponential_histogram';
  count: number;
  sum: number | undefined;
  min: number | undefined;
  max: number | undefined;
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: Buckets;
  negative: Buckets;
}
export type StreamState = SumState | HistState | ExpState;

const minOf = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : Math.min(a, b));
const maxOf = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : Math.max(a, b));
const sumOf = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a + b);

export function newSum(p: NumberDataPoint, now: number): SumState {
  return { kind: 'sum', start: p.startTimeUnixNano, last: p.timeUnixNano, seen: now, value: p.value };
}

export function addSum(s: SumState, p: NumberDataPoint): void {
  const a = s.value;
  const b = p.value;
  s.value = typeof a === 'bigint' && typeof b === 'bigint' ? BigInt.asIntN(64, a + b) : Number(a) + Number(b);
}

export function writeSum(s: SumState, p: NumberDataPoint): void {
  p.value = s.value;
  p.startTimeUnixNano = s.start;
}

export function newHist(p: HistogramDataPoint, now: number): HistState {
  return { kind: 'histogram', start: p.startTimeUnixNano, last: p.timeUnixNano, seen: now, count: p.count, sum: p.sum, min: p.min, max: p.max, bounds: p.explicitBounds.slice(), buckets: p.bucketCounts.slice() };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Adds a delta; returns false when the bounds differ and the state was restarted from `p`. */
export function addHist(s: HistState, p: HistogramDataPoint): boolean {
  if (!sameBounds(s.bounds, p.explicitBounds) || s.buckets.length !== p.bucketCounts.length) {
    Object.assign(s, newHist(p, s.seen));
    return false;
  }
  s.count += p.count;
  s.sum = sumOf(s.sum, p.sum);
  s.min = minOf(s.min, p.min);
  s.max = maxOf(s.max, p.max);
  for (let i = 0; i < s.buckets.length; i++) s.buckets[i]! += p.bucketCounts[i]!;
  return true;
}

export function writeHist(s: HistState, p: HistogramDataPoint): void {
  p.startTimeUnixNano = s.start;
  p.count = s.count;
  p.sum = s.sum;
  p.min = s.min;
  p.max = s.max;
  p.explicitBounds = s.bounds.slice();
  p.bucketCounts = s.buckets.slice();
}

export function newExp(p: ExponentialHistogramDataPoint, now: number): ExpState {
  return {
    kind: 'exponential_histogram',
    start: p.startTimeUnixNano,
    last: p.timeUnixNano,
    seen: now,
    count: p.count,
    sum: p.sum,
    min: p.min,
    max: p.max,
    scale: p.scale,
    zeroCount: p.zeroCount,
    zeroThreshold: p.zeroThreshold,
    positive: { offset: p.positive.offset, bucketCounts: p.positive.bucketCounts.slice() },
    negative: { offset: p.negative.offset, bucketCounts: p.negative.bucketCounts.slice() },
  };
}

/** Buckets at a scale lowered by `by` (index i -> i >> by), as a new object. */
export function downscale(b: Buckets, by: number): Buckets {
  const n = b.bucketCounts.length;
  if (by === 0 || n === 0) return { offset: n === 0 ? 0 : b.offset, bucketCounts: b.bucketCounts.slice() };
  const offset = b.offset >> by;
  const out: number[] = new Array(((b.offset + n - 1) >> by) - offset + 1).fill(0);
  for (let i = 0; i < n; i++) out[((b.offset + i) >> by) - offset]! += b.bucketCounts[i]!;
  return { offset, bucketCounts: out };
}

function span(b: Buckets): [number, number] | null {
  return b.bucketCounts.length === 0 ? null : [b.offset, b.offset + b.bucketCounts.length];
}

/** Scale reduction needed so that the union of `a` and `b` fits in `max` buckets. */
function extraDownscale(a: Buckets, b: Buckets, max: number): number {
  const sa = span(a);
  const sb = span(b);
  if (sa === null && sb === null) return 0;
  let lo = Math.min(sa?.[0] ?? Infinity, sb?.[0] ?? Infinity);
  let hi = Math.max(sa?.[1] ?? -Infinity, sb?.[1] ?? -Infinity) - 1;
  let by = 0;
  while (hi - lo + 1 > max) {
    lo >>= 1;
    hi >>= 1;
    by++;
  }
  return by;
}

function addBuckets(a: Buckets, b: Buckets): Buckets {
  const sa = span(a);
  const sb = span(b);
  if (sa === null) return { offset: b.offset, bucketCounts: b.bucketCounts.slice() };
  if (sb === null) return a;
  const lo = Math.min(sa[0], sb[0]);
  const hi = Math.max(sa[1], sb[1]);
  const out: number[] = new Array(hi - lo).fill(0);
  for (let i = 0; i < a.bucketCounts.length; i++) out[a.offset - lo + i]! += a.bucketCounts[i]!;
  for (let i = 0; i < b.bucketCounts.length; i++) out[b.offset - lo + i]! += b.bucketCounts[i]!;
  return { offset: lo, bucketCounts: out };
}

export function addExp(s: ExpState, p: ExponentialHistogramDataPoint): void {
  const scale = Math.min(s.scale, p.scale);
  let sp = downscale(s.positive, s.scale - scale);
  let sn = downscale(s.negative, s.scale - scale);
  let pp = downscale(p.positive, p.scale - scale);
  let pn = downscale(p.negative, p.scale - scale);
  const extra = Math.max(extraDownscale(sp, pp, MAX_EXP_BUCKETS), extraDownscale(sn, pn, MAX_EXP_BUCKETS));
  if (extra > 0) {
    sp = downscale(sp, extra);
    sn = downscale(sn, extra);
    pp = downscale(pp, extra);
    pn = downscale(pn, extra);
  }
  s.scale = scale - extra;
  s.positive = addBuckets(sp, pp);
  s.negative = addBuckets(sn, pn);
  s.count += p.count;
  s.sum = sumOf(s.sum, p.sum);
  s.min = minOf(s.min, p.min);
  s.max = maxOf(s.max, p.max);
  s.zeroCount += p.zeroCount;
  s.zeroThreshold = Math.max(s.zeroThreshold, p.zeroThreshold);
}

export function writeExp(s: ExpState, p: ExponentialHistogramDataPoint): void {
  p.startTimeUnixNano = s.start;
  p.count = s.count;
  p.sum = s.sum;
  p.min = s.min;
  p.max = s.max;
  p.scale = s.scale;
  p.zeroCount = s.zeroCount;
  p.zeroThreshold = s.zeroThreshold;
  p.positive = { offset: s.positive.offset, bucketCounts: s.positive.bucketCounts.slice() };
  p.negative = { offset: s.negative.offset, bucketCounts: s.negative.bucketCounts.slice() };
}
