/** OTLP codec error handling: garbage, truncation at every byte, wrong wire types, depth limits, bad JSON. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OtlpJsonError,
  ProtoDecodeError,
  decodeExportMetricsRequest,
  decodeExportMetricsRequestJson,
  encodeExportMetricsRequest,
  encodeExportMetricsRequestJson,
} from '../../src/codec/otlp/index.ts';
import { ProtoWriter } from '../../src/codec/protobuf/index.ts';
import type { AnyValue, MetricsData } from '../../src/model/types.ts';
import { everything } from './everything.ts';

/** Decodes, returning the error (undefined on success). Anything but ProtoDecodeError fails the test. */
function protoError(bytes: Uint8Array): ProtoDecodeError | undefined {
  try {
    decodeExportMetricsRequest(bytes);
    return undefined;
  } catch (e) {
    if (e instanceof ProtoDecodeError) return e;
    assert.fail(`not a ProtoDecodeError: ${String(e)}`);
  }
}

function oneResource(): MetricsData {
  const md = everything();
  return { resourceMetrics: [md.resourceMetrics[0]!] };
}

test('truncation at every byte position throws ProtoDecodeError', () => {
  const bytes = encodeExportMetricsRequest(oneResource()); // one top-level field: every proper prefix is broken
  assert.ok(bytes.length > 2000);
  for (let i = 1; i < bytes.length; i++) {
    const e = protoError(bytes.subarray(0, i));
    assert.ok(e !== undefined, `prefix of ${i} bytes decoded`);
    assert.ok(e.offset <= i, `offset ${e.offset} past the end ${i}`);
  }
  assert.equal(protoError(bytes), undefined);
});

/** xorshift32, for reproducible fuzzing. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

test('random garbage and corrupted messages either decode or throw ProtoDecodeError, quickly', () => {
  const rand = rng(12345);
  const valid = encodeExportMetricsRequest(oneResource());
  const t0 = Date.now();
  let failures = 0;
  for (let n = 0; n < 3000; n++) {
    const len = Math.floor(rand() * 200);
    const garbage = Uint8Array.from({ length: len }, () => Math.floor(rand() * 256));
    if (protoError(garbage) !== undefined) failures++;
    const corrupt = valid.slice();
    for (let k = 0; k < 3; k++) corrupt[Math.floor(rand() * corrupt.length)] = Math.floor(rand() * 256);
    if (protoError(corrupt) !== undefined) failures++;
  }
  assert.ok(failures > 3000, `only ${failures} inputs failed`);
  assert.ok(Date.now() - t0 < 20000, 'fuzzing took too long');
  for (const g of ['{"resourceMetrics":[]}', 'hello world', '\u0000\u0000']) {
    assert.ok(protoError(new TextEncoder().encode(g)) !== undefined, g);
  }
  assert.ok(protoError(new Uint8Array(64).fill(0xff)) !== undefined);
});

test('huge declared lengths fail without allocating', () => {
  const e = protoError(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]));
  assert.match(e!.message, /length 4294967295 exceeds the 1 bytes remaining at offset 1 while reading MetricsData.resource_metrics/);
});

/** Wraps `pointBody` into RM > SM > Metric(field `dataField`) > data(field 1) and returns the request bytes. */
function withPoint(dataField: number, pointBody: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter();
  const marks: number[] = [];
  for (const f of [1, 2, 2, dataField, 1]) {
    w.tag(f, 2);
    marks.push(w.fork());
  }
  pointBody(w);
  while (marks.length > 0) w.ldelim(marks.pop()!);
  return w.finish();
}

