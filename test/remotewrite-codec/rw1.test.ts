/** RW 1.0 codec: translator -> encoder -> decoder equality, protobufjs byte cross-check, snappy, label validation. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeWriteRequest, encodeWriteRequest, RemoteWriteV1Encoder, uncompressBlock } from '../../src/codec/remotewrite/index.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/translator.ts';
import type { SeriesRef } from '../../src/translate/prometheus/types.ts';
import { SeriesKind } from '../../src/translate/prometheus/types.ts';
import { float64Bits, isStaleNaN, STALE_NAN } from '../../src/translate/prometheus/values.ts';
import { rw1Root, sampleBatch, toObjectOptions } from './fixtures.ts';

const WriteRequest = rw1Root.lookupType('prometheus.WriteRequest');
const TS = 1_700_000_000_000;

function encodeBatch(opts: ConstructorParameters<typeof RemoteWriteV1Encoder>[0] = {}) {
  const enc = new RemoteWriteV1Encoder(opts);
  const stats = new PrometheusTranslator({ promoteScopeMetadata: false }).translate(sampleBatch(), enc);
  return { enc, stats, bytes: enc.finish().slice() };
}

const lbl = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

describe('RW 1.0 encoder', () => {
  test('translated batch decodes to the expected series, labels sorted with __name__', () => {
    const { enc, stats, bytes } = encodeBatch();
    const req = decodeWriteRequest(bytes);
    const flat = req.timeseries.map((t) => ({ labels: Object.fromEntries(t.labels.map((l) => [l.name, l.value])), s: t.samples }));
    assert.equal(req.timeseries.length, stats.samples);
    assert.equal(enc.stats.samples, stats.samples);
    const names = flat.map((f) => f.labels.__name__);
    assert.deepEqual(names, [
      'temp_celsius', 'temp_celsius', 'http_requests_total',
      'latency_seconds_bucket', 'latency_seconds_bucket', 'latency_seconds_bucket', 'latency_seconds_sum', 'latency_seconds_count',
      'rpc_milliseconds', 'rpc_milliseconds', 'rpc_milliseconds_sum', 'rpc_milliseconds_count', 'target_info',
    ]);
    for (const t of req.timeseries) {
      const n = t.labels.map((l) => l.name);
      assert.deepEqual(n, [...n].sort(), 'sorted');
      assert.equal(new Set(n).size, n.length, 'unique');
      assert.ok(t.labels.every((l) => l.name !== '' && l.value !== ''), 'no empty names/values');
      assert.equal(t.samples.length, 1);
      assert.equal(t.samples[0]!.timestamp, TS);
    }
    assert.deepEqual(flat[0]!.labels, { __name__: 'temp_celsius', instance: 'pod-1', job: 'api', room: 'küche 🚀' });
    assert.equal(flat[0]!.s[0]!.value, 21.5);
    assert.ok(isStaleNaN(req.timeseries[1]!.samples[0]!.value), `stale bits survive: ${float64Bits(req.timeseries[1]!.samples[0]!.value)}`);
    assert.equal(flat[2]!.s[0]!.value, 1234);
    assert.deepEqual(req.timeseries[2]!.exemplars, [
      { labels: lbl({ span_id: '0707070707070707', trace_id: 'aa'.repeat(16), user: 'u' }), value: 1, timestamp: TS - 1000 },
    ]);
    assert.deepEqual(flat.slice(3, 8).map((f) => [f.labels.le, f.s[0]!.value]), [['0.1', 1], ['1', 3], ['+Inf', 6], [undefined, 1.5], [undefined, 6]]);
    assert.equal(req.timeseries[4]!.exemplars[0]!.value, 0.5, 'histogram exemplar on le=1');
    assert.deepEqual(flat[12]!.labels, { __name__: 'target_info', host_name: 'h1', instance: 'pod-1', job: 'api' });
    assert.deepEqual(req.metadata, []);
  });

  test('protobufjs decodes our bytes to the same content', () => {
    const { bytes } = encodeBatch({ sendMetadata: true });
    const ours = decodeWriteRequest(bytes);
    const theirs = WriteRequest.toObject(WriteRequest.decode(bytes), toObjectOptions) as any;
    assert.equal(theirs.timeseries.length, ours.timeseries.length);
    theirs.timeseries.forEach((t: any, i: number) => {
      const o = ours.timeseries[i]!;
      assert.deepEqual(t.labels, o.labels);
      assert.equal(t.samples[0].timestamp, o.samples[0]!.timestamp);
      assert.equal(float64Bits(t.samples[0].value), float64Bits(o.samples[0]!.value));
      assert.deepEqual(t.exemplars, o.exemplars);
    });
    assert.deepEqual(theirs.metadata, ours.metadata);
    assert.deepEqual(ours.metadata.map((m) => [m.type, m.metricFamilyName, m.help, m.unit]), [
      [2, 'temp_celsius', 'Temperature', 'celsius'],
      [1, 'http_requests_total', 'Requests', ''],
      [3, 'latency_seconds', 'Latency', 'seconds'],
      [5, 'rpc_milliseconds', '', 'milliseconds'],
      [2, 'target_info', 'Target metadata', ''],
    ]);
  });

  test('bytes equal protobufjs encoding of the same request (canonical proto3)', () => {
    const { bytes } = encodeBatch({ sendMetadata: false });
    const ours = decodeWriteRequest(bytes);
    // Build the protobufjs message without default-valued scalars (proto3 canonical form omits them).
    const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0 || Object.is(v, -0)));
    const msg = WriteRequest.fromObject({
      timeseries: ours.timeseries.map((t) => ({
        labels: t.labels,
        samples: t.samples.map((s) => strip({ ...s })),
        exemplars: t.exemplars.map((e) => strip({ ...e })),
      })),
    });
    // Stale NaN: protobufjs writes through Float64Array too, so the payload survives either way.
    assert.deepEqual(Buffer.from(WriteRequest.encode(msg).finish()), Buffer.from(bytes));
    assert.deepEqual(encodeWriteRequest({ timeseries: ours.timeseries }), bytes);
  });

  test('snappy block round trip (block format: varint length first, no stream identifier)', () => {
    const { enc, bytes } = encodeBatch();
    const z = enc.finishSnappy();
    assert.notEqual(z[0], 0xff, 'not the framed format');
    let len = 0;
    for (let i = 0, shift = 0; ; i++, shift += 7) {
      len += (z[i]! & 0x7f) * 2 ** shift;
      if (z[i]! < 0x80) break;
    }
    assert.equal(len, bytes.length);
    assert.deepEqual(new Uint8Array(uncompressBlock(z)), bytes);
  });

  test('label bytes are memoised per SeriesRef and reused across batches; reset starts a new request', () => {
    const data = sampleBatch();
    for (const m of data.resourceMetrics[0]!.scopeMetrics[0]!.metrics) for (const p of m.points) p.prom = { name: m.name, labels: [] };
    const t = new PrometheusTranslator({ promoteScopeMetadata: false, targetInfo: false });
    const enc = new RemoteWriteV1Encoder();
    t.translate(data, enc);
    const first = enc.finish().slice();
    const memo = (data.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0]!.prom!.memo as { base: SeriesRef }).base.rw1;
    assert.ok(memo instanceof Uint8Array);
    enc.reset();
    t.translate(data, enc);
    assert.deepEqual(enc.finish(), first, 'same bytes for the same input');
    const again = (data.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0]!.prom!.memo as { base: SeriesRef }).base.rw1;
    assert.equal(again, memo, 'same memo object');
  });

  test('invalid label sets are rejected and counted, never written', () => {
    const enc = new RemoteWriteV1Encoder();
    const ref = (name: string, labels: Record<string, string>, order?: string[]): SeriesRef => ({
      name,
      labels: (order ?? Object.keys(labels)).map((k) => ({ name: k, value: labels[k]! })),
    });
    const bad: [SeriesRef, string][] = [
      [ref('m', { b: '1', a: '2' }), 'unsorted_labels'],
      [ref('m', { a: '1' }, ['a', 'a']), 'duplicate_label'],
      [ref('m', { a: '' }), 'empty_label_value'],
      [ref('m', { '': 'x' }), 'empty_label_name'],
      [ref('', { a: '1' }), 'empty_metric_name'],
      [ref('m', { __name__: 'x' }), 'duplicate_label'],
      [ref('bad.name', { a: '1' }), 'invalid_metric_name'],
      [ref('m', { 'a-b': '1' }), 'invalid_label_name'],
    ];
    for (const [r] of bad) enc.series(r, 1, TS, SeriesKind.GAUGE, 0, undefined);
    enc.series(ref('good', { a: '1' }), 1, TS, SeriesKind.GAUGE, 0, undefined);
    assert.equal(enc.stats.rejected, bad.length);
    for (const [, why] of bad) assert.ok(enc.stats.rejectedByReason[why as 'unsorted_labels'] > 0, why);
    const req = decodeWriteRequest(enc.finish());
    assert.deepEqual(req.timeseries.map((t) => t.labels), [lbl({ __name__: 'good', a: '1' })]);
    // UTF-8 names pass when legacyNames is off.
    const utf8 = new RemoteWriteV1Encoder({ legacyNames: false });
    utf8.series(ref('bad.name', { 'a-b': '1' }), 1, TS, SeriesKind.GAUGE, 0, undefined);
    assert.equal(utf8.stats.rejected, 0);
  });

  test('special values and timestamps: -0, NaN, ±Inf, max/min double, zero and negative timestamps', () => {
    const enc = new RemoteWriteV1Encoder();
    const r: SeriesRef = { name: 'v', labels: [] };
    const vals = [0, -0, NaN, Infinity, -Infinity, 1.7976931348623157e308, 2.2250738585072014e-308, STALE_NAN];
    const tss = [0, -1, 1, 2 ** 53 - 1, TS, TS, TS, TS];
    vals.forEach((v, i) => enc.series(r, v, tss[i]!, SeriesKind.GAUGE, 0, undefined));
    const req = decodeWriteRequest(enc.finish());
    req.timeseries.forEach((t, i) => {
      assert.equal(float64Bits(t.samples[0]!.value), float64Bits(vals[i]!));
      assert.equal(t.samples[0]!.timestamp, tss[i]);
    });
    const theirs = WriteRequest.toObject(WriteRequest.decode(enc.finish()), toObjectOptions) as any;
    assert.deepEqual(theirs.timeseries.map((t: any) => t.samples[0].timestamp), tss);
  });
});

describe('RW encoders: cacheable and non-cacheable refs', () => {
  test('points with and without prom identity encode to identical requests (RW 1.0 and 2.0)', async () => {
    const { RemoteWriteV2Encoder } = await import('../../src/codec/remotewrite/index.ts');
    const withProm = sampleBatch();
    for (const m of withProm.resourceMetrics[0]!.scopeMetrics[0]!.metrics) for (const p of m.points) p.prom = { name: m.name, labels: [] };
    for (const make of [() => new RemoteWriteV1Encoder({ sendMetadata: true }), () => new RemoteWriteV2Encoder()]) {
      const out: Uint8Array[] = [];
      for (const data of [sampleBatch(), withProm, withProm]) {
        const enc = make();
        new PrometheusTranslator({ promoteScopeMetadata: false }).translate(data, enc);
        out.push(enc.finish().slice());
      }
      assert.deepEqual(out[1], out[0]);
      assert.deepEqual(out[2], out[0]);
    }
  });

  test('a namespace the suffix namer leaves unescaped is rejected as invalid_metric_name, not sent', () => {
    const enc = new RemoteWriteV1Encoder();
    const stats = new PrometheusTranslator({ namespace: 'my-ns', targetInfo: false, promoteScopeMetadata: false }).translate(sampleBatch(), enc);
    assert.equal(stats.dropped, 0);
    assert.equal(enc.stats.series, 0);
    assert.equal(enc.stats.rejectedByReason.invalid_metric_name, stats.samples);
  });
});
