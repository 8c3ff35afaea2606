/**
 * Overload test of `memory_limiter` on a real gateway process (`node src/cli/main.ts run`):
 *   otlp (HTTP + gRPC) -> memory_limiter -> batch -> otlphttp (in-memory sending_queue) -> a slow sink (this process).
 * A probe gateway first measures the baseline RSS and the rate the pipeline sustains (points/s reaching the sink
 * under saturation); the gateway under test then gets limit_mib = baseline + 150, spike_limit_mib = 50, and is driven
 * for 60 s at 5x the sustainable rate (open loop, bounded concurrency; refused requests are not retried).
 * Asserts: VmRSS (sampled every 200 ms from /proc) never exceeds limit + spike; clients get 429 with Retry-After and
 * RESOURCE_EXHAUSTED with RetryInfo; the process never dies; every point of every acknowledged request reaches the
 * sink once the load stops; refused points show in `otelcol_receiver_refused_metric_points` on the telemetry port.
 * The gateway runs with NODE_OPTIONS=--max-semi-space-size=16, as the memory limiter's contract recommends.
 * Every request carries a unique `req` resource attribute (patched into a pre-encoded body) so the sink can count
 * points per request without keeping the data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { decodeExportMetricsRequest, encodeExportMetricsRequest, encodeExportMetricsResponse } from '../../src/codec/otlp/index.ts';
import type { Metric, MetricsData } from '../../src/model/types.ts';
import { freePorts } from '../helpers/ports.ts';
import { otlpPost } from '../otlp/helpers.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const POINTS_PER_REQUEST = 200;
const SINK_DELAY_MS = 200;
const LOAD_MS = 60_000;
const TAG = 'r#########';
const MIB = 1024 * 1024;

/** One request: 10 cumulative sums x 20 series, resource tagged with TAG (patched per request). */
function template(): Buffer {
  const metrics: Metric[] = Array.from({ length: 10 }, (_, m) => ({
    name: `overload_metric_${m}_total`,
    description: '',
    unit: '',
    metadata: [],
    type: 'sum',
    temporality: 2,
    isMonotonic: true,
    points: Array.from({ length: POINTS_PER_REQUEST / 10 }, (_, i) => ({
      attributes: [
        { key: 'http.route', value: `/api/v1/items/${i}` },
        { key: 'http.request.method', value: 'GET' },
        { key: 'server.address', value: 'backend-1.svc.cluster.local' },
      ],
      startTimeUnixNano: 1_700_000_000_000_000_000n,
      timeUnixNano: 1_700_000_010_000_000_000n,
      flags: 0,
      value: i * 1.5,
      exemplars: [],
    })),
  }));
  const md: MetricsData = {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'overload' }, { key: 'req', value: TAG }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeMetrics: [{ scope: { name: 'overload', version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', metrics }],
      },
    ],
  };
  return Buffer.from(encodeExportMetricsRequest(md));
}

class Requests {
  private readonly tpl = template();
  private readonly at = this.tpl.indexOf(TAG);
  next = 0;
  body(): { id: number; body: Buffer } {
    const id = this.next++;
    const b = Buffer.from(this.tpl);
    b.write(`r${String(id).padStart(TAG.length - 1, '0')}`, this.at, 'latin1');
    return { id, body: b };
  }
}

/** Slow OTLP/HTTP sink: counts points per `req` tag, answers after SINK_DELAY_MS. */
class Sink {
  readonly points = new Map<number, number>();
  total = 0;
  private server: Server | undefined;
  port = 0;
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const md = decodeExportMetricsRequest(body);
        setTimeout(() => {
          for (const rm of md.resourceMetrics) {
            const tag = rm.resource.attributes.find((a) => a.key === 'req')?.value;
            let n = 0;
            for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += m.points.length;
            const id = Number(String(tag).slice(1));
            this.points.set(id, (this.points.get(id) ?? 0) + n);
            this.total += n;
          }
          res.writeHead(200, { 'content-type': 'application/x-protobuf' });
          res.end(Buffer.from(encodeExportMetricsResponse()));
        }, SINK_DELAY_MS);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server!.address() as { port: number }).port;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

interface Ports {
  http: number;
  grpc: number;
  ops: number;
  telemetry: number;
}

function config(sinkPort: number, p: Ports, limitMib: number, spikeMib: number): string {
  return `
extensions:
  health_check:
    endpoint: 127.0.0.1:${p.ops}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${p.http}
      grpc:
        endpoint: 127.0.0.1:${p.grpc}
processors:
  memory_limiter:
    check_interval: 100ms
    limit_mib: ${limitMib}
    spike_limit_mib: ${spikeMib}
  batch:
    send_batch_size: 2000
    send_batch_max_size: 2000
    timeout: 100ms
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${sinkPort}
    compression: none
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
      max_elapsed_time: 0
    sending_queue:
      num_consumers: 2
      queue_size: 5000
service:
  extensions: [health_check]
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${p.telemetry}
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [otlphttp]
`;
}

