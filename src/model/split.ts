/**
 * Splitting and merging batches by data points, for the batch processor and size-limited exporters.
 * `splitByPoints(md, n)` moves up to n points into a new MetricsData and leaves the rest in `md` (mutated):
 * resources, scopes and metrics are copied shallowly as needed; points are moved, never copied.
 */
import type { DataPoint, Metric, MetricsData, ResourceMetrics, ScopeMetrics } from './types.ts';

export function splitByPoints(md: MetricsData, n: number): MetricsData {
  const out: MetricsData = { resourceMetrics: [] };
  let left = n;
  while (left > 0 && md.resourceMetrics.length > 0) {
    const rm = md.resourceMetrics[0]!;
    const orm: ResourceMetrics = { resource: rm.resource, scopeMetrics: [], schemaUrl: rm.schemaUrl };
    out.resourceMetrics.push(orm);
    while (left > 0 && rm.scopeMetrics.length > 0) {
      const sm = rm.scopeMetrics[0]!;
      const osm: ScopeMetrics = { scope: sm.scope, metrics: [], schemaUrl: sm.schemaUrl };
      orm.scopeMetrics.push(osm);
      while (left > 0 && sm.metrics.length > 0) {
        const m = sm.metrics[0]!;
        if (m.points.length <= left) {
          osm.metrics.push(m);
          left -= m.points.length;
          sm.metrics.shift();
          if (m.points.length === 0) left = Math.max(0, left); // empty metrics travel with the batch
        } else {
          const moved = (m.points as DataPoint[]).splice(0, left);
          osm.metrics.push({ ...m, points: moved } as Metric);
          left = 0;
        }
      }
      if (sm.metrics.length === 0) rm.scopeMetrics.shift();
    }
    if (rm.scopeMetrics.length === 0) md.resourceMetrics.shift();
  }
  return out;
}

/** Appends `src`'s resource metrics to `dst` (ownership of src moves to dst). */
export function appendMetrics(dst: MetricsData, src: MetricsData): void {
  for (const rm of src.resourceMetrics) dst.resourceMetrics.push(rm);
}