const wrongWireType: Array<[string, Uint8Array, RegExp]> = [
  ['NumberDataPoint.time_unix_nano as varint', withPoint(5, (w) => w.uint32Field(3, 1)), /NumberDataPoint\.time_unix_nano \(field 3, wire type 0\)/],
  ['NumberDataPoint.as_double as fixed32', withPoint(5, (w) => (w.tag(4, 5), w.fixed32(1))), /NumberDataPoint\.as_double \(field 4, wire type 5\)/],
  ['NumberDataPoint.attributes as varint', withPoint(7, (w) => w.uint32Field(7, 1)), /NumberDataPoint\.attributes/],
  ['HistogramDataPoint.bucket_counts as fixed32', withPoint(9, (w) => (w.tag(6, 5), w.fixed32(1))), /HistogramDataPoint\.bucket_counts/],
  ['HistogramDataPoint.sum as varint', withPoint(9, (w) => w.uint32Field(5, 1)), /HistogramDataPoint\.sum/],
  ['ExponentialHistogramDataPoint.scale as fixed64', withPoint(10, (w) => w.fixed64Field(6, 1n)), /ExponentialHistogramDataPoint\.scale/],
  [
    'Buckets.bucket_counts as fixed64',
    withPoint(10, (w) => (w.tag(8, 2), w.bytes(Uint8Array.from([0x11, 1, 0, 0, 0, 0, 0, 0, 0])))),
    /Buckets\.bucket_counts \(field 2, wire type 1\)/,
  ],
  ['SummaryDataPoint.quantile_values as varint', withPoint(11, (w) => w.uint32Field(6, 1)), /SummaryDataPoint\.quantile_values/],
  [
    'AnyValue.string_value as varint',
    withPoint(5, (w) => (w.tag(7, 2), w.bytes(Uint8Array.from([0x12, 0x02, 0x08, 0x01])))),
    /AnyValue\.string_value \(field 1, wire type 0\)/,
  ],
  ['Metric.name as varint', Uint8Array.from([0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x08, 0x01]), /Metric\.name \(field 1, wire type 0\)/],
  ['Sum.aggregation_temporality as LEN', Uint8Array.from([0x0a, 0x08, 0x12, 0x06, 0x12, 0x04, 0x3a, 0x02, 0x12, 0x00]), /Sum\.aggregation_temporality/],
];

for (const [name, bytes, re] of wrongWireType) {
  test(`wrong wire type: ${name}`, () => {
    const e = protoError(bytes);
    assert.ok(e, 'decoded');
    assert.match(e.message, /wrong wire type/);
    assert.match(e.message, re);
  });
}

test('invalid UTF-8 in a metric name is a ProtoDecodeError naming Metric.name', () => {
  const bytes = Uint8Array.from([0x0a, 0x07, 0x12, 0x05, 0x12, 0x03, 0x0a, 0x01, 0xc0]);
  assert.match(protoError(bytes)!.message, /invalid UTF-8 in string field at offset 8 while reading Metric\.name/);
});

function nested(depth: number): AnyValue {
  let v: AnyValue = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { kvlist: [{ key: 'k', value: v }] };
  return v;
}

function withAttribute(value: AnyValue): MetricsData {
  return { resourceMetrics: [{ resource: { attributes: [{ key: 'deep', value }], droppedAttributesCount: 0 }, scopeMetrics: [], schemaUrl: '' }] };
}

