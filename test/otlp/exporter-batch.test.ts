/**
 * `sending_queue.batch` on the `otlp` / `otlphttp` exporters (the Collector's exporterhelper batching): small client
 * requests leave as fewer, larger requests (by size or after flush_timeout), large ones are split at max_size,
 * nothing is lost or duplicated, and shutdown sends what is pending.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeExportMetricsRequest } from '../../src/codec/otlp/index.ts';
import { countDataPoints } from '../../src/model/count.ts';
import type { MetricsData } from '../../src/model/types.ts';
import { exportBatchSchema } from '../../src/exporters/helper/batch-sender.ts';
import { edge, otlpPost, waitFor } from './helpers.ts';
import { OtlpSink } from './sink.ts';

const sink = new OtlpSink();
const PB = { 'content-type': 'application/x-protobuf' };

before(() => sink.start());
after(() => sink.stop());

/** A request of `n` gauge points of series `g{i}` (i from `from`), value `v`. */
function gauges(from: number, n: number, v: number): MetricsData {
  const points = Array.from({ length: n }, (_, i) => ({
    attributes: [{ key: 'i', value: String(from + i) }],
    startTimeUnixNano: 0n,
    timeUnixNano: 1_700_000_000_000_000_000n,
    flags: 0,
    value: v,
    exemplars: [],
  }));
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'batch-test' }], droppedAttributesCount: 0 },
        scopeMetrics: [{ scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 }, metrics: [{ name: 'g', description: '', unit: '', metadata: [], type: 'gauge', points }], schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}

function receivedSeries(): string[] {
  const out: string[] = [];
  for (const r of sink.received) for (const rm of r.md.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) for (const p of m.points) out.push(String(p.attributes[0]!.value));
  return out.sort((a, b) => Number(a) - Number(b));
}

test('config: batch defaults are the Collector\'s; max_size below min_size and other sizers are errors', () => {
  assert.deepEqual(exportBatchSchema.parse({}), { flush_timeout: 200, min_size: 8192, max_size: 0, sizer: 'items' });
  const bad = exportBatchSchema.safeParse({ min_size: 100, max_size: 10 });
  assert.equal(bad.success, false);
  assert.match(JSON.stringify(bad.error?.issues), /max_size \(10\) must be 0 or at least min_size \(100\)/);
  assert.equal(exportBatchSchema.safeParse({ sizer: 'bytes' }).success, false);
});

test('otlphttp: ten small requests leave as one once min_size is reached; every point arrives once', async () => {
  sink.received.length = 0;
  const { gw, url } = await edge(`  otlphttp:\n    endpoint: ${sink.httpUrl}\n    sending_queue:\n      batch: {min_size: 100, flush_timeout: 10s}\n`);
  try {
    // Concurrent: each client is answered once the request holding its points is queued (here: at the tenth).
    const answers = await Promise.all(Array.from({ length: 10 }, (_, r) => otlpPost(url, encodeExportMetricsRequest(gauges(r * 10, 10, r)), PB)));
    assert.deepEqual(answers.map((a) => a.status), new Array(10).fill(200));
    await waitFor(() => sink.received.length >= 1, 5000, 'the merged request');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sink.received.length, 1, 'one request for the ten');
    assert.equal(countDataPoints(sink.received[0]!.md), 100);
    assert.deepEqual(receivedSeries(), Array.from({ length: 100 }, (_, i) => String(i)));
  } finally {
    await gw.stop();
  }
});

test('otlp (gRPC): below min_size the batch leaves after flush_timeout; max_size splits a large request', async () => {
  sink.received.length = 0;
  const { gw, url } = await edge(`  otlp:\n    endpoint: ${sink.grpcAddress}\n    tls: {insecure: true}\n    sending_queue:\n      batch: {min_size: 1000, max_size: 1000, flush_timeout: 300ms}\n`);
  try {
    const t0 = Date.now();
    assert.equal((await otlpPost(url, encodeExportMetricsRequest(gauges(0, 5, 1)), PB)).status, 200);
    await waitFor(() => sink.received.length >= 1, 5000, 'the timed-out batch');
    assert.ok(Date.now() - t0 >= 250, `held until flush_timeout (${Date.now() - t0} ms)`);
    assert.equal(countDataPoints(sink.received[0]!.md), 5);
    sink.received.length = 0;
    assert.equal((await otlpPost(url, encodeExportMetricsRequest(gauges(0, 2500, 2)), PB)).status, 200);
    await waitFor(() => receivedSeries().length >= 2500, 5000, 'the split request');
    assert.deepEqual(sink.received.map((r) => countDataPoints(r.md)).sort((a, b) => b - a), [1000, 1000, 500], 'split at max_size (sent by parallel consumers, in any order)');
    assert.deepEqual(receivedSeries(), Array.from({ length: 2500 }, (_, i) => String(i)));
  } finally {
    await gw.stop();
  }
});

test('shutdown sends the pending batch instead of dropping it', async () => {
  sink.received.length = 0;
  const { gw, url } = await edge(`  otlphttp:\n    endpoint: ${sink.httpUrl}\n    sending_queue:\n      batch: {min_size: 1000, flush_timeout: 1m}\n`);
  const answer = otlpPost(url, encodeExportMetricsRequest(gauges(0, 7, 3)), PB);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(sink.received.length, 0, 'still pending');
  await gw.stop();
  assert.equal((await answer).status, 200, 'the client is answered once the batch is queued at shutdown');
  assert.equal(sink.received.length, 1);
  assert.equal(countDataPoints(sink.received[0]!.md), 7);
});
