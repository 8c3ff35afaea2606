/**
 * Which received data points are invalid, and removing them (the receiver then answers `partial_success`).
 *
 * A point is invalid when a downstream consumer could not use it without guessing:
 * - histogram: `bucket_counts` present with a length other than `explicit_bounds.length + 1`; `explicit_bounds` not
 *   strictly increasing or containing NaN; `count` or a bucket count that is not a finite non-negative integer;
 * - exponential histogram: `scale` outside [-10, 20]; `count`, `zero_count` or a bucket count that is not a finite
 *   non-negative integer; `zero_threshold` negative or NaN;
 * - summary: `count` not a finite non-negative integer; a quantile outside [0, 1] or NaN; a NaN or negative
 *   quantile value is allowed (NaN is a valid Prometheus sample), a negative `count` is not.
 * Gauges and sums are never invalid (NaN and ±Inf are legal sample values; flags carry staleness).
 *
 * Contract: `dropInvalidPoints(md)` removes invalid points in place (the receiver owns `md`), drops metrics that had
 * points and lost them all, and returns how many were removed plus up to MAX_REASONS human-readable reasons naming
 * the metric. Valid data is untouched (same objects, same order).
 */
import type { ExponentialHistogramDataPoint, HistogramDataPoint, Metric, MetricsData, SummaryDataPoint } from '../../model/types.ts';

export interface Rejection {
  rejected: number;
  reasons: string[];
}

const MAX_REASONS = 3;

const isCount = (n: number): boolean => Number.isInteger(n) && n >= 0;

function allCounts(a: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (!isCount(a[i]!)) return false;
  return true;
}

export function histogramProblem(p: HistogramDataPoint): string | undefined {
  if (!isCount(p.count)) return `count ${p.count} is not a non-negative integer`;
  const b = p.explicitBounds;
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(b[i]!)) return `explicit_bounds[${i}] is NaN`;
    if (i > 0 && !(b[i]! > b[i - 1]!)) return `explicit_bounds are not strictly increasing at index ${i}`;
  }
  if (p.bucketCounts.length !== 0 && p.bucketCounts.length !== b.length + 1) {
    return `bucket_counts has ${p.bucketCounts.length} entries, expected ${b.length + 1} (explicit_bounds + 1)`;
  }
  if (!allCounts(p.bucketCounts)) return 'a bucket count is not a non-negative integer';
  return undefined;
}

export function expHistogramProblem(p: ExponentialHistogramDataPoint): string | undefined {
  if (!Number.isInteger(p.scale) || p.scale < -10 || p.scale > 20) return `scale ${p.scale} is outside [-10, 20]`;
  if (!isCount(p.count)) return `count ${p.count} is not a non-negative integer`;
  if (!isCount(p.zeroCount)) return `zero_count ${p.zeroCount} is not a non-negative integer`;
  if (!(p.zeroThreshold >= 0)) return `zero_threshold ${p.zeroThreshold} is negative or NaN`;
  if (!allCounts(p.positive.bucketCounts) || !allCounts(p.negative.bucketCounts)) return 'a bucket count is not a non-negative integer';
  return undefined;
}

export function summaryProblem(p: SummaryDataPoint): string | undefined {
  if (!isCount(p.count)) return `count ${p.count} is not a non-negative integer`;
  for (const q of p.quantileValues) {
    if (!(q.quantile >= 0 && q.quantile <= 1)) return `quantile ${q.quantile} is outside [0, 1]`;
  }
  return undefined;
}

function problemOf(m: Metric, p: unknown): string | undefined {
  switch (m.type) {
    case 'histogram':
      return histogramProblem(p as HistogramDataPoint);
    case 'exponential_histogram':
      return expHistogramProblem(p as ExponentialHistogramDataPoint);
    case 'summary':
      return summaryProblem(p as SummaryDataPoint);
    default:
      return undefined;
  }
}

export function dropInvalidPoints(md: MetricsData): Rejection {
  let rejected = 0;
  const reasons: string[] = [];
  for (const rm of md.resourceMetrics) {
    for (const sm of rm.scopeMetrics) {
      let emptied: Set<Metric> | undefined;
      for (const m of sm.metrics) {
        if (m.type === 'gauge' || m.type === 'sum' || m.type === 'empty' || m.points.length === 0) continue;
        const pts = m.points as unknown[];
        let w = 0;
        for (let i = 0; i < pts.length; i++) {
          const problem = problemOf(m, pts[i]);
          if (problem === undefined) {
            pts[w++] = pts[i];
            continue;
          }
          rejected++;
          if (reasons.length < MAX_REASONS) reasons.push(`metric "${m.name}" (${m.type}) point ${i}: ${problem}`);
        }
        if (w !== pts.length) {
          pts.length = w;
          if (w === 0) (emptied ??= new Set()).add(m);
        }
      }
      // Metrics that arrived without points are kept (round trips stay equal); those emptied here go.
      if (emptied !== undefined) sm.metrics = sm.metrics.filter((m) => !emptied.has(m));
    }
  }
  return { rejected, reasons };
}

export function rejectionMessage(r: Rejection): string {
  const more = r.rejected > r.reasons.length ? `; and ${r.rejected - r.reasons.length} more` : '';
  return `${r.rejected} invalid data point${r.rejected === 1 ? '' : 's'} rejected: ${r.reasons.join('; ')}${more}`;
}