function start(dir: string, name: string, yaml: string, out: string[]): ChildProcess {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  // A bounded young generation (see the memory limiter's contract: Node 24 otherwise grows it to ~192 MiB).
  const env = { ...process.env, NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --max-semi-space-size=16`.trim() };
  const child = spawn(join(ROOT, 'node_modules/.bin/node'), ['src/cli/main.ts', 'run', '--config', file, '--no-watch'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => out.push(`[${name}] ${c.toString()}`));
  child.stderr!.on('data', (c: Buffer) => out.push(`[${name}:err] ${c.toString()}`));
  return child;
}

async function ready(opsPort: number): Promise<void> {
  const until = Date.now() + 20_000;
  while (!(await fetch(`http://127.0.0.1:${opsPort}/readyz`).then((r) => r.ok, () => false))) {
    if (Date.now() > until) throw new Error('gateway did not become ready');
    await sleep(100);
  }
}

function stopped(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once('exit', () => r());
    child.kill(signal);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** VmRSS of `pid` in bytes (0 when the process is gone). */
function rss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface Tally {
  ok: Set<number>;
  http429: number;
  http429NoRetryAfter: number;
  grpcExhausted: number;
  grpcExhaustedNoRetryInfo: number;
  other: Map<string, number>;
}

/**
 * Open-loop load: `rate` points/s as requests of POINTS_PER_REQUEST, at most `maxInFlight` outstanding (a send due
 * while the cap is reached is skipped), one in `grpcEvery` requests over gRPC. Runs until `until()` is true.
 */
async function drive(reqs: Requests, p: Ports, rate: number, maxInFlight: number, grpcEvery: number, until: () => boolean, tally: Tally): Promise<void> {
  const client = new grpc.Client(`127.0.0.1:${p.grpc}`, grpc.credentials.createInsecure());
  const id = (b: Buffer) => b;
  const url = `http://127.0.0.1:${p.http}/v1/metrics`;
  const other = (k: string): void => {
    tally.other.set(k, (tally.other.get(k) ?? 0) + 1);
  };
  const inflight = new Set<Promise<void>>();
  const perMs = rate / POINTS_PER_REQUEST / 1000;
  const t0 = Date.now();
  let sent = 0;
  while (!until()) {
    const due = Math.floor((Date.now() - t0) * perMs);
    while (sent < due && inflight.size < maxInFlight) {
      const { id: rid, body } = reqs.body();
      sent++;
      const pr: Promise<void> =
        rid % grpcEvery === 0
          ? new Promise<void>((resolve) => {
              client.makeUnaryRequest('/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', id, id, body, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null) => {
                if (!err) tally.ok.add(rid);
                else if (err.code === grpc.status.RESOURCE_EXHAUSTED) {
                  tally.grpcExhausted++;
                  const details = err.metadata?.get('grpc-status-details-bin')[0];
                  if (details === undefined || !Buffer.from(details as Buffer).includes('type.googleapis.com/google.rpc.RetryInfo')) tally.grpcExhaustedNoRetryInfo++;
                } else other(`grpc ${err.code}`);
                resolve();
              });
            })
          : otlpPost(url, body, { 'content-type': 'application/x-protobuf' }).then(
              (r) => {
                if (r.status === 200) tally.ok.add(rid);
                else if (r.status === 429) {
                  tally.http429++;
                  if (r.headers['retry-after'] === undefined) tally.http429NoRetryAfter++;
                } else other(`http ${r.status}`);
              },
              (e: Error) => other(`http error ${e.message}`),
            );
      inflight.add(pr);
      void pr.then(() => inflight.delete(pr));
    }
    if (sent < due) sent = due; // over the in-flight cap: skip, stay open-loop
    await sleep(5);
  }
  await Promise.all(inflight);
  client.close();
}

/** OVERLOAD_TRACE=1: the limiter's and the queue's state every 2 s (for tuning). */
async function traceStatus(ops: number, tally: Tally, sink: Sink): Promise<void> {
  const st = (await (await fetch(`http://127.0.0.1:${ops}/api/v1/status`)).json()) as { components: { id: string; details?: Record<string, unknown> }[] };
  const d = (id: string) => st.components.find((c) => c.id === id)?.details ?? {};
  const ml = d('memory_limiter');
  process.stdout.write(`# t rss=${String(ml['rssMiB'])} used=${String(ml['usedMiB'])} refusing=${String(ml['refusing'])} gc=${String(ml['gcRuns'])} queue=${String(d('otlphttp')['queueSize'])} ok=${tally.ok.size} 429=${tally.http429} sink=${sink.total}\n`);
}

function newTally(): Tally {
  return { ok: new Set(), http429: 0, http429NoRetryAfter: 0, grpcExhausted: 0, grpcExhaustedNoRetryInfo: 0, other: new Map() };
}

