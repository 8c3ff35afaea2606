/**
 * Lazy OTLP decoding (codec/otlp/proto-scan.ts + model/lazy.ts): the receivers' protobuf path. The scan must accept
 * and reject exactly what the decoder does, count points as the decoded data does, flag every request holding a point
 * the receiver would reject, and the lazily built data must equal the eager decode. The batch processor merges lazy
 * parts as bytes without building them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ProtoDecodeError,
  decodeExportMetricsRequest,
  decodeExportMetricsRequestJson,
  decodeExportMetricsRequestLazy,
  encodeExportMetricsRequest,
} from '../../src/codec/otlp/index.ts';
import { ProtoWriter } from '../../src/codec/protobuf/index.ts';
import { countDataPoints } from '../../src/model/count.ts';
import { lazyState, resourceCount } from '../../src/model/lazy.ts';
import type { ConsumeContext, Consumer } from '../../src/consumer/consumer.ts';
import type { CreateSettings } from '../../src/component/component.ts';
import type { MetricsData, ResourceMetrics } from '../../src/model/types.ts';
import { cloneMetricsData } from '../../src/model/clone.ts';
import { batchFactory, batchSchema } from '../../src/processors/batch/processor.ts';
import { dropInvalidPoints } from '../../src/receivers/otlp/validate.ts';
import { everything } from './everything.ts';

const EXAMPLE = readFileSync(new URL('../fixtures/otlp/examples_metrics.json', import.meta.url), 'utf8');
const T = 1_700_000_000_000_000_000n;

/** Sums and histograms over a few metrics, like an SDK's export (the W2 shape, smaller). */
function sdkLike(client: number, points: number): MetricsData {
  const attrs = (i: number) => [
    { key: 'http.request.method', value: ['GET', 'POST'][i % 2]! },
    { key: 'http.response.status_code', value: BigInt(200 + (i % 3)) },
    { key: 'http.route', value: `/api/items/${i >> 2}` },
  ];
  const bounds = [0.005, 0.01, 0.1, 1];
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: `svc-${client}` }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeMetrics: [
          {
            scope: { name: 'lib', version: '1', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            metrics: [
              {
                name: 'requests',
                description: '',
                unit: '1',
                metadata: [],
                type: 'sum',
                temporality: 2,
                isMonotonic: true,
                points: Array.from({ length: points }, (_, i) => ({ attributes: attrs(i), startTimeUnixNano: T, timeUnixNano: T + 1n, flags: 0, value: i * 1.5, exemplars: [] })),
              },
              {
                name: 'latency',
                description: '',
                unit: 's',
                metadata: [],
                type: 'histogram',
                temporality: 2,
                points: Array.from({ length: points }, (_, i) => ({
                  attributes: attrs(i),
                  startTimeUnixNano: T,
                  timeUnixNano: T + 1n,
                  flags: 0,
                  count: 10,
                  sum: 1.25,
                  bucketCounts: [1, 2, 3, 4, 0],
                  explicitBounds: bounds,
                  exemplars: [],
                  min: undefined,
                  max: undefined,
                })),
              },
            ],
          },
        ],
      },
    ],
  };
}

function outcome(f: () => MetricsData): { error: string } | { md: MetricsData } {
  try {
    return { md: f() };
  } catch (e) {
    if (!(e instanceof ProtoDecodeError)) throw e;
    return { error: e.message };
  }
}

/** The lazy and eager decodes agree: same error, or same data, points, resources; invalid points are never lazy. */
function assertSame(bytes: Uint8Array, what: string): void {
  const eager = outcome(() => decodeExportMetricsRequest(bytes));
  const lazy = outcome(() => decodeExportMetricsRequestLazy(bytes));
  if ('error' in eager) {
    assert.deepStrictEqual(lazy, eager, `${what}: same error`);
    return;
  }
  assert.ok('md' in lazy, `${what}: lazy decode threw but eager did not`);
  const state = lazyState(lazy.md);
  assert.equal(countDataPoints(lazy.md), countDataPoints(eager.md), `${what}: points`);
  assert.equal(resourceCount(lazy.md), eager.md.resourceMetrics.length, `${what}: resources`);
  if (state !== undefined) {
    const rejected = dropInvalidPoints(cloneMetricsData(eager.md)).rejected;
    assert.equal(rejected, 0, `${what}: a request with ${rejected} invalid point(s) was left undecoded`);
  }
  assert.deepStrictEqual(lazy.md, eager.md, `${what}: data`);
  assert.equal(lazyState(lazy.md), undefined, `${what}: decoded once read`);
}