test('AnyValue nesting: 64 levels decode, 65 fail in proto and JSON; encoders refuse cycles', () => {
  const ok = withAttribute(nested(64));
  assert.deepStrictEqual(decodeExportMetricsRequest(encodeExportMetricsRequest(ok)), ok);
  assert.deepStrictEqual(decodeExportMetricsRequestJson(encodeExportMetricsRequestJson(ok)), ok);

  // 65 levels, written by hand (our encoders refuse to produce it)
  const w = new ProtoWriter();
  const marks: number[] = [];
  w.tag(1, 2), marks.push(w.fork()); // ResourceMetrics
  w.tag(1, 2), marks.push(w.fork()); // Resource
  w.tag(1, 2), marks.push(w.fork()); // KeyValue
  w.tag(2, 2), marks.push(w.fork()); // AnyValue
  for (let i = 0; i < 65; i++) {
    w.tag(5, 2), marks.push(w.fork()); // array_value
    w.tag(1, 2), marks.push(w.fork()); // values[0]
  }
  while (marks.length > 0) w.ldelim(marks.pop()!);
  assert.match(protoError(w.finish())!.message, /AnyValue nesting deeper than 64/);

  let json = '"x"';
  for (let i = 0; i < 65; i++) json = `{"arrayValue":{"values":[${i === 0 ? `{"stringValue":${json}}` : json}]}}`;
  const doc = `{"resourceMetrics":[{"resource":{"attributes":[{"key":"deep","value":${json}}]}}]}`;
  assert.throws(() => decodeExportMetricsRequestJson(doc), (e: unknown) => e instanceof OtlpJsonError && /nesting deeper than 64/.test(e.message));

  const cyclic: AnyValue[] = [];
  cyclic.push(cyclic);
  assert.throws(() => encodeExportMetricsRequest(withAttribute(cyclic)), /nesting deeper than 64/);
  assert.throws(() => encodeExportMetricsRequestJson(withAttribute(cyclic)), /nesting deeper than 64/);
});

const P = (point: string, metric = 'sum'): string =>
  `{"resourceMetrics":[{"scopeMetrics":[{},{"metrics":[{},{},{},{"name":"m","${metric}":{"dataPoints":[${point}]}}]}]}]}`;
const PT = 'resourceMetrics[0].scopeMetrics[1].metrics[3]';

