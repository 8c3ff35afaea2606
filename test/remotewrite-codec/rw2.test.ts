/** RW 2.0 codec: symbol table rules, refs, metadata, created timestamps, exemplars, protobufjs cross-check. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeWriteV2Request, RemoteWriteV2Encoder, RemoteWriteV2Error, uncompressBlock } from '../../src/codec/remotewrite/index.ts';
import { ProtoWriter } from '../../src/codec/protobuf/index.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/translator.ts';
import type { SeriesRef } from '../../src/translate/prometheus/types.ts';
import { SeriesKind } from '../../src/translate/prometheus/types.ts';
import { float64Bits, isStaleNaN } from '../../src/translate/prometheus/values.ts';
import { rw2Root, sampleBatch, toObjectOptions } from './fixtures.ts';

const Request = rw2Root.lookupType('io.prometheus.write.v2.Request');
const TS = 1_700_000_000_000;

function encodeBatch() {
  const enc = new RemoteWriteV2Encoder();
  const stats = new PrometheusTranslator({ promoteScopeMetadata: false }).translate(sampleBatch(), enc);
  return { enc, stats, bytes: enc.finish().slice() };
}

describe('RW 2.0 encoder', () => {
  test('symbol table: symbols[0] is "", no duplicates, all refs in range, labels_refs even and sorted', () => {
    const { bytes, stats } = encodeBatch();
    const req = decodeWriteV2Request(bytes);
    assert.equal(req.symbols[0], '');
    assert.equal(new Set(req.symbols).size, req.symbols.length, 'deduplicated');
    assert.equal(req.timeseries.length, stats.samples);
    for (const ts of req.timeseries) {
      assert.equal(ts.labelsRefs.length % 2, 0);
      assert.ok(ts.labelsRefs.every((r) => r > 0 && r < req.symbols.length), 'label refs point to non-empty symbols');
      const names = ts.labels.map((l) => l.name);
      assert.deepEqual(names, [...names].sort());
      assert.ok(names.includes('__name__'));
      assert.equal(ts.samples.length, 1);
      assert.equal(ts.histograms, 0);
      for (const e of ts.exemplars) assert.equal(e.labelsRefs.length % 2, 0);
    }
    // Every symbol is used at least once (no garbage in the table).
    const used = new Set<number>([0]);
    for (const ts of req.timeseries) {
      for (const r of ts.labelsRefs) used.add(r);
      for (const e of ts.exemplars) for (const r of e.labelsRefs) used.add(r);
      used.add(ts.metadata.helpRef).add(ts.metadata.unitRef);
    }
    assert.equal(used.size, req.symbols.length);
  });

  test('values, stale marker bits, metadata per series, created timestamps, exemplars', () => {
    const { bytes } = encodeBatch();
    const req = decodeWriteV2Request(bytes);
    const by = (n: string) => req.timeseries.filter((t) => t.labels.find((l) => l.name === '__name__')!.value === n);
    const temp = by('temp_celsius');
    assert.equal(temp[0]!.samples[0]!.value, 21.5);
    assert.equal(temp[0]!.samples[0]!.timestamp, TS);
    assert.ok(isStaleNaN(temp[1]!.samples[0]!.value), float64Bits(temp[1]!.samples[0]!.value));
    assert.deepEqual(temp[0]!.metadata, { type: 2, helpRef: temp[0]!.metadata.helpRef, unitRef: temp[0]!.metadata.unitRef, help: 'Temperature', unit: 'celsius' });
    assert.equal(temp[0]!.createdTimestamp, 0, 'gauges carry no created timestamp');
    const c = by('http_requests_total')[0]!;
    assert.equal(c.metadata.type, 1);
    assert.equal(c.createdTimestamp, TS - 60_000);
    assert.deepEqual(c.exemplars.map((e) => [e.labels, e.value, e.timestamp]), [
      [[{ name: 'span_id', value: '0707070707070707' }, { name: 'trace_id', value: 'aa'.repeat(16) }, { name: 'user', value: 'u' }], 1, TS - 1000],
    ]);
    for (const n of ['latency_seconds_bucket', 'latency_seconds_sum', 'latency_seconds_count']) {
      for (const t of by(n)) {
        assert.equal(t.metadata.type, 3, `${n} has histogram metadata`);
        assert.equal(t.metadata.unit, 'seconds');
        assert.equal(t.createdTimestamp, TS - 60_000);
      }
    }
    assert.equal(by('rpc_milliseconds')[0]!.metadata.type, 5);
    assert.equal(by('rpc_milliseconds')[0]!.metadata.helpRef, 0, 'empty help -> ref 0');
  });

  test('protobufjs decodes the same request', () => {
    const { bytes } = encodeBatch();
    const ours = decodeWriteV2Request(bytes);
    const theirs = Request.toObject(Request.decode(bytes), toObjectOptions) as any;
    assert.deepEqual(theirs.symbols, ours.symbols);
    theirs.timeseries.forEach((t: any, i: number) => {
      const o = ours.timeseries[i]!;
      assert.deepEqual(t.labelsRefs, o.labelsRefs);
      assert.equal(float64Bits(t.samples[0].value), float64Bits(o.samples[0]!.value));
      assert.equal(t.samples[0].timestamp, o.samples[0]!.timestamp);
      assert.equal(t.createdTimestamp, o.createdTimestamp);
      assert.deepEqual([t.metadata.type, t.metadata.helpRef, t.metadata.unitRef], [o.metadata.type, o.metadata.helpRef, o.metadata.unitRef]);
      assert.deepEqual(t.exemplars.map((e: any) => [e.labelsRefs, e.value, e.timestamp]), o.exemplars.map((e) => [e.labelsRefs, e.value, e.timestamp]));
    });
  });

  test('bytes equal protobufjs encoding of the decoded request (symbols first, canonical)', () => {
    const { bytes } = encodeBatch();
    const o = decodeWriteV2Request(bytes);
    const nz = (v: number) => (v === 0 && !Object.is(v, -0) ? undefined : v);
    const msg = Request.fromObject({
      symbols: o.symbols,
      timeseries: o.timeseries.map((t) => ({
        labelsRefs: t.labelsRefs,
        samples: t.samples.map((s) => ({ value: nz(s.value), timestamp: nz(s.timestamp) })),
        exemplars: t.exemplars.map((e) => ({ labelsRefs: e.labelsRefs, value: nz(e.value), timestamp: nz(e.timestamp) })),
        metadata: { type: nz(t.metadata.type), helpRef: nz(t.metadata.helpRef), unitRef: nz(t.metadata.unitRef) },
        createdTimestamp: nz(t.createdTimestamp),
      })),
    });
    assert.deepEqual(Buffer.from(Request.encode(msg).finish()), Buffer.from(bytes));
  });

  test('reset starts a fresh symbol table; snappy round trip', () => {
    const enc = new RemoteWriteV2Encoder();
    const r: SeriesRef = { name: 'a', labels: [{ name: 'x', value: 'y' }] };
    enc.family('a', 'gauge', 'help a', '');
    enc.series(r, 1, TS, SeriesKind.GAUGE, 0, undefined);
    assert.deepEqual(decodeWriteV2Request(enc.finish()).symbols, ['', '__name__', 'a', 'x', 'y', 'help a']);
    enc.reset();
    enc.series({ name: 'b', labels: [] }, 2, TS, SeriesKind.GAUGE, 0, undefined);
    const req = decodeWriteV2Request(new Uint8Array(uncompressBlock(enc.finishSnappy())));
    assert.deepEqual(req.symbols, ['', '__name__', 'b', 'help a'], 'family context carries over, re-interned');
    assert.equal(req.timeseries[0]!.metadata.help, 'help a');
    assert.equal(req.timeseries[0]!.samples[0]!.value, 2);
  });

  test('invalid label sets are counted and not written; UTF-8 names allowed by default', () => {
    const enc = new RemoteWriteV2Encoder();
    enc.series({ name: 'm', labels: [{ name: 'b', value: '1' }, { name: 'a', value: '1' }] }, 1, TS, SeriesKind.GAUGE, 0, undefined);
    enc.series({ name: 'm', labels: [{ name: 'a', value: '' }] }, 1, TS, SeriesKind.GAUGE, 0, undefined);
    enc.series({ name: 'http.requests', labels: [{ name: 'ü', value: '1' }] }, 1, TS, SeriesKind.GAUGE, 0, undefined);
    assert.equal(enc.stats.rejected, 2);
    assert.equal(enc.stats.rejectedByReason.unsorted_labels, 1);
    assert.equal(enc.stats.rejectedByReason.empty_label_value, 1);
    assert.deepEqual(decodeWriteV2Request(enc.finish()).timeseries.map((t) => t.labels), [
      [{ name: '__name__', value: 'http.requests' }, { name: 'ü', value: '1' }],
    ]);
  });

  test('decoder rejects symbol-table violations', () => {
    const build = (symbols: string[], refs: number[]) => {
      const w = new ProtoWriter();
      for (const s of symbols) w.stringField(4, s);
      w.tag(5, 2);
      const at = w.fork();
      w.tag(1, 2);
      const lr = w.fork();
      for (const r of refs) w.uint32(r);
      w.ldelim(lr);
      w.ldelim(at);
      return w.finish();
    };
    assert.throws(() => decodeWriteV2Request(build(['', 'a', 'b'], [1, 5])), RemoteWriteV2Error);
    assert.throws(() => decodeWriteV2Request(build(['', 'a', 'b'], [1])), /odd length/);
    assert.throws(() => decodeWriteV2Request(build(['x', 'a', 'b'], [1, 2])), /symbols\[0\]/);
    assert.deepEqual(decodeWriteV2Request(build(['', 'a', 'b'], [1, 2])).timeseries[0]!.labels, [{ name: 'a', value: 'b' }]);
  });

  test('registry compaction between requests keeps output correct (memos regenerate)', () => {
    const data = sampleBatch();
    for (const m of data.resourceMetrics[0]!.scopeMetrics[0]!.metrics) for (const p of m.points) p.prom = { name: m.name, labels: [] };
    const t = new PrometheusTranslator({ promoteScopeMetadata: false });
    const enc = new RemoteWriteV2Encoder({ symbolLimit: 5 });
    const decoded: string[] = [];
    for (let i = 0; i < 3; i++) {
      enc.reset();
      t.translate(data, enc);
      const req = decodeWriteV2Request(enc.finish());
      decoded.push(JSON.stringify(req.timeseries.map((ts) => [ts.labels, ts.samples, ts.metadata.help])));
      if (i > 0) assert.equal(enc.registry.gen, i, 'compacted at each reset (limit 5)');
    }
    assert.equal(decoded[1], decoded[0]);
    assert.equal(decoded[2], decoded[0]);
  });
});