test('valid requests stay undecoded until read, are counted without decoding, and then equal the eager decode', () => {
  const inputs: Array<[string, Uint8Array]> = [
    ['everything', encodeExportMetricsRequest(everything())],
    ['examples_metrics.json', encodeExportMetricsRequest(decodeExportMetricsRequestJson(EXAMPLE))],
    ['sdk-like', encodeExportMetricsRequest(sdkLike(1, 40))],
  ];
  for (const [what, bytes] of inputs) {
    const md = decodeExportMetricsRequestLazy(bytes);
    assert.ok(lazyState(md) !== undefined, `${what}: lazy`);
    const eager = decodeExportMetricsRequest(bytes);
    assert.equal(countDataPoints(md), countDataPoints(eager));
    assert.ok(lazyState(md) !== undefined, `${what}: counting did not decode`);
    assert.deepStrictEqual({ ...md }, { ...eager }, `${what}: spread sees the data`);
    assert.equal(lazyState(md), undefined);
    assert.deepStrictEqual(encodeExportMetricsRequest(md), bytes);
  }
});

test('writing resourceMetrics of an undecoded request replaces it (no decode)', () => {
  const md = decodeExportMetricsRequestLazy(encodeExportMetricsRequest(sdkLike(2, 3)));
  const mine: ResourceMetrics[] = [];
  md.resourceMetrics = mine;
  assert.equal(md.resourceMetrics, mine);
  assert.equal(countDataPoints(md), 0);
});

test('truncations and byte corruptions: the scan and the decoder agree on every input', () => {
  const bytes = encodeExportMetricsRequest({ resourceMetrics: [everything().resourceMetrics[0]!, sdkLike(3, 4).resourceMetrics[0]!] });
  for (let i = 0; i <= bytes.length; i += 3) assertSame(bytes.subarray(0, i), `prefix ${i}`);
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let k = 0; k < 3000; k++) {
    const b = bytes.slice();
    for (let j = 0; j < 1 + Math.floor(rand() * 3); j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    assertSame(b, `corruption ${k}`);
  }
});

test('requests with points the receiver rejects are decoded eagerly (the receiver validates them as before)', () => {
  const cases: Array<[string, (md: MetricsData) => void]> = [
    ['histogram bounds not increasing', (md) => (hist(md).explicitBounds = [1, 1, 2, 3])],
    ['histogram bound NaN', (md) => (hist(md).explicitBounds = [0.1, NaN, 2, 3])],
    ['bucket_counts length', (md) => (hist(md).bucketCounts = [1, 2])],
  ];
  for (const [what, spoil] of cases) {
    const md = sdkLike(4, 3);
    spoil(md);
    const bytes = encodeExportMetricsRequest(md);
    assert.equal(lazyState(decodeExportMetricsRequestLazy(bytes)), undefined, what);
    assert.ok(dropInvalidPoints(decodeExportMetricsRequest(bytes)).rejected > 0, `${what} is invalid`);
    assertSame(bytes, what);
  }
  const ev = everything();
  for (const m of ev.resourceMetrics[0]!.scopeMetrics[0]!.metrics) {
    if (m.type === 'exponential_histogram') m.points[0]!.scale = 30;
    if (m.type === 'summary') m.points[0]!.quantileValues = [{ quantile: 1.5, value: 1 }];
  }
  const bytes = encodeExportMetricsRequest(ev);
  assert.equal(lazyState(decodeExportMetricsRequestLazy(bytes)), undefined, 'exp histogram scale / summary quantile');
  assertSame(bytes, 'exp histogram scale / summary quantile');
});

function hist(md: MetricsData) {
  const m = md.resourceMetrics[0]!.scopeMetrics[0]!.metrics[1]!;
  assert.equal(m.type, 'histogram');
  return m.points[0]!;
}

