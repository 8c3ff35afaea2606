/**
 * Deep copy of MetricsData, used by fan-out so one mutating consumer never sees another's changes.
 * Immutable leaves (strings, bigints, numbers) are shared; arrays, attribute lists and byte arrays are copied.
 * Cached Prometheus identities (`prom`) are immutable and shared.
 */
import type {
  AnyValue,
  Attributes,
  Buckets,
  DataPoint,
  Exemplar,
  Metric,
  MetricsData,
  Resource,
  ResourceMetrics,
  ScopeMetrics,
} from './types.ts';

export function cloneAnyValue(v: AnyValue): AnyValue {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return v.slice();
  if (Array.isArray(v)) return v.map(cloneAnyValue);
  return { kvlist: cloneAttributes(v.kvlist) };
}

export function cloneAttributes(attrs: Attributes): Attributes {
  const out: Attributes = new Array(attrs.length);
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i]!;
    const v = kv.value;
    out[i] = { key: kv.key, value: v === null || typeof v !== 'object' ? v : cloneAnyValue(v) };
  }
  return out;
}

function cloneExemplars(ex: Exemplar[]): Exemplar[] {
  return ex.map((e) => ({
    filteredAttributes: cloneAttributes(e.filteredAttributes),
    timeUnixNano: e.timeUnixNano,
    value: e.value,
    traceId: e.traceId.slice(),
    spanId: e.spanId.slice(),
  }));
}

function cloneBuckets(b: Buckets): Buckets {
  return { offset: b.offset, bucketCounts: b.bucketCounts.slice() };
}

function clonePoint(p: DataPoint, type: Metric['type']): DataPoint {
  switch (type) {
    case 'gauge':
    case 'sum': {
      const q = p as import('./types.ts').NumberDataPoint;
      return { ...q, attributes: cloneAttributes(q.attributes), exemplars: cloneExemplars(q.exemplars) };
    }
    case 'histogram': {
      const q = p as import('./types.ts').HistogramDataPoint;
      return {
        ...q,
        attributes: cloneAttributes(q.attributes),
        bucketCounts: q.bucketCounts.slice(),
        explicitBounds: q.explicitBounds.slice(),
        exemplars: cloneExemplars(q.exemplars),
      };
    }
    case 'exponential_histogram': {
      const q = p as import('./types.ts').ExponentialHistogramDataPoint;
      return {
        ...q,
        attributes: cloneAttributes(q.attributes),
        positive: cloneBuckets(q.positive),
        negative: cloneBuckets(q.negative),
        exemplars: cloneExemplars(q.exemplars),
      };
    }
    case 'summary': {
      const q = p as import('./types.ts').SummaryDataPoint;
      return {
        ...q,
        attributes: cloneAttributes(q.attributes),
        quantileValues: q.quantileValues.map((x) => ({ quantile: x.quantile, value: x.value })),
      };
    }
    default:
      return p;
  }
}

export function cloneMetric(m: Metric): Metric {
  const points = (m.points as DataPoint[]).map((p) => clonePoint(p, m.type));
  return { ...m, metadata: cloneAttributes(m.metadata), points } as Metric;
}

function cloneScopeMetrics(sm: ScopeMetrics): ScopeMetrics {
  return {
    scope: { ...sm.scope, attributes: cloneAttributes(sm.scope.attributes) },
    metrics: sm.metrics.map(cloneMetric),
    schemaUrl: sm.schemaUrl,
  };
}

function cloneResource(r: Resource): Resource {
  const out: Resource = { attributes: cloneAttributes(r.attributes), droppedAttributesCount: r.droppedAttributesCount };
  if (r.entityRefs !== undefined) {
    out.entityRefs = r.entityRefs.map((e) => ({ schemaUrl: e.schemaUrl, type: e.type, idKeys: e.idKeys.slice(), descriptionKeys: e.descriptionKeys.slice() }));
  }
  return out;
}

function cloneResourceMetrics(rm: ResourceMetrics): ResourceMetrics {
  return {
    resource: cloneResource(rm.resource),
    scopeMetrics: rm.scopeMetrics.map(cloneScopeMetrics),
    schemaUrl: rm.schemaUrl,
  };
}

export function cloneMetricsData(md: MetricsData): MetricsData {
  const out: MetricsData = { resourceMetrics: md.resourceMetrics.map(cloneResourceMetrics) };
  if (md.encoded !== undefined) out.encoded = md.encoded; // an equal copy is described by the same bytes
  return out;
}
