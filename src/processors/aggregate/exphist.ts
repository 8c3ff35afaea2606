/**
 * Exponential histogram arithmetic for the `aggregate` processor's `histogram_bucket` output on
 * exponential_histogram inputs: per-series increases of cumulative points, and merging increases into a group's
 * cumulative histogram.
 *
 * Contract
 * - Bucket i at scale s covers (base^i, base^(i+1)] with base = 2^(2^-s); lowering the scale by d maps bucket i to
 *   i >> d (floor), which is how histograms of different scales are brought to their lowest common scale.
 * - Zero bucket: the wider zero threshold wins; buckets whose upper bound is <= that threshold are folded into the
 *   zero count (both signs).
 * - A merged histogram keeps at most MAX_EXP_BUCKETS buckets per sign (the OTel SDK default max size): wider
 *   ranges are downscaled further until they fit.
 * - count and sum add; min/max are the smallest / largest ever reported (a cumulative output's min/max cover its
 *   whole life, as the inputs' own cumulative min/max do). Points without min/max leave them unknown (±Infinity).
 * - `diffExp(cur, prev)` (both cumulative points of one series) returns cur - prev at their common scale, or
 *   undefined when any count went down (a reset: the caller then takes `cur` whole).
 * - Pure functions: inputs are never modified (results may share no arrays with them).
 */
import type { Buckets, ExponentialHistogramDataPoint } from '../../model/types.ts';

export const MAX_EXP_BUCKETS = 160;

export interface ExpBuckets {
  offset: number;
  counts: number[];
}

export interface ExpHist {
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: ExpBuckets;
  negative: ExpBuckets;
  count: number;
  sum: number;
  /** Infinity when unknown. */
  min: number;
  /** -Infinity when unknown. */
  max: number;
}

const copyBuckets = (b: Buckets | ExpBuckets): ExpBuckets => ({ offset: b.offset, counts: 'bucketCounts' in b ? b.bucketCounts.slice() : b.counts.slice() });

export function fromPoint(p: ExponentialHistogramDataPoint): ExpHist {
  return {
    scale: p.scale,
    zeroCount: p.zeroCount,
    zeroThreshold: p.zeroThreshold,
    positive: copyBuckets(p.positive),
    negative: copyBuckets(p.negative),
    count: p.count,
    sum: p.sum ?? 0,
    min: p.min ?? Infinity,
    max: p.max ?? -Infinity,
  };
}

export const emptyExp = (scale: number): ExpHist => ({ scale, zeroCount: 0, zeroThreshold: 0, positive: { offset: 0, counts: [] }, negative: { offset: 0, counts: [] }, count: 0, sum: 0, min: Infinity, max: -Infinity });

export function cloneExp(h: ExpHist): ExpHist {
  return { ...h, positive: copyBuckets(h.positive), negative: copyBuckets(h.negative) };
}

/** Buckets at a scale lower by `by` (>= 0). */
function downscale(b: ExpBuckets, by: number): ExpBuckets {
  if (by === 0 || b.counts.length === 0) return by === 0 ? b : { offset: b.offset >> by, counts: [] };
  const offset = b.offset >> by;
  const counts: number[] = [];
  for (let i = 0; i < b.counts.length; i++) {
    const j = ((b.offset + i) >> by) - offset;
    counts[j] = (counts[j] ?? 0) + b.counts[i]!;
  }
  for (let j = 0; j < counts.length; j++) counts[j] ??= 0;
  return { offset, counts };
}

/** Index of the highest bucket at `scale` that lies entirely within [0, threshold]; -Infinity when none can. */
function lastZeroIndex(threshold: number, scale: number): number {
  if (!(threshold > 0)) return -Infinity;
  // upper bound of bucket i = 2^((i+1) * 2^-scale) <= threshold  <=>  i <= log2(threshold) * 2^scale - 1
  return Math.floor(Math.log2(threshold) * Math.pow(2, scale)) - 1;
}

/** Folds the buckets under `threshold` into the zero count (returns the folded count and the rest). */
function foldZero(b: ExpBuckets, threshold: number, scale: number): { folded: number; rest: ExpBuckets } {
  const last = lastZeroIndex(threshold, scale);
  if (b.counts.length === 0 || last < b.offset) return { folded: 0, rest: b };
  let folded = 0;
  const cut = Math.min(b.counts.length, last - b.offset + 1);
  for (let i = 0; i < cut; i++) folded += b.counts[i]!;
  return { folded, rest: { offset: b.offset + cut, counts: b.counts.slice(cut) } };
}