test('metric data oneof: points are counted as the decoder keeps them (a different data field starts over)', () => {
  const w = new ProtoWriter();
  const point = (v: number) => {
    w.tag(1, 2);
    const p = w.fork();
    w.fixed64Field(3, T);
    w.doubleField(4, v);
    w.ldelim(p);
  };
  const data = (field: number, n: number) => {
    w.tag(field, 2);
    const d = w.fork();
    for (let i = 0; i < n; i++) point(i);
    w.ldelim(d);
  };
  w.tag(1, 2);
  const rm = w.fork();
  w.tag(2, 2);
  const sm = w.fork();
  for (const fields of [[5, 5], [5, 7], [7, 5, 5]]) {
    w.tag(2, 2);
    const m = w.fork();
    w.stringField(1, 'm');
    for (const [i, f] of fields.entries()) data(f, i + 2);
    w.ldelim(m);
  }
  w.ldelim(sm);
  w.ldelim(rm);
  const bytes = w.finish().slice();
  const md = decodeExportMetricsRequestLazy(bytes);
  assert.equal(countDataPoints(md), 2 + 3 + 3 + 3 + 4);
  assertSame(bytes, 'oneof');
});

function testSettings(): CreateSettings {
  const counter = { add: () => {} };
  return {
    id: 'batch',
    kind: 'processor',
    logger: undefined as never,
    telemetry: { counter: () => counter, histogram: () => ({ record: () => {} }), gauge: (name) => ({ name }), snapshot: () => ({}), dispose: () => {} },
  };
}

test('batch merges undecoded requests as bytes: the batch stays undecoded, its encoding is the concatenation', async () => {
  const out: MetricsData[] = [];
  const next = { mutatesData: false, consume: async (md: MetricsData, _ctx: ConsumeContext) => void out.push(md) };
  const proc = batchFactory.create(testSettings(), batchSchema.parse({ send_batch_size: 30, timeout: '1s' }), next);
  const parts = [sdkLike(1, 5), sdkLike(2, 5), sdkLike(3, 5)].map((m) => encodeExportMetricsRequest(m));
  const sent = parts.map((b) => {
    const md = decodeExportMetricsRequestLazy(b);
    md.encoded = b;
    return proc.consume(md, {});
  });
  await Promise.all(sent);
  assert.equal(out.length, 1);
  const md = out[0]!;
  assert.ok(lazyState(md) !== undefined, 'the merged batch was not decoded');
  assert.equal(countDataPoints(md), 30);
  assert.deepStrictEqual(md.encoded, Buffer.concat(parts));
  assert.deepStrictEqual(md.resourceMetrics, parts.flatMap((b) => decodeExportMetricsRequest(b).resourceMetrics));
  await proc.shutdown();
});

test('batch with send_batch_max_size splits lazy parts by points (decoded, no stale encoding)', async () => {
  const out: MetricsData[] = [];
  const next = { mutatesData: false, consume: async (md: MetricsData, _ctx: ConsumeContext) => void out.push(md) };
  const proc = batchFactory.create(testSettings(), batchSchema.parse({ send_batch_size: 25, send_batch_max_size: 25, timeout: '1s' }), next);
  const parts = [sdkLike(1, 5), sdkLike(2, 5), sdkLike(3, 5)].map((m) => encodeExportMetricsRequest(m));
  await Promise.all(
    parts.map((b) => {
      const md = decodeExportMetricsRequestLazy(b);
      md.encoded = b;
      return proc.consume(md, {});
    }),
  );
  assert.deepStrictEqual(out.map(countDataPoints), [25, 5]);
  for (const md of out) assert.equal(md.encoded, undefined);
  const names = (mds: MetricsData[]) => mds.flatMap((m) => m.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((x) => `${x.name}:${x.points.length}`))));
  assert.deepStrictEqual(names(out), ['requests:5', 'latency:5', 'requests:5', 'latency:5', 'requests:5', 'latency:5']);
  assert.deepStrictEqual(out[0]!.resourceMetrics[0], decodeExportMetricsRequest(parts[0]!).resourceMetrics[0]);
  await proc.shutdown();
});

