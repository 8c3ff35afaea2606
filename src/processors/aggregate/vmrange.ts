/**
 * VictoriaMetrics-style histogram over plain sample values, for the `histogram_bucket` output on gauge/counter inputs
 * (what vmagent's stream aggregation does: one series per non-empty bucket with a `vmrange="<start>...<end>"` label).
 *
 * Contract (the bucket layout of VictoriaMetrics' histograms, so the outputs work with its `histogram_quantile` and
 * `prometheus_buckets`):
 * - 18 log-spaced buckets per decade from 1e-9 to 1e18 (each bound = the previous x 10^(1/18)), plus a lower bucket
 *   `0...1.000e-09` (zero and values below 1e-9) and an upper bucket `1.000e+18...+Inf`.
 * - A bucket holds (start, end]: a value equal to a bound (e.g. exactly 10) counts in the bucket it ends, as
 *   Prometheus `le` buckets.
 * - Bounds are written as Go's `%.3e` (`1.000e-09`, `1.136e+00`).
 * - Negative values and NaN are not counted (the caller counts them as ignored).
 * - Counts are cumulative: they grow for as long as the group lives (see state.ts). So does vmagent: each interval's
 *   histogram is merged into a state kept until the series goes stale, and that state is emitted (its docs'
 *   `sum(histogram_over_time(m[interval])) by (vmrange)` describes one interval's contribution).
 * - One output per NON-EMPTY bucket, as vmagent's VisitNonZeroBuckets (a bucket appears once it has a count).
 */

const E10_MIN = -9;
const E10_MAX = 18;
const PER_DECADE = 18;
export const VM_BUCKETS = (E10_MAX - E10_MIN) * PER_DECADE;
/** Index of the lower (`0...1e-9`) and upper (`1e18...+Inf`) buckets. */
export const VM_LOWER = -1;
export const VM_UPPER = VM_BUCKETS;

/** Go `%.3e`: the exponent has a sign and at least two digits. */
function goExp3(v: number): string {
  const s = v.toExponential(3);
  const i = s.indexOf('e');
  const sign = s[i + 1]!;
  const digits = s.slice(i + 2);
  return `${s.slice(0, i)}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
}

let ranges: string[] | undefined;
function initRanges(): string[] {
  const r: string[] = [];
  const mult = Math.pow(10, 1 / PER_DECADE);
  let v = 1e-9;
  let start = goExp3(v);
  for (let i = 0; i < VM_BUCKETS; i++) {
    v *= mult;
    const end = goExp3(v);
    r.push(start + '...' + end);
    start = end;
  }
  return r;
}

/** The `vmrange` label value of bucket `idx` (VM_LOWER, 0..VM_BUCKETS-1, VM_UPPER). */
export function vmrange(idx: number): string {
  if (idx === VM_LOWER) return `0...${goExp3(1e-9)}`;
  if (idx === VM_UPPER) return `${goExp3(1e18)}...+Inf`;
  ranges ??= initRanges();
  return ranges[idx]!;
}

/** The bucket of a value >= 0 (callers filter negatives and NaN). */
export function vmBucket(v: number): number {
  const f = (Math.log10(v) - E10_MIN) * PER_DECADE;
  if (f < 0) return VM_LOWER; // also 0 (log10 = -Infinity)
  if (f >= VM_BUCKETS) return VM_UPPER;
  let idx = Math.floor(f);
  if (f === idx && idx > 0) idx--; // 10^n ends the bucket below it (le semantics)
  return idx;
}
