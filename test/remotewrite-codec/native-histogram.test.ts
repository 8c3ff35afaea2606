/**
 * Native histograms on the wire: OTLP exponential histograms translated into the RW 1.0 and 2.0 encoders, read back
 * by our decoders and by protobufjs with the upstream Histogram/BucketSpan schema (an independent parser), and through
 * the exporter's sharded encoder.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import protobuf from 'protobufjs';
import type { ExponentialHistogramDataPoint, MetricsData } from '../../src/model/types.ts';
import { FLAG_NO_RECORDED_VALUE } from '../../src/model/types.ts';
import { compressBlock, decodeWriteRequest, decodeWriteV2Request, encodeWriteRequest, RemoteWriteV1Encoder, RemoteWriteV2Encoder, uncompressBlock } from '../../src/codec/remotewrite/index.ts';
import type { DecodedHistogram } from '../../src/codec/remotewrite/index.ts';
import { ShardedEncoder } from '../../src/exporters/prometheusremotewrite/batcher.ts';
import { v2ToV1 } from '../../src/exporters/prometheusremotewrite/fallback.ts';
import { PrometheusTranslator, toNativeHistogram } from '../../src/translate/prometheus/index.ts';
import type { NativeHistogram } from '../../src/translate/prometheus/index.ts';
import { isStaleNaN } from '../../src/translate/prometheus/values.ts';

const SEC = 1_000_000_000n;
const T = 1_700_000_000_000n * 1_000_000n;

function point(o: Partial<ExponentialHistogramDataPoint> & { route: string }): ExponentialHistogramDataPoint {
  const { route, ...rest } = o;
  return {
    attributes: [{ key: 'route', value: route }],
    startTimeUnixNano: T - 60n * SEC,
    timeUnixNano: T,
    flags: 0,
    count: 0,
    sum: undefined,
    scale: 0,
    zeroCount: 0,
    positive: { offset: 0, bucketCounts: [] },
    negative: { offset: 0, bucketCounts: [] },
    exemplars: [],
    min: undefined,
    max: undefined,
    zeroThreshold: 0,
    ...rest,
  };
}

const POINTS: ExponentialHistogramDataPoint[] = [
  point({ route: '/a', scale: 3, count: 16, sum: 42.5, zeroCount: 1, positive: { offset: -2, bucketCounts: [1, 0, 0, 0, 2, 3] }, negative: { offset: 0, bucketCounts: [4, 5] } }),
  point({ route: '/b', scale: 12, count: 2 ** 40 + 3, sum: -1.25, zeroThreshold: 0.01, positive: { offset: 100, bucketCounts: [1, 2, 3, 2 ** 40 - 3] } }),
  point({ route: '/c', flags: FLAG_NO_RECORDED_VALUE }),
];
POINTS[0]!.exemplars = [{ filteredAttributes: [], timeUnixNano: T - SEC, value: 2.5, traceId: new Uint8Array(16).fill(0xab), spanId: new Uint8Array(8).fill(1) }];

function batch(): MetricsData {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'shop' }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeMetrics: [
          {
            scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            metrics: [{ type: 'exponential_histogram', temporality: 2, name: 'rpc.latency', description: 'RPC latency', unit: 'ms', metadata: [], points: POINTS }],
          },
        ],
      },
    ],
  };
}

const TS_MS = Number(T / 1_000_000n);
const expected = (): NativeHistogram[] => POINTS.map((p) => toNativeHistogram(p, TS_MS) as NativeHistogram);

/** Our decoder's view compared to the translation (integer histogram). */
function assertSame(got: DecodedHistogram, want: NativeHistogram, what: string): void {
  assert.equal(got.isFloat, false, what);
  assert.deepEqual(
    { count: got.count, schema: got.schema, zt: got.zeroThreshold, zc: got.zeroCount, ps: got.positiveSpans, pd: got.positiveDeltas, ns: got.negativeSpans, nd: got.negativeDeltas, hint: got.resetHint, ts: got.timestamp },
    { count: want.count, schema: want.schema, zt: want.zeroThreshold, zc: want.zeroCount, ps: want.positiveSpans, pd: want.positiveDeltas, ns: want.negativeSpans, nd: want.negativeDeltas, hint: want.resetHint, ts: want.timestampMs },
    what,
  );
  if (isStaleNaN(want.sum)) assert.ok(isStaleNaN(got.sum), `${what}: stale sum keeps its bits`);
  else assert.equal(got.sum, want.sum, what);
}

const HISTOGRAM_SCHEMA = `
message Histogram {
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3; sint32 schema = 4; double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8; repeated sint64 negative_deltas = 9; repeated double negative_counts = 10;
  repeated BucketSpan positive_spans = 11; repeated sint64 positive_deltas = 12; repeated double positive_counts = 13;
  enum ResetHint { UNKNOWN = 0; YES = 1; NO = 2; GAUGE = 3; }
  ResetHint reset_hint = 14; int64 timestamp = 15;
}
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Label { string name = 1; string value = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }`;
const v1Root = protobuf.parse(`syntax = "proto3"; package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
${HISTOGRAM_SCHEMA}`).root;
v1Root.resolveAll();

interface PbHistogram {
  countInt: number;
  sum: number;
  schema: number;
  zeroThreshold: number;
  zeroCountInt: number;
  positiveSpans: { offset: number; length: number }[];
  positiveDeltas: number[];
  negativeSpans: { offset: number; length: number }[];
  negativeDeltas: number[];
  timestamp: number;
}