/** a + sign*b (same scale). */
function addBuckets(a: ExpBuckets, b: ExpBuckets, sign: 1 | -1): ExpBuckets {
  if (b.counts.length === 0) return { offset: a.offset, counts: a.counts.slice() };
  if (a.counts.length === 0) return { offset: b.offset, counts: b.counts.map((c) => sign * c) };
  const lo = Math.min(a.offset, b.offset);
  const hi = Math.max(a.offset + a.counts.length, b.offset + b.counts.length);
  const counts = new Array<number>(hi - lo).fill(0);
  for (let i = 0; i < a.counts.length; i++) counts[a.offset - lo + i]! += a.counts[i]!;
  for (let i = 0; i < b.counts.length; i++) counts[b.offset - lo + i]! += sign * b.counts[i]!;
  return { offset: lo, counts };
}

/** How much lower than `scale` the union of `bs` must go to fit MAX_EXP_BUCKETS per sign. */
function fitReduction(bs: ExpBuckets[]): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const b of bs) {
    if (b.counts.length === 0) continue;
    lo = Math.min(lo, b.offset);
    hi = Math.max(hi, b.offset + b.counts.length - 1);
  }
  let d = 0;
  while (hi >= lo && (hi >> d) - (lo >> d) + 1 > MAX_EXP_BUCKETS) d++;
  return d;
}

/** Both histograms at one scale and zero threshold (the lowest scale, the widest threshold). */
function align(a: ExpHist, b: ExpHist): [ExpHist, ExpHist] {
  const scale = Math.min(a.scale, b.scale);
  const thr = Math.max(a.zeroThreshold, b.zeroThreshold);
  const one = (h: ExpHist): ExpHist => {
    let pos = downscale(h.positive, h.scale - scale);
    let neg = downscale(h.negative, h.scale - scale);
    let zero = h.zeroCount;
    if (thr > h.zeroThreshold) {
      const p = foldZero(pos, thr, scale);
      const n = foldZero(neg, thr, scale);
      pos = p.rest;
      neg = n.rest;
      zero += p.folded + n.folded;
    }
    return { ...h, scale, zeroThreshold: thr, zeroCount: zero, positive: pos, negative: neg };
  };
  return [one(a), one(b)];
}

/** agg + inc as a new histogram (lowest common scale, widest zero threshold, at most MAX_EXP_BUCKETS per sign). */
export function mergeExp(agg: ExpHist, inc: ExpHist): ExpHist {
  const [x, y] = align(agg, inc);
  let pos = addBuckets(x.positive, y.positive, 1);
  let neg = addBuckets(x.negative, y.negative, 1);
  let scale = x.scale;
  const d = Math.max(fitReduction([pos]), fitReduction([neg]));
  if (d > 0) {
    pos = downscale(pos, d);
    neg = downscale(neg, d);
    scale -= d;
  }
  return { scale, zeroCount: x.zeroCount + y.zeroCount, zeroThreshold: x.zeroThreshold, positive: pos, negative: neg, count: x.count + y.count, sum: x.sum + y.sum, min: Math.min(x.min, y.min), max: Math.max(x.max, y.max) };
}

/** cur - prev for two cumulative points of one series; undefined when a count went down (a reset). */
export function diffExp(cur: ExpHist, prev: ExpHist): ExpHist | undefined {
  if (cur.count < prev.count) return undefined;
  const [c, p] = align(cur, prev);
  const pos = addBuckets(c.positive, p.positive, -1);
  const neg = addBuckets(c.negative, p.negative, -1);
  const zero = c.zeroCount - p.zeroCount;
  if (zero < 0 || pos.counts.some((n) => n < 0) || neg.counts.some((n) => n < 0)) return undefined;
  return { scale: c.scale, zeroCount: zero, zeroThreshold: c.zeroThreshold, positive: pos, negative: neg, count: c.count - p.count, sum: c.sum - p.sum, min: cur.min, max: cur.max };
}
