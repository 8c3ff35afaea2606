/** OTLP codec round trips: the upstream JSON example through every codec, and a model that uses every field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  decodeExportMetricsRequest,
  decodeExportMetricsRequestJson,
  encodeExportMetricsRequest,
  encodeExportMetricsRequestJson,
  writeExportMetricsRequest,
} from '../../src/codec/otlp/index.ts';
import { ProtoWriter } from '../../src/codec/protobuf/index.ts';
import type { ExponentialHistogramMetric, HistogramMetric, MetricsData, SumMetric } from '../../src/model/types.ts';
import { everything } from './everything.ts';

const EXAMPLE = readFileSync(new URL('../fixtures/otlp/examples_metrics.json', import.meta.url), 'utf8');
const T = 1544712660300000000n;

test('examples_metrics.json: JSON -> proto -> model -> JSON -> model is stable', () => {
  const a = decodeExportMetricsRequestJson(EXAMPLE);
  const bytes = encodeExportMetricsRequest(a);
  const b = decodeExportMetricsRequest(bytes);
  assert.deepStrictEqual(b, a);
  const json = encodeExportMetricsRequestJson(b);
  const c = decodeExportMetricsRequestJson(json);
  assert.deepStrictEqual(c, a);
  // byte stability both ways
  assert.deepStrictEqual(encodeExportMetricsRequest(c), bytes);
  assert.equal(encodeExportMetricsRequestJson(c), json);
});

test('examples_metrics.json: spot-check decoded values', () => {
  const md = decodeExportMetricsRequestJson(EXAMPLE);
  assert.equal(md.resourceMetrics.length, 1);
  const rm = md.resourceMetrics[0]!;
  assert.deepStrictEqual(rm.resource, { attributes: [{ key: 'service.name', value: 'my.service' }], droppedAttributesCount: 0 });
  const sm = rm.scopeMetrics[0]!;
  assert.deepStrictEqual(sm.scope, {
    name: 'my.library',
    version: '1.0.0',
    attributes: [{ key: 'my.scope.attribute', value: 'some scope attribute' }],
    droppedAttributesCount: 0,
  });
  assert.deepStrictEqual(
    sm.metrics.map((m) => [m.name, m.type, m.unit, m.description]),
    [
      ['my.counter', 'sum', '1', 'I am a Counter'],
      ['my.gauge', 'gauge', '1', 'I am a Gauge'],
      ['my.histogram', 'histogram', '1', 'I am a Histogram'],
      ['my.exponential.histogram', 'exponential_histogram', '1', 'I am an Exponential Histogram'],
    ],
  );
  const counter = sm.metrics[0] as SumMetric;
  assert.equal(counter.temporality, 1); // DELTA
  assert.equal(counter.isMonotonic, true);
  assert.deepStrictEqual(counter.points[0], {
    attributes: [{ key: 'my.counter.attr', value: 'some value' }],
    startTimeUnixNano: T,
    timeUnixNano: T,
    flags: 0,
    value: 5, // asDouble: a number, not a bigint
    exemplars: [],
  });
  const gauge = sm.metrics[1]!;
  assert.equal(gauge.points[0]!.startTimeUnixNano, 0n);
  const h = sm.metrics[2] as HistogramMetric;
  assert.equal(h.temporality, 1);
  assert.deepStrictEqual(
    [h.points[0]!.count, h.points[0]!.sum, h.points[0]!.bucketCounts, h.points[0]!.explicitBounds, h.points[0]!.min, h.points[0]!.max],
    [2, 2, [1, 1], [1], 0, 2],
  );
  const eh = sm.metrics[3] as ExponentialHistogramMetric;
  assert.equal(eh.temporality, 1);
  const p = eh.points[0]!;
  assert.deepStrictEqual(
    [p.count, p.sum, p.scale, p.zeroCount, p.positive, p.negative, p.min, p.max, p.zeroThreshold],
    [3, 10, 0, 1, { offset: 1, bucketCounts: [0, 2] }, { offset: 0, bucketCounts: [] }, 0, 5, 0],
  );
});

test('every field and AnyValue kind survives proto and JSON round trips', () => {
  const md = everything();
  const bytes = encodeExportMetricsRequest(md);
  const fromProto = decodeExportMetricsRequest(bytes);
  assert.deepStrictEqual(fromProto, md);
  const json = encodeExportMetricsRequestJson(md);
  const fromJson = decodeExportMetricsRequestJson(json);
  assert.deepStrictEqual(fromJson, md);
  // cross paths
  assert.deepStrictEqual(decodeExportMetricsRequestJson(encodeExportMetricsRequestJson(fromProto)), md);
  assert.deepStrictEqual(decodeExportMetricsRequest(encodeExportMetricsRequest(fromJson)), md);
  // canonical bytes/text are stable
  assert.deepStrictEqual(encodeExportMetricsRequest(fromProto), bytes);
  assert.equal(encodeExportMetricsRequestJson(fromJson), json);
  // the input model is not modified by encoding
  assert.deepStrictEqual(md, everything());
});

test('value kinds stay exact: asInt is bigint, asDouble is number, -0 and NaN kept', () => {
  const md = decodeExportMetricsRequest(encodeExportMetricsRequest(everything()));
  const g = md.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!;
  const values = g.points.map((p) => (p as { value: number | bigint }).value);
  assert.ok(Number.isNaN(values[0]));
  assert.equal(values[1], -7n);
  assert.ok(Object.is(values[2], 0));
  assert.equal(values[3], 0n);
  assert.ok(Object.is(values[4], -0));
  const json = encodeExportMetricsRequestJson(everything());
  assert.match(json, /"asDouble":"NaN"/);
  assert.match(json, /"asInt":"-7"/);
  assert.match(json, /"asInt":"0"/);
  assert.match(json, /"asDouble":-0/);
  assert.match(json, /"timeUnixNano":"18446744073709551615"/);
  assert.match(json, /"traceId":"00112233445566778899aabbccddeeff"/);
  assert.match(json, /"spanId":"fffefdfcfbfaf9f8"/);
  assert.match(json, /"bytesValue":"AAEC\+v8="/);
  assert.match(json, /"aggregationTemporality":1/);
  assert.match(json, /"intValue":"-9223372036854775808"/);
  assert.match(json, /"doubleValue":"-Infinity"/);
});

test('proto3 defaults are omitted; optional and oneof fields are written when set', () => {
  const md: MetricsData = {
    resourceMetrics: [
      {
        resource: { attributes: [], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeMetrics: [
          {
            scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            metrics: [
              {
                name: '',
                description: '',
                unit: '',
                metadata: [],
                type: 'histogram',
                temporality: 0,
                points: [
                  {
                    attributes: [],
                    startTimeUnixNano: 0n,
                    timeUnixNano: 0n,
                    flags: 0,
                    count: 0,
                    sum: 0,
                    bucketCounts: [],
                    explicitBounds: [],
                    exemplars: [],
                    min: undefined,
                    max: 0,
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
  const hex = Buffer.from(encodeExportMetricsRequest(md)).toString('hex');
  // RM{resource{}, SM{scope{}, Metric{histogram{point{sum=0 (5: 29 ..), max=0 (12: 61 ..)}}}}}
  const z8 = '0000000000000000';
  assert.equal(hex, `0a1e0a00121a0a0012164a140a1229${z8}61${z8}`);
  const json = encodeExportMetricsRequestJson(md);
  assert.equal(json, '{"resourceMetrics":[{"resource":{},"scopeMetrics":[{"scope":{},"metrics":[{"histogram":{"dataPoints":[{"sum":0,"max":0}]}}]}]}]}');
  assert.deepStrictEqual(decodeExportMetricsRequestJson(json), md);
});

test('JSON input: snake_case keys, enum names, numbers for int64, unknown keys, nulls', () => {
  const text = JSON.stringify({
    resource_metrics: [
      {
        resource: { attributes: [{ key: 'a', value: { int_value: 5, unknownKey: 1 } }], dropped_attributes_count: '2' },
        scope_metrics: [
          {
            scope: { name: 's', future_field: { x: 1 } },
            metrics: [
              {
                name: 'm',
                sum: {
                  aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
                  is_monotonic: true,
                  data_points: [{ as_int: 12, time_unix_nano: 1000, start_time_unix_nano: null, exemplars: null }],
                },
              },
              { name: 'e', exponential_histogram: { data_points: [{ zero_count: 3, positive: { bucket_counts: [1, '2'] } }] } },
            ],
          },
        ],
        schema_url: 'u',
      },
    ],
    extra: true,
  });
  const md = decodeExportMetricsRequestJson(text);
  const rm = md.resourceMetrics[0]!;
  assert.deepStrictEqual(rm.resource, { attributes: [{ key: 'a', value: 5n }], droppedAttributesCount: 2 });
  assert.equal(rm.schemaUrl, 'u');
  const sum = rm.scopeMetrics[0]!.metrics[0] as SumMetric;
  assert.equal(sum.temporality, 2);
  assert.equal(sum.isMonotonic, true);
  assert.equal(sum.points[0]!.value, 12n);
  assert.equal(sum.points[0]!.timeUnixNano, 1000n);
  const eh = rm.scopeMetrics[0]!.metrics[1] as ExponentialHistogramMetric;
  assert.equal(eh.points[0]!.zeroCount, 3);
  assert.deepStrictEqual(eh.points[0]!.positive.bucketCounts, [1, 2]);
});

test('JSON input: bare integers beyond 2^53 are read exactly', () => {
  const text =
    '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[' +
    '{"asInt": 9007199254740993, "timeUnixNano": 18446744073709551615},' +
    '{"asInt": -9223372036854775808, "attributes":[{"key":"k","value":{"intValue":9223372036854775807}}]}]}}]}]}]}';
  const pts = (decodeExportMetricsRequestJson(text).resourceMetrics[0]!.scopeMetrics[0]!.metrics[0] as SumMetric).points;
  assert.equal(pts[0]!.value, 9007199254740993n);
  assert.equal(pts[0]!.timeUnixNano, 18446744073709551615n);
  assert.equal(pts[1]!.value, -(2n ** 63n));
  assert.equal(pts[1]!.attributes[0]!.value, 2n ** 63n - 1n);
});

test('proto decode: unpacked repeated fields, merged sub-messages, last oneof wins, deprecated fields skipped', () => {
  const w = new ProtoWriter();
  w.tag(1, 2);
  const rm = w.fork();
  w.tag(1000, 2); // ResourceMetrics field 1000 (old instrumentation_library_metrics): skipped
  w.bytes(new Uint8Array([0x0a, 0x00]));
  w.tag(2, 2);
  const sm = w.fork();
  w.tag(2, 2);
  const m = w.fork();
  w.stringField(1, 'x');
  w.tag(4, 2); // removed int_gauge: skipped
  w.bytes(new Uint8Array([0x0a, 0x00]));
  w.tag(5, 2); // gauge, replaced by the histogram below
  w.bytes(new Uint8Array([0x0a, 0x00]));
  for (const bound of [1, 2]) {
    w.tag(9, 2); // histogram twice: merged
    const h = w.fork();
    w.tag(1, 2);
    const p = w.fork();
    w.tag(6, 1); // bucket_counts unpacked
    w.fixed64Number(bound);
    w.tag(7, 1); // explicit_bounds unpacked
    w.double(bound * 10);
    w.ldelim(p);
    w.ldelim(h);
  }
  w.ldelim(m);
  w.ldelim(sm);
  w.ldelim(rm);
  const md = decodeExportMetricsRequest(w.finish());
  const h = md.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0] as HistogramMetric;
  assert.equal(h.type, 'histogram');
  assert.equal(h.name, 'x');
  assert.deepStrictEqual(h.points.map((p) => [p.bucketCounts, p.explicitBounds]), [[[1], [10]], [[2], [20]]]);
});

test('writeExportMetricsRequest appends to a caller writer; decode accepts a Buffer and does not alias it', () => {
  const w = new ProtoWriter(8);
  w.raw(new Uint8Array([1, 2, 3]));
  writeExportMetricsRequest(w, everything());
  const bytes = w.finish().subarray(3);
  assert.deepStrictEqual(bytes, encodeExportMetricsRequest(everything()));
  const buf = Buffer.from(bytes);
  const md = decodeExportMetricsRequest(buf);
  buf.fill(0);
  assert.deepStrictEqual(md, everything());
});

test('JSON ids are case-insensitive hex; output is lowercase', () => {
  const text =
    '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"asDouble":1,"exemplars":[' +
    '{"asInt":"3","traceId":"0102030405060708090A0B0C0D0E0F10","spanId":"A1B2C3D4E5F60718"}]}]}}]}]}]}';
  const md = decodeExportMetricsRequestJson(text);
  const ex = (md.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0] as SumMetric).points[0]!.exemplars[0]!;
  assert.deepStrictEqual(ex.traceId, Uint8Array.from({ length: 16 }, (_, i) => i + 1));
  assert.deepStrictEqual(ex.spanId, Uint8Array.from([0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18]));
  assert.equal(ex.value, 3n);
  assert.match(encodeExportMetricsRequestJson(md), /"spanId":"a1b2c3d4e5f60718","traceId":"0102030405060708090a0b0c0d0e0f10"/);
});

test('proto decode keeps Resource.entity_refs and skips unknown fields everywhere', () => {
  const w = new ProtoWriter();
  w.tag(1, 2);
  const rm = w.fork();
  w.tag(1, 2);
  const res = w.fork();
  w.tag(3, 2); // entity_refs { type: "service", id_keys: ["service.name"] }
  const er = w.fork();
  w.stringField(2, 'service');
  w.stringField(3, 'service.name');
  w.ldelim(er);
  w.tag(1, 2);
  const kv = w.fork();
  w.stringField(1, 'service.name');
  w.tag(2, 2);
  w.bytes(Uint8Array.from([0x0a, 0x01, 0x78, 0x78, 0x05])); // string_value "x", unknown field 15 = 5
  w.ldelim(kv);
  w.uint32Field(99, 1); // unknown field in Resource
  w.ldelim(res);
  w.fixed64Field(50, 7n); // unknown field in ResourceMetrics
  w.ldelim(rm);
  const md = decodeExportMetricsRequest(w.finish());
  assert.deepStrictEqual(md.resourceMetrics[0]!.resource, {
    attributes: [{ key: 'service.name', value: 'x' }],
    droppedAttributesCount: 0,
    entityRefs: [{ schemaUrl: '', type: 'service', idKeys: ['service.name'], descriptionKeys: [] }],
  });
});

test('JSON input: exponent-form integers and mixed exact/rounded literals', () => {
  const text =
    '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[' +
    '{"asInt": 1e20, "timeUnixNano": 18446744073709551615},{"asInt": 1e3}]}}]}]}]}';
  assert.throws(() => decodeExportMetricsRequestJson(text), /asInt: integer out of range: 100000000000000000000/);
  const ok = text.replace('1e20', '1e18');
  const pts = (decodeExportMetricsRequestJson(ok).resourceMetrics[0]!.scopeMetrics[0]!.metrics[0] as SumMetric).points;
  assert.equal(pts[0]!.value, 10n ** 18n);
  assert.equal(pts[0]!.timeUnixNano, 2n ** 64n - 1n);
  assert.equal(pts[1]!.value, 1000n);
});