describe('native histograms on the wire', () => {
  test('RW 1.0: TimeSeries.histograms with the family name (no suffix), labels, exemplars; protobufjs agrees', () => {
    const enc = new RemoteWriteV1Encoder({ sendMetadata: true });
    const stats = new PrometheusTranslator({ targetInfo: false }).translate(batch(), enc);
    assert.equal(stats.dropped, 0);
    assert.deepEqual([enc.stats.samples, enc.stats.histograms, enc.stats.exemplars], [3, 3, 1]);
    const bytes = enc.finish();
    const req = decodeWriteRequest(bytes);
    assert.deepEqual(req.metadata.map((m) => [m.metricFamilyName, m.type]), [['rpc_latency_milliseconds', 3]]);
    const want = expected();
    assert.equal(req.timeseries.length, 3);
    req.timeseries.forEach((ts, i) => {
      assert.deepEqual(ts.labels.map((l) => `${l.name}=${l.value}`), ['__name__=rpc_latency_milliseconds', 'job=shop', `route=${['/a', '/b', '/c'][i]}`]);
      assert.equal(ts.samples.length, 0);
      assert.equal(ts.histograms, 1);
      assertSame(ts.nativeHistograms[0]!, want[i]!, `v1 ${i}`);
    });
    assert.equal(req.timeseries[0]!.exemplars[0]!.value, 2.5);
    assert.deepEqual(req.timeseries[0]!.exemplars[0]!.labels.map((l) => l.name), ['span_id', 'trace_id']);
    // An independent parser with the upstream schema reads the same histograms.
    const pb = v1Root.lookupType('prometheus.WriteRequest').toObject(v1Root.lookupType('prometheus.WriteRequest').decode(bytes), { longs: Number, enums: Number, defaults: true, arrays: true }) as { timeseries: { histograms: PbHistogram[] }[] };
    pb.timeseries.forEach((ts, i) => {
      const h = ts.histograms[0]!;
      const w = want[i]!;
      assert.deepEqual(
        [h.countInt, h.schema, h.zeroThreshold, h.zeroCountInt, h.positiveSpans, h.positiveDeltas, h.negativeSpans, h.negativeDeltas, h.timestamp],
        [w.count, w.schema, w.zeroThreshold, w.zeroCount, w.positiveSpans, w.positiveDeltas, w.negativeSpans, w.negativeDeltas, w.timestampMs],
        `protobufjs ${i}`,
      );
    });
  });

  test('RW 2.0: TimeSeries.histograms with metadata (histogram) and created_timestamp', () => {
    const enc = new RemoteWriteV2Encoder();
    new PrometheusTranslator({ targetInfo: false }).translate(batch(), enc);
    const req = decodeWriteV2Request(enc.finish());
    const want = expected();
    assert.equal(req.timeseries.length, 3);
    req.timeseries.forEach((ts, i) => {
      assert.deepEqual(ts.labels.map((l) => `${l.name}=${l.value}`), ['__name__=rpc_latency_milliseconds', 'job=shop', `route=${['/a', '/b', '/c'][i]}`]);
      assert.equal(ts.samples.length, 0);
      assert.deepEqual([ts.metadata.type, ts.metadata.help, ts.metadata.unit], [3, 'RPC latency', 'milliseconds']);
      assert.equal(ts.createdTimestamp, TS_MS - 60_000);
      assertSame(ts.nativeHistograms[0]!, want[i]!, `v2 ${i}`);
    });
    assert.deepEqual(req.timeseries[0]!.exemplars.map((e) => e.value), [2.5]);
  });

  test('the exporter\'s sharded encoder: one point and one sample per histogram, both protocols', () => {
    for (const version of [1, 2] as const) {
      const se = new ShardedEncoder({ shards: 4, version, maxBytes: 1 << 20, sendMetadata: false, relabel: undefined });
      new PrometheusTranslator({ targetInfo: false }).translate(batch(), se);
      const reqs = se.finish();
      assert.equal(reqs.reduce((a, r) => a + r.points, 0), 3, `v${version} points`);
      assert.equal(reqs.reduce((a, r) => a + r.samples, 0), 3, `v${version} samples`);
      let n = 0;
      for (const r of reqs) {
        const raw = uncompressBlock(r.body);
        const series = version === 1 ? decodeWriteRequest(raw).timeseries : decodeWriteV2Request(raw).timeseries;
        for (const ts of series) n += ts.nativeHistograms.length;
      }
      assert.equal(n, 3);
    }
  });

  test('RW 2.0 -> 1.0 fallback re-encoding keeps the histograms; float histograms round-trip as they are', () => {
    const enc = new RemoteWriteV2Encoder();
    new PrometheusTranslator({ targetInfo: false }).translate(batch(), enc);
    const v2 = decodeWriteV2Request(enc.finish());
    const v1 = decodeWriteRequest(uncompressBlock(v2ToV1(compressBlock(enc.finish()))));
    assert.equal(v1.timeseries.length, 3);
    const want = expected();
    v1.timeseries.forEach((ts, i) => {
      assert.deepEqual(ts.labels, v2.timeseries[i]!.labels);
      assertSame(ts.nativeHistograms[0]!, want[i]!, `fallback ${i}`);
    });
    const float: DecodedHistogram = {
      count: 7.5, sum: 3, schema: -2, zeroThreshold: 0.5, zeroCount: 1.5, isFloat: true,
      negativeSpans: [{ offset: -3, length: 1 }], negativeDeltas: [], negativeCounts: [2],
      positiveSpans: [{ offset: 0, length: 2 }], positiveDeltas: [], positiveCounts: [1, 3],
      resetHint: 3, timestamp: 1234, customValues: [],
    };
    const back = decodeWriteRequest(encodeWriteRequest({ timeseries: [{ labels: [{ name: '__name__', value: 'x' }], samples: [], nativeHistograms: [float] }] }));
    assert.deepEqual(back.timeseries[0]!.nativeHistograms, [float]);
  });
});
