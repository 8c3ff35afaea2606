/**
 * OTLP codec micro-benchmarks: protobuf decode/encode and JSON decode/encode of one ExportMetricsServiceRequest with
 * 1000 data points (half sums, half 10-bucket histograms; 5 attributes per point), plus a sum/gauge-only request
 * (the ">= 1M points/s" target), and the scan the receivers run instead of a decode on the OTLP pass-through path.
 * Each run returns the data points processed.
 */
import type { MicroBench } from '../harness.ts';
import {
  decodeExportMetricsRequest,
  decodeExportMetricsRequestJson,
  scanExportMetricsRequest,
  encodeExportMetricsRequest,
  encodeExportMetricsRequestJson,
} from '../../src/codec/otlp/index.ts';
import type { Attributes, Metric, MetricsData } from '../../src/model/types.ts';

const T0 = 1_700_000_000_000_000_000n;

function attrs(m: number, i: number): Attributes {
  return [
    { key: 'http.request.method', value: i % 3 === 0 ? 'GET' : 'POST' },
    { key: 'http.response.status_code', value: BigInt(200 + (i % 5)) },
    { key: 'http.route', value: `/api/v1/items/${i % 50}` },
    { key: 'server.address', value: `backend-${m}.svc.cluster.local` },
    { key: 'instance', value: `pod-${i}` },
  ];
}

/** `points` data points over 10 metrics; `histograms` makes every other metric a histogram. */
export function benchRequest(points: number, histograms: boolean): MetricsData {
  const metrics: Metric[] = [];
  const per = points / 10;
  for (let m = 0; m < 10; m++) {
    const base = { name: `app.metric_${m}`, description: 'bench metric', unit: 'ms', metadata: [] };
    if (histograms && m % 2 === 1) {
      const bounds = [5, 10, 25, 50, 75, 100, 250, 500, 1000];
      metrics.push({
        ...base,
        type: 'histogram',
        temporality: 2,
        points: Array.from({ length: per }, (_, i) => ({
          attributes: attrs(m, i),
          startTimeUnixNano: T0,
          timeUnixNano: T0 + 15_000_000_000n,
          flags: 0,
          count: 100 + i,
          sum: 1234.5 + i,
          bucketCounts: bounds.map((_, k) => k + i).concat([1]),
          explicitBounds: bounds,
          exemplars: [],
          min: 0.5,
          max: 999.5,
        })),
      });
    } else if (m % 3 === 2) {
      metrics.push({
        ...base,
        type: 'gauge',
        points: Array.from({ length: per }, (_, i) => ({
          attributes: attrs(m, i),
          startTimeUnixNano: 0n,
          timeUnixNano: T0 + BigInt(i),
          flags: 0,
          value: i * 0.75,
          exemplars: [],
        })),
      });
    } else {
      metrics.push({
        ...base,
        type: 'sum',
        temporality: 2,
        isMonotonic: true,
        points: Array.from({ length: per }, (_, i) => ({
          attributes: attrs(m, i),
          startTimeUnixNano: T0,
          timeUnixNano: T0 + 15_000_000_000n,
          flags: 0,
          value: m % 2 === 0 ? BigInt(i * 1000) : i * 1.5,
          exemplars: [],
        })),
      });
    }
  }
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'bench' }, { key: 'host.name', value: 'h1' }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeMetrics: [{ scope: { name: 'bench', version: '1.0.0', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', metrics }],
      },
    ],
  };
}

const N = 1000;

const benches: MicroBench[] = [
  {
    name: 'otlp: protobuf decode, 1000 points (sums+histograms, 5 attrs)',
    items: 'points',
    prepare() {
      const bytes = encodeExportMetricsRequest(benchRequest(N, true));
      return () => (decodeExportMetricsRequest(bytes), N);
    },
  },
  {
    name: 'otlp: protobuf scan (receiver check of a lazy decode), 1000 points (sums+histograms, 5 attrs)',
    items: 'points',
    prepare() {
      const bytes = encodeExportMetricsRequest(benchRequest(N, true));
      return () => (scanExportMetricsRequest(bytes), N);
    },
  },
  {
    name: 'otlp: protobuf encode, 1000 points (sums+histograms, 5 attrs)',
    items: 'points',
    prepare() {
      const md = benchRequest(N, true);
      return () => (encodeExportMetricsRequest(md), N);
    },
  },
  {
    name: 'otlp: protobuf decode, 1000 points (sums/gauges, 5 attrs)',
    items: 'points',
    prepare() {
      const bytes = encodeExportMetricsRequest(benchRequest(N, false));
      return () => (decodeExportMetricsRequest(bytes), N);
    },
  },
  {
    name: 'otlp: protobuf encode, 1000 points (sums/gauges, 5 attrs)',
    items: 'points',
    prepare() {
      const md = benchRequest(N, false);
      return () => (encodeExportMetricsRequest(md), N);
    },
  },
  {
    name: 'otlp: JSON decode, 1000 points (sums+histograms, 5 attrs)',
    items: 'points',
    prepare() {
      const text = encodeExportMetricsRequestJson(benchRequest(N, true));
      return () => (decodeExportMetricsRequestJson(text), N);
    },
  },
  {
    name: 'otlp: JSON encode, 1000 points (sums+histograms, 5 attrs)',
    items: 'points',
    prepare() {
      const md = benchRequest(N, true);
      return () => (encodeExportMetricsRequestJson(md), N);
    },
  },
];

export default benches;
