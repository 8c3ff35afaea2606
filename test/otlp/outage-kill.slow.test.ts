/**
 * Outage + kill -9 with the persistent queue, on a real gateway process (`node src/cli/main.ts run`):
 * the downstream OTLP server is down for 30 s; a client keeps sending; the gateway is SIGKILLed and restarted during
 * the outage, and killed again while it is delivering the backlog. Every batch the gateway acknowledged (HTTP 200)
 * arrives; duplicates (at-least-once) are no more than what the last process reports as redelivered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../helpers/ports.ts';
import { encodeExportMetricsRequest } from '../../src/codec/otlp/index.ts';
import { countDataPoints } from '../../src/model/count.ts';
import type { MetricsData } from '../../src/model/types.ts';
import { everything } from '../otlp-codec/everything.ts';
import { otlpPost, waitFor } from './helpers.ts';
import { OtlpSink } from './sink.ts';

const OUTAGE_MS = 30_000;
const ROOT = new URL('../../', import.meta.url).pathname;
const POINTS = countDataPoints(everything());

function tagged(i: number): MetricsData {
  const md = everything();
  md.resourceMetrics[0]!.resource.attributes.push({ key: 'batch', value: BigInt(i) });
  return md;
}

function gateway(configFile: string, name: string, out: string[]): ChildProcess {
  const child = spawn(join(ROOT, 'node_modules/.bin/node'), ['src/cli/main.ts', 'run', '--config', configFile, '--no-watch'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => out.push(`[${name}] ${c.toString()}`));
  child.stderr!.on('data', (c: Buffer) => out.push(`[${name}:err] ${c.toString()}`));
  return child;
}

async function ready(opsPort: number): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${opsPort}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > until) throw new Error('gateway did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

test('downstream down for 30 s, gateway killed -9 twice: every acknowledged batch arrives', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'outage-'));
  const sink = new OtlpSink();
  await sink.start();
  await sink.stop(); // ports reserved; the server is down
  const [httpPort, opsPort] = (await freePorts(2)) as [number, number];
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    `
extensions:
  health_check:
    endpoint: 127.0.0.1:${opsPort}
  file_storage/queue:
    directory: ${dir}/queue
    create_directory: true
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  otlp:
    endpoint: ${sink.grpcAddress}
    tls:
      insecure: true
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
      max_elapsed_time: 0
    sending_queue:
      num_consumers: 4
      queue_size: 100000
      storage: file_storage/queue
service:
  extensions: [health_check, file_storage/queue]
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [otlp]
`,
  );
  const out: string[] = [];
  const acked = new Set<number>();
  let next = 0;
  let sending = true;
  const client = (async () => {
    while (sending) {
      const i = next++;
      const ok = await otlpPost(`http://127.0.0.1:${httpPort}/v1/metrics`, encodeExportMetricsRequest(tagged(i)), { 'content-type': 'application/x-protobuf' }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) acked.add(i);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const t0 = Date.now();
  let gw = gateway(configFile, 'A', out);
  try {
    await ready(opsPort);
    await new Promise((r) => setTimeout(r, 8000));
    const beforeKill = acked.size;
    await killed(gw); // kill -9 during the outage
    await new Promise((r) => setTimeout(r, 1500));
    gw = gateway(configFile, 'B', out);
    await ready(opsPort);
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - t0))));
    sink.delayMs = 20; // slow enough that B is mid-backlog when it is killed
    await sink.start();
    await waitFor(() => sink.received.length > 50, 20_000, 'delivery to start');
    await killed(gw); // kill -9 while delivering the backlog
    gw = gateway(configFile, 'C', out);
    await ready(opsPort);
    await new Promise((r) => setTimeout(r, 1000));
    sending = false;
    await client;
    sink.delayMs = 0;
    const batchOf = (md: MetricsData) => Number(md.resourceMetrics[0]!.resource.attributes.find((a) => a.key === 'batch')!.value);
    const arrived = () => new Set(sink.received.map((r) => batchOf(r.md)));
    await waitFor(() => {
      const got = arrived();
      return [...acked].every((i) => got.has(i));
    }, 60_000, `all ${acked.size} acknowledged batches`);
    await new Promise((r) => setTimeout(r, 500));
    const counts = new Map<number, number>();
    for (const r of sink.received) counts.set(batchOf(r.md), (counts.get(batchOf(r.md)) ?? 0) + 1);
    const duplicatePoints = [...counts.values()].reduce((n, c) => n + (c - 1), 0) * POINTS;
    const status = (await (await fetch(`http://127.0.0.1:${opsPort}/api/v1/status`)).json()) as { components: Array<{ id: string; counters: Record<string, number>; details: Record<string, unknown> }> };
    const exp = status.components.find((c) => c.id === 'otlp')!;
    const redelivered = exp.counters['otelbridge_exporter_queue_redelivered_metric_points'] ?? 0;
    assert.ok(beforeKill > 100, `the client was acknowledged during the outage (${beforeKill})`);
    assert.ok(acked.size > beforeKill, 'and after the restart');
    assert.ok(duplicatePoints <= redelivered, `duplicates (${duplicatePoints} points) are all counted as redelivered (${redelivered})`);
    const got = arrived();
    const lost = [...acked].filter((i) => !got.has(i));
    assert.deepEqual(lost, [], 'no acknowledged batch lost');
    process.stdout.write(`# acked ${acked.size} of ${next} batches; arrived ${counts.size} distinct, ${duplicatePoints / POINTS} duplicate batches, redelivered counter ${redelivered / POINTS} batches\n`);
  } catch (err) {
    process.stderr.write(out.join('').slice(-5000));
    throw err;
  } finally {
    sending = false;
    await client;
    gw.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await killed(gw);
    await sink.stop();
  }
});