test('memory_limiter: 5x the sustainable OTLP rate for 60 s stays under limit + spike, refuses with 429/RESOURCE_EXHAUSTED, loses nothing acknowledged', { timeout: 150_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'overload-'));
  const out: string[] = [];
  const sink = new Sink();
  await sink.start();
  const [http, grpcPort, ops, telemetry] = (await freePorts(4)) as [number, number, number, number];
  const ports: Ports = { http, grpc: grpcPort, ops, telemetry };
  const reqs = new Requests();
  let gw: ChildProcess | undefined;
  try {
    // 1. Probe: baseline RSS, then the sink's receive rate under saturation.
    gw = start(dir, 'probe', config(sink.port, ports, 4096, 512), out);
    await ready(ops);
    await sleep(500);
    const baseline = rss(gw.pid!);
    let probing = true;
    const probe = drive(reqs, ports, 200_000, 64, 1_000_000, () => !probing, newTally());
    await sleep(1500);
    const p0 = sink.total;
    await sleep(3000);
    const sustainable = ((sink.total - p0) / 3000) * 1000;
    probing = false;
    await probe;
    await stopped(gw, 'SIGKILL');
    assert.ok(sustainable > 2000, `the pipeline sustains some load (${Math.round(sustainable)} points/s)`);

    // 2. The gateway under test.
    const limitMib = Math.ceil(baseline / MIB) + 150;
    const spikeMib = 50;
    const ceiling = (limitMib + spikeMib) * MIB;
    const before = sink.total;
    const tally = newTally();
    gw = start(dir, 'gw', config(sink.port, ports, limitMib, spikeMib), out);
    await ready(ops);
    const pid = gw.pid!;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 200);
    const trace = process.env['OVERLOAD_TRACE'] === undefined ? undefined : setInterval(() => void traceStatus(ops, tally, sink), 2000);
    const loadEnd = Date.now() + LOAD_MS;
    await drive(reqs, ports, sustainable * 5, 256, 10, () => Date.now() >= loadEnd, tally);
    assert.equal(gw.exitCode, null, 'the gateway is alive after the load');
    assert.equal(gw.signalCode, null, 'the gateway was not killed');

    // 3. Everything acknowledged arrives (the queue drains at the sustainable rate).
    const acked = [...tally.ok];
    const missing = () => acked.filter((i) => (sink.points.get(i) ?? 0) < POINTS_PER_REQUEST);
    const drainUntil = Date.now() + 25_000;
    while (missing().length > 0 && Date.now() < drainUntil) await sleep(200);
    clearInterval(sampler);
    clearInterval(trace);
    peak = Math.max(peak, rss(pid));
    const metrics = await (await fetch(`http://127.0.0.1:${telemetry}/metrics`)).text();
    const refusedLine = metrics.split('\n').filter((l) => l.startsWith('otelcol_receiver_refused_metric_points'));
    const refused = refusedLine.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    const summary = `baseline ${(baseline / MIB).toFixed(0)} MiB, limit ${limitMib} MiB + spike ${spikeMib} MiB, peak RSS ${(peak / MIB).toFixed(0)} MiB; sustainable ${Math.round(sustainable)} points/s, offered ${Math.round(sustainable * 5)} points/s; acked ${acked.length} requests, http 429 ${tally.http429}, grpc RESOURCE_EXHAUSTED ${tally.grpcExhausted}, other ${JSON.stringify([...tally.other])}; sink got ${sink.total - before} points; refused points (self-metrics) ${refused}`;
    process.stdout.write(`# ${summary}\n`);
    assert.ok(peak <= ceiling, `RSS peak ${(peak / MIB).toFixed(0)} MiB <= limit + spike ${limitMib + spikeMib} MiB`);
    assert.ok(tally.http429 > 0, 'HTTP clients got 429');
    assert.equal(tally.http429NoRetryAfter, 0, 'every 429 carries Retry-After');
    assert.ok(tally.grpcExhausted > 0, 'gRPC clients got RESOURCE_EXHAUSTED');
    assert.equal(tally.grpcExhaustedNoRetryInfo, 0, 'every RESOURCE_EXHAUSTED carries RetryInfo');
    assert.deepEqual([...tally.other], [], 'no other failures');
    assert.ok(acked.length > 0, 'some requests were accepted');
    assert.deepEqual(missing().slice(0, 10), [], `every acknowledged request's ${POINTS_PER_REQUEST} points reached the sink`);
    assert.ok(refused >= (tally.http429 + tally.grpcExhausted) * POINTS_PER_REQUEST, `refused points counted (${refused})`);
    assert.equal(gw.exitCode, null, 'the gateway is still alive');
  } catch (err) {
    process.stderr.write(out.join('').slice(-5000));
    throw err;
  } finally {
    if (gw !== undefined) {
      await Promise.race([stopped(gw, 'SIGTERM'), sleep(3000)]);
      await stopped(gw, 'SIGKILL');
    }
    await sink.stop();
  }
});
