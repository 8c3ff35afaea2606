/**
 * Cross-checks against independent implementations:
 * - @opentelemetry/sdk-metrics data serialized by @opentelemetry/otlp-transformer (protobuf and JSON) -> our decoders
 *   must reproduce the SDK's values;
 * - protobufjs with the upstream schema (test/fixtures/otlp/otlp_metrics.proto) decodes our bytes, re-encodes them
 *   byte for byte (canonical field order and packing), and encodes the upstream JSON example for our decoder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { ValueType, type Attributes as SdkAttributes, type HrTime } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality as SdkTemporality,
  AggregationType,
  DataPointType,
  MeterProvider,
  MetricReader,
  type MetricData,
  type ResourceMetrics as SdkResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import {
  decodeExportMetricsRequest,
  decodeExportMetricsRequestJson,
  encodeExportMetricsRequest,
  encodeExportMetricsResponse,
} from '../../src/codec/otlp/index.ts';
import type { AnyValue, Attributes, Metric, MetricsData } from '../../src/model/types.ts';
import { everything } from './everything.ts';

class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function sdkMetrics(temporality: SdkTemporality): Promise<SdkResourceMetrics> {
  const reader = new TestReader({ aggregationTemporalitySelector: () => temporality });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'crosscheck', 'host.cores': 8, 'ratio': 0.5, 'ok': true, 'tags': ['a', 'b'] }),
    readers: [reader],
    views: [{ instrumentName: 'latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 20 } } }],
  });
  const meter = provider.getMeter('crosscheck.scope', '2.0.1', { schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' });
  const attrs = (i: number): SdkAttributes => ({ 'http.method': i % 2 ? 'GET' : 'POST', code: 200 + i, frac: i + 0.25, ok: i % 2 === 0, path: '/v1/' + i });
  const counter = meter.createCounter('requests', { description: 'Requests', unit: '{request}' });
  const intCounter = meter.createCounter('bytes', { unit: 'By', valueType: ValueType.INT });
  const upDown = meter.createUpDownCounter('queue.depth', { valueType: ValueType.INT });
  const hist = meter.createHistogram('latency', { unit: 'ms', advice: { explicitBucketBoundaries: [1, 5, 10, 50] } });
  const exp = meter.createHistogram('latency.exp', { unit: 's' });
  const gauge = meter.createObservableGauge('temperature', { unit: 'Cel' });
  gauge.addCallback((r) => {
    r.observe(21.5, { room: 'a' });
    r.observe(-3.25, { room: 'b' });
  });
  for (let i = 0; i < 5; i++) {
    counter.add(1.5 * (i + 1), attrs(i));
    intCounter.add(1000 * (i + 1), attrs(i));
    upDown.add(i % 2 ? -7 : 3, attrs(i % 2));
    hist.record(0.5 + i * 7, attrs(i % 2));
    exp.record(i === 0 ? 0 : i % 2 ? 0.001 * i : -250 * i, attrs(0));
  }
  const { resourceMetrics, errors } = await reader.collect();
  assert.deepStrictEqual(errors, []);
  await provider.shutdown();
  return resourceMetrics;
}

const ns = (t: HrTime): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

/** SDK attribute value -> model AnyValue by the OTLP rules the serializer implements (integers -> int_value). */
function anyOf(v: unknown): AnyValue {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(anyOf);
  return v as AnyValue;
}
const attrsOf = (a: SdkAttributes): Attributes => Object.entries(a).map(([key, value]) => ({ key, value: anyOf(value) }));

/** What the SDK data must look like in our model (built from the SDK objects, not from any bytes). */
function expected(m: MetricData): Metric {
  const base = { name: m.descriptor.name, description: m.descriptor.description, unit: m.descriptor.unit, metadata: [] };
  const temporality = m.aggregationTemporality === SdkTemporality.DELTA ? 1 : 2;
  const common = (p: { attributes: SdkAttributes; startTime: HrTime; endTime: HrTime }) => ({
    attributes: attrsOf(p.attributes),
    startTimeUnixNano: ns(p.startTime),
    timeUnixNano: ns(p.endTime),
    flags: 0,
  });
  const num = (v: number) => (m.descriptor.valueType === ValueType.INT ? BigInt(v) : v);
  switch (m.dataPointType) {
    case DataPointType.SUM:
      return { ...base, type: 'sum', temporality, isMonotonic: m.isMonotonic, points: m.dataPoints.map((p) => ({ ...common(p), value: num(p.value), exemplars: [] })) };
    case DataPointType.GAUGE:
      return { ...base, type: 'gauge', points: m.dataPoints.map((p) => ({ ...common(p), value: num(p.value), exemplars: [] })) };
    case DataPointType.HISTOGRAM:
      return {
        ...base,
        type: 'histogram',
        temporality,
        points: m.dataPoints.map((p) => ({
          ...common(p),
          count: p.value.count,
          sum: p.value.sum,
          bucketCounts: p.value.buckets.counts,
          explicitBounds: p.value.buckets.boundaries,
          exemplars: [],
          min: p.value.min,
          max: p.value.max,
        })),
      };
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      return {
        ...base,
        type: 'exponential_histogram',
        temporality,
        points: m.dataPoints.map((p) => ({
          ...common(p),
          count: p.value.count,
          sum: p.value.sum,
          scale: p.value.scale,
          zeroCount: p.value.zeroCount,
          positive: { offset: p.value.positive.offset, bucketCounts: p.value.positive.bucketCounts },
          negative: { offset: p.value.negative.offset, bucketCounts: p.value.negative.bucketCounts },
          exemplars: [],
          min: p.value.min,
          max: p.value.max,
          zeroThreshold: 0,
        })),
      };
  }
}

