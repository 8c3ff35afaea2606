/**
 * Persistent sending queue (file_storage + sending_queue.storage), in process: batches acknowledged while the server
 * is down survive a gateway restart and arrive once; a record torn by a crash is cut off and the rest delivered;
 * acknowledged segments are deleted; a full queue answers 429; a directory held by a live process is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../helpers/ports.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import { encodeExportMetricsRequest } from '../../src/codec/otlp/index.ts';
import { SegmentLog, frame } from '../../src/exporters/helper/persistent-queue-log.ts';
import type { MetricsData } from '../../src/model/types.ts';
import { everything } from '../otlp-codec/everything.ts';
import { normalise, otlpPost, testRegistry, waitFor } from './helpers.ts';
import { OtlpSink } from './sink.ts';

const PB = { 'content-type': 'application/x-protobuf' };

function tagged(i: number): MetricsData {
  const md = everything();
  md.resourceMetrics[0]!.resource.attributes.push({ key: 'batch', value: BigInt(i) });
  return md;
}
const batchOf = (md: MetricsData) => Number(md.resourceMetrics[0]!.resource.attributes.find((a) => a.key === 'batch')?.value);

function config(dir: string, port: number, sink: OtlpSink, queue = ''): string {
  return `
extensions:
  file_storage/q:
    directory: ${dir}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${port}
exporters:
  otlp:
    endpoint: ${sink.grpcAddress}
    tls:
      insecure: true
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 200ms
      max_elapsed_time: 0
    sending_queue:
      storage: file_storage/q
${queue}service:
  extensions: [file_storage/q]
${telemetryYaml()}  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [otlp]
`;
}

function queueDir(dir: string): string {
  return join(dir, 'exporter_otlp_metrics');
}

test('acknowledged batches survive a restart while the server is down, then arrive exactly once (a torn tail is cut off)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-'));
  const sink = new OtlpSink();
  await sink.start();
  await sink.stop(); // ports reserved, server down
  const [port] = await freePorts(1);
  let gw: TestGateway | undefined = await startGateway(config(dir, port!, sink), { registry: testRegistry() });
  try {
    for (let i = 0; i < 20; i++) assert.equal((await otlpPost(`http://127.0.0.1:${port}/v1/metrics`, encodeExportMetricsRequest(tagged(i)), PB)).status, 200);
    const segs = readdirSync(queueDir(dir)).filter((f) => f.startsWith('seg-'));
    assert.equal(segs.length, 1);
    assert.ok(statSync(join(queueDir(dir), segs[0]!)).size > 20 * 1000, 'batches are on disk');
    await gw.stop();
    gw = undefined;
    // Append half a record: what a kill -9 in the middle of a write leaves behind.
    appendFileSync(join(queueDir(dir), segs[0]!), frame(3, new Uint8Array(100)).subarray(0, 50));
    await sink.start();
    gw = await startGateway(config(dir, port!, sink), { registry: testRegistry() });
    const g = gw;
    assert.ok(g.logs.some((l) => String(l['msg']).includes('cut off a record torn by a crash')));
    assert.ok(g.logs.some((l) => String(l['msg']).includes('replaying batches left by the previous run') && l['batches'] === 20));
    await waitFor(() => sink.received.length >= 20, 10_000, '20 batches');
    await new Promise((r) => setTimeout(r, 300));
    const ids = sink.received.map((r) => batchOf(r.md)).sort((a, b) => a - b);
    assert.deepEqual(ids, Array.from({ length: 20 }, (_, i) => i), 'every batch exactly once');
    for (const r of sink.received) assert.deepEqual(normalise(r.md), normalise(tagged(batchOf(r.md))));
    await waitFor(() => (g.gw.status() as { components: Array<{ id: string; details: { queueSize: number } }> }).components.find((c) => c.id === 'otlp')!.details.queueSize === 0, 2000, 'queue empty');
  } finally {
    await gw?.stop();
    await sink.stop();
  }
});

test('segment log: rotation, deletion of acknowledged segments, replay from the cursor', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seglog-'));
  const log = new SegmentLog(dir, true, 1000);
  assert.equal((await log.open()).records.length, 0);
  const recs = [];
  for (let i = 0; i < 10; i++) {
    const payload = new Uint8Array(400).fill(i);
    recs.push(...(await log.append([frame(i, payload)], [i], [400])));
  }
  const segFiles = () => readdirSync(dir).filter((f) => f.startsWith('seg-')).sort();
  assert.ok(segFiles().length >= 3, `rotated into ${segFiles().length} segments`);
  assert.deepEqual([...(await log.read(recs[7]!))].slice(0, 3), [7, 7, 7]);
  log.markDispatched({ seg: recs[6]!.pos.seg, off: recs[6]!.end });
  log.commit(recs[5]!.pos); // records 0..4 acknowledged
  const left = segFiles();
  assert.ok(left.length < 5 && !left.includes(`seg-${String(recs[0]!.pos.seg).padStart(12, '0')}.log`), 'fully acknowledged segments deleted');
  await log.close();
  const again = new SegmentLog(dir, true, 1000);
  const report = await again.open();
  assert.deepEqual(report.records.map((r) => r.points), [5, 6, 7, 8, 9], 'replay starts at the cursor');
  assert.equal(report.maybeDelivered, 2, 'records 5 and 6 were dispatched before: possible duplicates');
  await again.close();
});

test('a full persistent queue answers 429; a queue directory held by a live process is refused at start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-full-'));
  const sink = new OtlpSink();
  await sink.start();
  await sink.stop();
  const [p1, p2] = await freePorts(2);
  const gw = await startGateway(config(dir, p1!, sink, '      queue_size: 3\n'), { registry: testRegistry() });
  try {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await otlpPost(`http://127.0.0.1:${p1}/v1/metrics`, encodeExportMetricsRequest(tagged(i)), PB)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    await assert.rejects(startGateway(config(dir, p2!, sink), { registry: testRegistry() }), /queue directory ".*exporter_otlp_metrics" is locked by process \d+/);
  } finally {
    await gw.stop();
  }
});

test('config reload: ports and the queue directory are released and taken again; data keeps flowing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-reload-'));
  const sink = new OtlpSink();
  await sink.start();
  const [port] = await freePorts(1);
  const gw = await startGateway(config(dir, port!, sink), { registry: testRegistry() });
  try {
    const url = `http://127.0.0.1:${port}/v1/metrics`;
    assert.equal((await otlpPost(url, encodeExportMetricsRequest(tagged(1)), PB)).status, 200);
    gw.writeConfig(config(dir, port!, sink, '      num_consumers: 2\n'));
    assert.equal(await gw.gw.reload('test'), true);
    assert.equal((await otlpPost(url, encodeExportMetricsRequest(tagged(2)), PB)).status, 200);
    await waitFor(() => sink.received.length === 2, 5000, 'both batches');
    assert.deepEqual(sink.received.map((r) => batchOf(r.md)).sort(), [1, 2]);
  } finally {
    await gw.stop();
    await sink.stop();
  }
});