const jsonErrors: Array<[string, string, string]> = [
  ['truncated JSON', '{"resourceMetrics": [', 'invalid JSON'],
  ['empty text', '', 'invalid JSON'],
  ['not an object', '[1,2]', 'expected object, got array'],
  ['resourceMetrics not an array', '{"resourceMetrics": {}}', 'resourceMetrics: expected array, got object'],
  ['asInt not an integer string', P('{"asInt":"abc"}'), `${PT}.sum.dataPoints[0].asInt: expected integer, got "abc"`],
  ['asInt fractional', P('{"asInt":1.5}'), `${PT}.sum.dataPoints[0].asInt: expected integer, got 1.5`],
  ['asInt out of range', P('{"asInt":"9223372036854775808"}'), `${PT}.sum.dataPoints[0].asInt: integer out of range: "9223372036854775808"`],
  ['negative timestamp', P('{"timeUnixNano":"-1"}'), `${PT}.sum.dataPoints[0].timeUnixNano: unsigned integer out of range: "-1"`],
  ['asDouble not a number', P('{"asDouble":"1.2.3"}'), `${PT}.sum.dataPoints[0].asDouble: expected number, got "1.2.3"`],
  ['asDouble boolean', P('{"asDouble":true}'), `${PT}.sum.dataPoints[0].asDouble: expected number, got true`],
  ['both value kinds', P('{"asDouble":1,"asInt":"1"}'), `${PT}.sum.dataPoints[0]: both asDouble and asInt are set`],
  ['flags negative', P('{"flags":-1}', 'gauge'), `${PT}.gauge.dataPoints[0].flags: unsigned 32-bit integer out of range: -1`],
  ['point not an object', P('7'), `${PT}.sum.dataPoints[0]: expected object, got 7`],
  ['bucket count bad', P('{"bucketCounts":["1","x"]}', 'histogram'), `${PT}.histogram.dataPoints[0].bucketCounts[1]: expected unsigned integer, got "x"`],
  ['bad exemplar trace id', P('{"exemplars":[{"traceId":"zz112233445566778899aabbccddeeff"}]}'), `${PT}.sum.dataPoints[0].exemplars[0].traceId: expected 32 hex digits (16 bytes) or "", got "zz112233445566778899aabbccddeeff"`],
  ['base64 trace id', P('{"exemplars":[{"traceId":"AAECAwQFBgcICQoLDA0ODw=="}]}'), `${PT}.sum.dataPoints[0].exemplars[0].traceId: expected 32 hex digits`],
  ['short span id', P('{"exemplars":[{"spanId":"abcdef0"}]}'), `${PT}.sum.dataPoints[0].exemplars[0].spanId: expected 16 hex digits (8 bytes) or "", got "abcdef0"`],
  ['span id not a string', P('{"exemplars":[{"spanId":12}]}'), `${PT}.sum.dataPoints[0].exemplars[0].spanId: expected string, got 12`],
  ['bad base64 bytes', P('{"attributes":[{"key":"b","value":{"bytesValue":"!!!"}}]}'), `${PT}.sum.dataPoints[0].attributes[0].value.bytesValue: expected base64, got "!!!"`],
  ['two AnyValue members', P('{"attributes":[{"key":"b","value":{"stringValue":"a","intValue":"1"}}]}'), `${PT}.sum.dataPoints[0].attributes[0].value: AnyValue has more than one value set (stringValue, intValue)`],
  ['nested AnyValue bad', P('{"attributes":[{"key":"b","value":{"kvlistValue":{"values":[{"key":"c","value":{"arrayValue":{"values":[{"boolValue":"yes"}]}}}]}}}]}'), `${PT}.sum.dataPoints[0].attributes[0].value.kvlistValue.values[0].value.arrayValue.values[0].boolValue: expected boolean, got "yes"`],
  ['key not a string', '{"resourceMetrics":[{"resource":{"attributes":[{"key":5}]}}]}', 'resourceMetrics[0].resource.attributes[0].key: expected string, got 5'],
  ['attributes not an array', '{"resourceMetrics":[{"resource":{"attributes":{}}}]}', 'resourceMetrics[0].resource.attributes: expected array, got object'],
  ['isMonotonic as string', '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"isMonotonic":"true"}}]}]}]}', 'resourceMetrics[0].scopeMetrics[0].metrics[0].sum.isMonotonic: expected boolean, got "true"'],
  ['unknown temporality name', '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"aggregationTemporality":"DELTA"}}]}]}]}', 'resourceMetrics[0].scopeMetrics[0].metrics[0].sum.aggregationTemporality: unknown AggregationTemporality "DELTA"'],
  ['two data members', '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{},"sum":{}}]}]}]}', 'resourceMetrics[0].scopeMetrics[0].metrics[0]: more than one of gauge, sum, histogram, exponentialHistogram, summary is set (gauge, sum)'],
  ['scale out of range', '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"exponentialHistogram":{"dataPoints":[{"scale":2147483648}]}}]}]}]}', 'resourceMetrics[0].scopeMetrics[0].metrics[0].exponentialHistogram.dataPoints[0].scale: 32-bit integer out of range: 2147483648'],
  ['scope not an object', '{"resourceMetrics":[{"scopeMetrics":[{"scope":"s"}]}]}', 'resourceMetrics[0].scopeMetrics[0].scope: expected object, got "s"'],
  ['name not a string', '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":["a"]}]}]}]}', 'resourceMetrics[0].scopeMetrics[0].metrics[0].name: expected string, got array'],
];

for (const [name, text, expected] of jsonErrors) {
  test(`JSON error: ${name}`, () => {
    assert.throws(
      () => decodeExportMetricsRequestJson(text),
      (e: unknown) => {
        assert.ok(e instanceof OtlpJsonError, `not an OtlpJsonError: ${String(e)}`);
        assert.ok(e.message.startsWith(expected), `message:\n  ${e.message}\nexpected to start with:\n  ${expected}`);
        return true;
      },
    );
  });
}

test('JSON error path property names the bad value', () => {
  try {
    decodeExportMetricsRequestJson(P('{"asInt":"abc"}'));
    assert.fail('decoded');
  } catch (e) {
    assert.ok(e instanceof OtlpJsonError);
    assert.equal(e.path, `${PT}.sum.dataPoints[0].asInt`);
    assert.equal(e.reason, 'expected integer, got "abc"');
  }
});