test('attribute shapes the scan checks byte by byte agree with the decoder (valid, invalid, and unusual forms)', () => {
  const kv = (body: number[]) => [0x0a, body.length, ...body];
  const str = (s: string) => [...Buffer.from(s, 'latin1')];
  const key = (k: number[]) => [0x0a, k.length, ...k];
  const value = (v: number[]) => [0x12, v.length, ...v];
  const shapes: Array<[string, number[]]> = [
    ['string', kv([...key(str('k')), ...value([0x0a, 2, ...str('ab')])])],
    ['non-ASCII UTF-8 key', kv([...key([0xc3, 0xa9]), ...value([0x0a, 1, 0x61])])],
    ['invalid UTF-8 key', kv([...key([0xc3, 0x28]), ...value([0x0a, 1, 0x61])])],
    ['invalid UTF-8 value', kv([...key(str('k')), ...value([0x0a, 2, 0xff, 0x61])])],
    ['int, 1 byte', kv([...key(str('k')), ...value([0x18, 0x05])])],
    ['int, 10 bytes (-1)', kv([...key(str('k')), ...value([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])])],
    ['int, 10 bytes overflowing', kv([...key(str('k')), ...value([0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])])],
    ['int, truncated varint', kv([...key(str('k')), ...value([0x18, 0x80])])],
    ['bool', kv([...key(str('k')), ...value([0x10, 0x01])])],
    ['double', kv([...key(str('k')), ...value([0x21, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f])])],
    ['double, short', kv([...key(str('k')), ...value([0x21, 0, 0, 0, 0, 0, 0xf0, 0x3f])])],
    ['no value', kv([...key(str('k'))])],
    ['empty AnyValue', kv([...key(str('k')), ...value([])])],
    ['value before key', kv([...value([0x0a, 1, 0x61]), ...key(str('k'))])],
    ['two values (last wins)', kv([...key(str('k')), ...value([0x0a, 1, 0x61]), ...value([0x18, 0x02])])],
    ['key with wrong wire type', kv([0x08, 0x01, ...value([0x18, 0x02])])],
    ['value length past the KeyValue', kv([...key(str('k')), 0x12, 0x05, 0x18, 0x01])],
    ['string length past the value', kv([...key(str('k')), ...value([0x0a, 0x05, 0x61])])],
    ['array value', kv([...key(str('k')), ...value([0x2a, 4, 0x0a, 2, 0x18, 1])])],
    ['bytes value', kv([...key(str('k')), ...value([0x3a, 2, 0xff, 0xfe])])],
    ['unknown field in AnyValue', kv([...key(str('k')), ...value([0x40, 0x01])])],
  ];
  for (const [what, kvBytes] of shapes) {
    // ExportMetricsServiceRequest { resource_metrics { resource { attributes: <kv> } } }
    const resource = [0x0a, kvBytes.length, ...kvBytes];
    const rm = [0x0a, resource.length, ...resource];
    const bytes = Uint8Array.from([0x0a, rm.length, ...rm]);
    assertSame(bytes, what);
  }
});

test('usesEncodedOnly: receivers go lazy only when every consumer downstream just forwards encoded bytes', async () => {
  const { fanOut } = await import('../../src/consumer/fanout.ts');
  const { otlpExporterFactory } = await import('../../src/exporters/otlp/exporter.ts');
  const { otlpHttpExporterFactory } = await import('../../src/exporters/otlphttp/exporter.ts');
  const { otlpExporterSchema } = await import('../../src/exporters/otlp/config.ts');
  const { otlpHttpExporterSchema } = await import('../../src/exporters/otlphttp/config.ts');
  const settings = { ...testSettings(), kind: 'exporter' as const };
  const grpcOut = otlpExporterFactory.create(settings, otlpExporterSchema.parse({ endpoint: '127.0.0.1:1' }));
  const protoOut = otlpHttpExporterFactory.create(settings, otlpHttpExporterSchema.parse({ endpoint: 'http://127.0.0.1:1' }));
  const jsonOut = otlpHttpExporterFactory.create(settings, otlpHttpExporterSchema.parse({ endpoint: 'http://127.0.0.1:1', encoding: 'json' }));
  const reader: Consumer = { mutatesData: false, consume: async () => {} };
  const mutator: Consumer = { mutatesData: true, usesEncodedOnly: true, consume: async () => {} };
  assert.equal(grpcOut.usesEncodedOnly, true);
  assert.equal(protoOut.usesEncodedOnly, true);
  assert.equal(jsonOut.usesEncodedOnly, false, 'JSON is encoded from the objects');
  assert.equal(fanOut([grpcOut, protoOut]).usesEncodedOnly, true);
  assert.equal(fanOut([grpcOut, reader]).usesEncodedOnly, false);
  assert.equal(fanOut([grpcOut, mutator]).usesEncodedOnly, false, 'a clone reads the objects');
  const batchTo = (next: Consumer) => batchFactory.create(testSettings(), batchSchema.parse({}), next).usesEncodedOnly;
  assert.equal(batchTo(fanOut([grpcOut, protoOut])), true);
  assert.equal(batchTo(reader), false);
});