for (const temporality of [SdkTemporality.CUMULATIVE, SdkTemporality.DELTA]) {
  test(`sdk-metrics -> otlp-transformer protobuf/JSON -> our decoders (${SdkTemporality[temporality]})`, async () => {
    const rm = await sdkMetrics(temporality);
    const bytes = ProtobufMetricsSerializer.serializeRequest(rm);
    assert.ok(bytes !== undefined && bytes.length > 0);
    const md = decodeExportMetricsRequest(bytes);

    assert.equal(md.resourceMetrics.length, 1);
    const ours = md.resourceMetrics[0]!;
    assert.deepStrictEqual(ours.resource, { attributes: attrsOf(rm.resource.attributes), droppedAttributesCount: 0 });
    assert.equal(ours.scopeMetrics.length, 1);
    const sm = ours.scopeMetrics[0]!;
    assert.deepStrictEqual(sm.scope, { name: 'crosscheck.scope', version: '2.0.1', attributes: [], droppedAttributesCount: 0 });
    assert.equal(sm.schemaUrl, 'https://opentelemetry.io/schemas/1.24.0');
    const sdk = rm.scopeMetrics[0]!.metrics;
    assert.deepStrictEqual(sm.metrics.map((m) => m.name).sort(), ['bytes', 'latency', 'latency.exp', 'queue.depth', 'requests', 'temperature']);
    for (const m of sdk) {
      const got = sm.metrics.find((x) => x.name === m.descriptor.name);
      assert.deepStrictEqual(got, expected(m), m.descriptor.name);
    }
    // spot checks that do not go through expected()
    const exp = sm.metrics.find((x) => x.name === 'latency.exp')!;
    assert.equal(exp.type, 'exponential_histogram');
    // the SDK drops negative histogram measurements: 0, 0.001, 0.003 remain
    assert.equal(exp.points[0]!.count, 3);
    assert.equal(exp.points[0]!.zeroCount, 1);
    assert.equal(exp.points[0]!.positive.bucketCounts.reduce((a, b) => a + b, 0), 2);
    const bytesMetric = sm.metrics.find((x) => x.name === 'bytes')!;
    assert.equal(typeof (bytesMetric.points[0] as { value: unknown }).value, 'bigint');

    // the SDK's JSON serialization decodes to the same model
    const json = new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(rm));
    assert.deepStrictEqual(decodeExportMetricsRequestJson(json), md);
    // and our re-encoding decodes to it again
    assert.deepStrictEqual(decodeExportMetricsRequest(encodeExportMetricsRequest(md)), md);
  });
}

const root = protobuf.loadSync(fileURLToPath(new URL('../fixtures/otlp/otlp_metrics.proto', import.meta.url)));
const Req = root.lookupType('otlp.ExportMetricsServiceRequest');

test('protobufjs (upstream schema) decodes our bytes and re-encodes them byte for byte', () => {
  const ours = encodeExportMetricsRequest(everything());
  const msg = Req.decode(ours);
  assert.equal(Req.verify(msg), null);
  assert.deepStrictEqual(new Uint8Array(Req.encode(msg).finish()), ours);
  const o = Req.toObject(msg, { longs: String, bytes: String, defaults: false }) as {
    resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<Record<string, { dataPoints: Array<Record<string, unknown>> }>> }> }>;
  };
  const ms = o.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
  const gp = ms[0]!['gauge']!.dataPoints;
  assert.equal(gp[0]!['timeUnixNano'], '18446744073709551615');
  assert.equal(gp[1]!['asInt'], '-7');
  const ex = (gp[0]!['exemplars'] as Array<Record<string, unknown>>)[0]!;
  assert.equal(Buffer.from(ex['traceId'] as string, 'base64').toString('hex'), '00112233445566778899aabbccddeeff');
  const eh = ms[4]!['exponentialHistogram']!.dataPoints[0]!;
  assert.equal(eh['scale'], -3);
  assert.deepStrictEqual(eh['negative'], { offset: 3, bucketCounts: ['6', '0', '1'] });
  assert.equal(eh['zeroThreshold'], 1e-9);
  const hp = ms[3]!['histogram']!.dataPoints;
  assert.equal(hp[0]!['sum'], 0); // optional, present
  assert.equal(hp[1]!['sum'], undefined); // optional, absent
});

test('protobufjs encodes the upstream JSON example; our decoder reads the same model as our JSON decoder', () => {
  const text = readFileSync(new URL('../fixtures/otlp/examples_metrics.json', import.meta.url), 'utf8');
  const bytes = Req.encode(Req.fromObject(JSON.parse(text))).finish();
  const fromProto: MetricsData = decodeExportMetricsRequest(bytes);
  assert.deepStrictEqual(fromProto, decodeExportMetricsRequestJson(text));
});

test('otlp-transformer reads our ExportMetricsServiceResponse', () => {
  const r = ProtobufMetricsSerializer.deserializeResponse(encodeExportMetricsResponse({ rejectedDataPoints: 3, errorMessage: 'bad points' }));
  assert.equal(Number(r.partialSuccess?.rejectedDataPoints), 3);
  assert.equal(r.partialSuccess?.errorMessage, 'bad points');
  assert.deepStrictEqual(ProtobufMetricsSerializer.deserializeResponse(encodeExportMetricsResponse()), {});
});
