/**
 * Pre-encoded OTLP ExportMetricsServiceRequests for the load generator and the macro workloads: what an
 * instrumented service sends. One request = `sums` cumulative monotonic sum points + `histograms` explicit-bucket
 * histogram points (`bounds` bounds, so bounds+1 buckets), over 10 metrics, 4 attributes per point; the resource is
 * the client (service.name, service.instance.id). `variant` selects a distinct set of series (the http.route
 * attribute), so a client cycling over V variants holds V x (sums + histograms) series in the gateway.
 * Encoded once with the project's codec (src/codec/otlp), so the generator spends no CPU encoding.
 */
import { encodeExportMetricsRequest } from '../../src/codec/otlp/index.ts';
import type { Attributes, Metric, MetricsData } from '../../src/model/types.ts';

export interface RequestShape {
  /** Sum data points per request. */
  sums: number;
  /** Histogram data points per request. */
  histograms: number;
  /** Explicit bounds per histogram point (buckets = bounds + 1). */
  bounds: number;
}

/** 1000 points: 800 sums + 200 histograms with 10 bounds (the W2 default). */
export const DEFAULT_SHAPE: RequestShape = { sums: 800, histograms: 200, bounds: 10 };

const METRICS = 10;
const ALL_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250];

function attrs(client: number, variant: number, i: number): Attributes {
  return [
    { key: 'http.request.method', value: ['GET', 'POST', 'PUT', 'DELETE'][i % 4]! },
    { key: 'http.response.status_code', value: BigInt([200, 201, 404, 500][(i >> 2) % 4]!) },
    { key: 'http.route', value: `/api/v${variant}/items/${i >> 4}` },
    { key: 'server.address', value: `backend-${client % 10}.svc.cluster.local` },
  ];
}

/** Splits `n` points over `k` metrics as evenly as possible. */
function split(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, m) => Math.floor(n / k) + (m < n % k ? 1 : 0));
}

/**
 * The model of one request. `step` moves values and timestamps (step s = s scrape intervals of 10 s after start),
 * so successive requests for the same series carry new, monotonic values.
 */
export function buildRequest(client: number, variant: number, shape: RequestShape, step = 0, nowNs = BigInt(Date.now()) * 1_000_000n): MetricsData {
  const start = nowNs - 3_600_000_000_000n;
  const time = nowNs + BigInt(step) * 10_000_000_000n;
  const sumMetrics = shape.sums > 0 ? Math.max(1, Math.round((METRICS * shape.sums) / (shape.sums + shape.histograms))) : 0;
  const histMetrics = shape.histograms > 0 ? Math.max(1, METRICS - sumMetrics) : 0;
  const bounds = ALL_BOUNDS.slice(0, shape.bounds);
  const metrics: Metric[] = [];
  split(shape.sums, sumMetrics).forEach((n, m) => {
    metrics.push({
      name: `app.requests_${m}`,
      description: 'Requests handled.',
      unit: '{request}',
      metadata: [],
      type: 'sum',
      temporality: 2,
      isMonotonic: true,
      points: Array.from({ length: n }, (_, i) => ({
        attributes: attrs(client, variant, i),
        startTimeUnixNano: start,
        timeUnixNano: time,
        flags: 0,
        value: (i % 97) * 10 + step * ((i % 7) + 1),
        exemplars: [],
      })),
    });
  });
  split(shape.histograms, histMetrics).forEach((n, m) => {
    metrics.push({
      name: `app.request.duration_${m}`,
      description: 'Request latency.',
      unit: 's',
      metadata: [],
      type: 'histogram',
      temporality: 2,
      points: Array.from({ length: n }, (_, i) => {
        const bucketCounts = bounds.map((_, k) => ((i + k) % 5) + step).concat([step % 3]);
        const count = bucketCounts.reduce((a, b) => a + b, 0);
        return {
          attributes: attrs(client, variant, i),
          startTimeUnixNano: start,
          timeUnixNano: time,
          flags: 0,
          count,
          sum: count * 0.042,
          bucketCounts,
          explicitBounds: bounds,
          exemplars: [],
          min: undefined,
          max: undefined,
        };
      }),
    });
  });
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: `bench-app-${client}` },
            { key: 'service.instance.id', value: `instance-${client}` },
          ],
          droppedAttributesCount: 0,
        },
        scopeMetrics: [{ scope: { name: 'bench', version: '1.0.0', attributes: [], droppedAttributesCount: 0 }, metrics, schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}

/** Encoded request bytes (a Buffer, as grpc-js wants). */
export function encodeRequest(md: MetricsData): Buffer {
  const bytes = encodeExportMetricsRequest(md);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Prometheus series one request becomes: a sum 1, a histogram buckets + _sum + _count. */
export function promSeriesPerRequest(shape: RequestShape): number {
  return shape.sums + shape.histograms * (shape.bounds + 1 + 2);
}
