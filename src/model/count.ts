/**
 * Counting helpers: the Collector counts "metric points" = data points. A lazy MetricsData (lazy.ts) not decoded yet
 * is counted from its state in O(1), without decoding it.
 */
import { lazyState } from './lazy.ts';
import type { MetricsData } from './types.ts';

export function countDataPoints(md: MetricsData): number {
  const lazy = lazyState(md);
  if (lazy !== undefined) return lazy.points;
  let n = 0;
  for (const rm of md.resourceMetrics) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) n += m.points.length;
    }
  }
  return n;
}

export function countMetrics(md: MetricsData): number {
  let n = 0;
  for (const rm of md.resourceMetrics) for (const sm of rm.scopeMetrics) n += sm.metrics.length;
  return n;
}
