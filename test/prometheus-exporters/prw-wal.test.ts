/**
 * `prometheusremotewrite` with `wal`: accepted batches survive a receiver outage and a gateway restart (in-process;
 * the kill -9 variant is in prw-wal-kill.slow.test.ts), and the disk limit's overflow policies are visible upstream
 * (block -> backpressure error) or in self-metrics (drop_oldest).
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushInto, testRegistry } from '../helpers/components.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';
import { PipelineError } from '../../src/component/errors.ts';
import { counters, gauge, md, pushConfig, resource, SEC, T, waitFor } from './helpers.ts';
import { RwSink } from './rw-sink.ts';

let gw: TestGateway | undefined;
let sink: RwSink | undefined;
afterEach(async () => {
  await gw?.stop();
  await sink?.stop();
  gw = undefined;
  sink = undefined;
});

const ID = 'prometheusremotewrite';

const config = (port: number, dir: string, wal = '', consumers = 3) =>
  pushConfig(
    `  prometheusremotewrite:\n    endpoint: http://127.0.0.1:${port}/api/v1/write\n    retry_on_failure: {initial_interval: 20ms, max_interval: 100ms}\n    remote_write_queue: {num_consumers: ${consumers}}\n    wal:\n      directory: ${dir}\n      truncate_frequency: 100ms\n${wal}`,
    [ID],
  );

const batch = (r: number) => md(resource([gauge('load', Array.from({ length: 10 }, (_, i): [number, { a: Record<string, string>; t: bigint }] => [r, { a: { cpu: String(i) }, t: T + BigInt(r) * SEC }]))]));

test('receiver down: batches are accepted (fsynced), survive a restart and all arrive in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-prw-wal-'));
  const port = await freePort();
  gw = await startGateway(config(port, dir), { registry: testRegistry() });
  for (let r = 0; r < 20; r++) await pushInto('testpush', batch(r)); // resolves although nothing can be delivered
  await gw.stop();
  gw = undefined;
  sink = new RwSink();
  await sink.start(port);
  gw = await startGateway(config(port, dir), { registry: testRegistry() });
  for (let r = 20; r < 25; r++) await pushInto('testpush', batch(r));
  const s = sink;
  await waitFor(() => s.bySeries().get('load{cpu="0",instance="pod-1",job="api"}')?.length === 25, 10_000, 'every round of cpu 0');
  await waitFor(() => [...s.bySeries().values()].every((x) => x.length >= 25), 10_000, 'every series');
  for (const [key, samples] of s.bySeries()) {
    if (key.startsWith('target_info')) continue;
    assert.deepEqual(samples.map((x) => x.value), Array.from({ length: 25 }, (_, i) => i), key);
  }
  // Acknowledged segments are truncated.
  await waitFor(() => readdirSync(dir).filter((f) => f.endsWith('.seg')).length === 1, 5000, 'truncation');
});

test('disk limit with overflow: block -> the pipeline gets a backpressure error (receivers answer 429)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-prw-wal-'));
  const port = await freePort();
  gw = await startGateway(config(port, dir, '      max_size_bytes: 4096\n      overflow: block\n'), { registry: testRegistry() });
  let refused: unknown;
  for (let r = 0; r < 200 && refused === undefined; r++) {
    try {
      await pushInto('testpush', batch(r));
    } catch (err) {
      refused = err;
    }
  }
  assert.ok(refused instanceof PipelineError && refused.errorClass === 'backpressure' && refused.code === 'OB_WAL_FULL', String(refused));
  assert.ok((counters(gw, ID)['otelcol_exporter_enqueue_failed_metric_points'] ?? 0) > 0);
});

test('disk limit with overflow: drop_oldest -> oldest unsent data dropped and counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-prw-wal-'));
  const port = await freePort();
  gw = await startGateway(config(port, dir, '      max_size_bytes: 4096\n      overflow: drop_oldest\n      buffer_size: 2\n'), { registry: testRegistry() });
  for (let r = 0; r < 100; r++) await pushInto('testpush', batch(r));
  const c = counters(gw, ID);
  assert.ok((c['otelcol_exporter_send_failed_metric_points{"reason":"wal_overflow"}'] ?? 0) > 0, JSON.stringify(c));
  assert.ok((c['otelbridge_exporter_prw_failed_samples{"reason":"wal_overflow"}'] ?? 0) > 0);
  // What is left is delivered once the receiver is back, newest data included.
  sink = new RwSink();
  await sink.start(port);
  const s = sink;
  await waitFor(() => s.bySeries().get('load{cpu="0",instance="pod-1",job="api"}')?.at(-1)?.value === 99, 10_000, 'newest batch');
});

test('num_consumers changed across a restart: the old backlog ships first, per-series order kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-prw-wal-'));
  const port = await freePort();
  gw = await startGateway(config(port, dir, '', 5), { registry: testRegistry() });
  for (let r = 0; r < 10; r++) await pushInto('testpush', batch(r));
  await gw.stop();
  sink = new RwSink();
  sink.delayMs = () => Math.floor(Math.random() * 10);
  await sink.start(port);
  gw = await startGateway(config(port, dir, '', 2), { registry: testRegistry() });
  for (let r = 10; r < 20; r++) await pushInto('testpush', batch(r));
  const s = sink;
  await waitFor(() => [...s.bySeries()].filter(([k]) => k.startsWith('load{')).every(([, v]) => v.length === 20) && s.bySeries().size === 11, 10_000, 'every round');
  for (const [key, samples] of s.bySeries()) if (key.startsWith('load{')) assert.deepEqual(samples.map((x) => x.value), Array.from({ length: 20 }, (_, i) => i), key);
});
