/** Shared test inputs: a translated batch covering every sample kind, and protobufjs schemas written from the specs. */
import protobuf from 'protobufjs';
import type { MetricsData } from '../../src/model/types.ts';
import { FLAG_NO_RECORDED_VALUE } from '../../src/model/types.ts';

const SEC = 1_000_000_000n;
const T = 1_700_000_000_000n * 1_000_000n; // 2023-11-14T22:13:20Z in ns

const ex = (value: number, trace: number) => ({
  filteredAttributes: [{ key: 'user', value: 'u' }],
  timeUnixNano: T - SEC,
  value,
  traceId: new Uint8Array(16).fill(trace),
  spanId: new Uint8Array(8).fill(7),
});

/** gauge, counter (+exemplar, start time), histogram (+exemplar), summary, stale gauge, unicode values. */
export function sampleBatch(): MetricsData {
  const pt = <E extends object>(attrs: Record<string, string>, extra: E) => ({
    attributes: Object.entries(attrs).map(([key, value]) => ({ key, value })),
    startTimeUnixNano: T - 60n * SEC,
    timeUnixNano: T,
    flags: 0,
    ...extra,
  });
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: 'api' },
            { key: 'service.instance.id', value: 'pod-1' },
            { key: 'host.name', value: 'h1' },
          ],
          droppedAttributesCount: 0,
        },
        schemaUrl: '',
        scopeMetrics: [
          {
            scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            metrics: [
              { type: 'gauge', name: 'temp', description: 'Temperature', unit: 'Cel', metadata: [], points: [pt({ room: 'küche 🚀' }, { value: 21.5, exemplars: [] }), pt({ room: 'attic' }, { value: 0, flags: FLAG_NO_RECORDED_VALUE, exemplars: [] })] },
              { type: 'sum', temporality: 2, isMonotonic: true, name: 'http.requests', description: 'Requests', unit: '', metadata: [], points: [pt({ method: 'GET' }, { value: 1234n, exemplars: [ex(1, 0xaa)] })] },
              { type: 'histogram', temporality: 2, name: 'latency', description: 'Latency', unit: 's', metadata: [], points: [pt({}, { count: 6, sum: 1.5, bucketCounts: [1, 2, 3], explicitBounds: [0.1, 1], exemplars: [ex(0.5, 0xbb)], min: undefined, max: undefined })] },
              { type: 'summary', name: 'rpc', description: '', unit: 'ms', metadata: [], points: [pt({}, { count: 3, sum: 9, quantileValues: [{ quantile: 0.5, value: 2 }, { quantile: 0.9, value: 4 }] })] },
            ],
          },
        ],
      },
    ],
  };
}

/** prompb (remote.proto + types.proto), RW 1.0 subset, written from the upstream field numbers. */
export const rw1Root = protobuf.parse(`
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2; repeated MetricMetadata metadata = 3; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
message MetricMetadata {
  enum MetricType { UNKNOWN = 0; COUNTER = 1; GAUGE = 2; HISTOGRAM = 3; GAUGEHISTOGRAM = 4; SUMMARY = 5; INFO = 6; STATESET = 7; }
  MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5;
}
`).root;

/**
 * io.prometheus.write.v2 (types.proto) without native histograms. NB: protobufjs 7 resolves proto3's
 * packed-by-default only after `resolveAll()` (done below); unresolved it encodes repeated scalars unpacked.
 */
export const rw2Root = protobuf.parse(`
syntax = "proto3";
package io.prometheus.write.v2;
message Request { reserved 1 to 3; repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
message TimeSeries {
  repeated uint32 labels_refs = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 4;
  Metadata metadata = 5; int64 created_timestamp = 6;
}
message Exemplar { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
message Sample { double value = 1; int64 timestamp = 2; }
message Metadata {
  enum MetricType { METRIC_TYPE_UNSPECIFIED = 0; METRIC_TYPE_COUNTER = 1; METRIC_TYPE_GAUGE = 2; METRIC_TYPE_HISTOGRAM = 3;
    METRIC_TYPE_GAUGEHISTOGRAM = 4; METRIC_TYPE_SUMMARY = 5; METRIC_TYPE_INFO = 6; METRIC_TYPE_STATESET = 7; }
  MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4;
}
`).root;

rw1Root.resolveAll();
rw2Root.resolveAll();

export const toObjectOptions = { longs: Number, enums: Number, defaults: true, arrays: true } as const;
