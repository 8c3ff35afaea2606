/**
 * `prometheusremotewrite` exporter against the scripted test receiver (rw-sink.ts): wire headers and body, sharding
 * and per-series order, the retry matrix (500 then 200, 400, 429 + Retry-After), RW 2.0 and its fallback to 1.0,
 * queue backpressure, write_relabel_configs, external_labels and the batch size limit.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { pushInto, testRegistry } from '../helpers/components.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { PipelineError } from '../../src/component/errors.ts';
import { prwExporterSchema } from '../../src/exporters/prometheusremotewrite/config.ts';
import { counter, counters, exemplar, gauge, histogram, md, pushConfig, resource, SEC, summary, T, waitFor } from './helpers.ts';
import { RwSink, seriesKey } from './rw-sink.ts';

let gw: TestGateway | undefined;
let sink: RwSink | undefined;
afterEach(async () => {
  await gw?.stop();
  await sink?.stop();
  gw = undefined;
  sink = undefined;
});

const ID = 'prometheusremotewrite';
/** One sender, no target_info: one request per batch, so scripted faults hit a known request. */
const ONE = '    remote_write_queue: {num_consumers: 1}\n    target_info: {enabled: false}\n';

async function start(options = ''): Promise<RwSink> {
  sink = new RwSink();
  await sink.start();
  gw = await startGateway(pushConfig(`  prometheusremotewrite:\n    endpoint: ${sink.url}\n    retry_on_failure: {initial_interval: 20ms, max_interval: 100ms}\n${options}`, [ID]), { registry: testRegistry() });
  return sink;
}

const everyType = (t = T) =>
  md(
    resource([
      gauge('temperature', [[21.5, { a: { room: 'kitchen' }, t }]], 'Room temperature', 'Cel'),
      counter('http.requests', [[1234n, { a: { method: 'GET' }, t, ex: [exemplar(1, 0xaa)] }]]),
      histogram('latency', [0.1, 1], [1, 2, 3], 1.5, { t }),
      summary('rpc.duration', [[0.5, 2], [0.9, 4]], 3, 9, { t }),
    ]),
  );

test('RW 1.0 wire: protocol headers, user headers, snappy protobuf with sorted labels and every series', async () => {
  const s = await start('    headers: {X-Scope-OrgID: tenant-a}\n    external_labels: {cluster: eu-1}\n');
  await pushInto('testpush', everyType());
  await waitFor(() => s.sampleCount() >= 12, 5000, 'samples');
  const h = s.requests[0]!.headers;
  assert.equal(h['content-encoding'], 'snappy');
  assert.equal(h['content-type'], 'application/x-protobuf');
  assert.equal(h['x-prometheus-remote-write-version'], '0.1.0');
  assert.match(h['user-agent']!, /^otel-bridge\/\d+\.\d+\.\d+/);
  assert.equal(h['x-scope-orgid'], 'tenant-a');
  const got = new Map<string, number>();
  for (const r of s.requests) {
    for (const ser of r.series) {
      const names = ser.labels.map((l) => l.name);
      assert.deepEqual(names, [...names].sort(), 'labels sorted');
      assert.ok(ser.labels.every((l) => l.name !== '' && l.value !== ''));
      for (const x of ser.samples) {
        assert.equal(x.timestamp, 1_700_000_000_000);
        got.set(seriesKey(ser.labels), x.value);
      }
    }
  }
  const base = 'cluster="eu-1",instance="pod-1",job="api"';
  assert.deepEqual(
    [...got.entries()].sort(),
    [
      [`http_requests_total{${base},method="GET"}`, 1234],
      [`latency_seconds_bucket{${base},le="+Inf"}`, 6],
      [`latency_seconds_bucket{${base},le="0.1"}`, 1],
      [`latency_seconds_bucket{${base},le="1"}`, 3],
      [`latency_seconds_count{${base}}`, 6],
      [`latency_seconds_sum{${base}}`, 1.5],
      [`rpc_duration_count{${base}}`, 3],
      [`rpc_duration_sum{${base}}`, 9],
      [`rpc_duration{${base},quantile="0.5"}`, 2],
      [`rpc_duration{${base},quantile="0.9"}`, 4],
      [`target_info{cluster="eu-1",host_name="h1",instance="pod-1",job="api"}`, 1],
      [`temperature_celsius{${base},room="kitchen"}`, 21.5],
    ].sort(),
  );
  const ex = s.requests.flatMap((r) => r.series).find((x) => x.exemplars.length > 0)!;
  assert.deepEqual(ex.exemplars[0]!.labels.map((l) => l.name), ['span_id', 'trace_id']);
  await waitFor(() => (counters(gw!, ID)['otelcol_exporter_sent_metric_points'] ?? 0) === 4, 2000, 'sent points counted');
  assert.equal(counters(gw!, ID)['otelbridge_exporter_prw_sent_samples'], 12);
});

test('config: protocol headers cannot be overridden; endpoint must be a URL', () => {
  const bad = prwExporterSchema.safeParse({ endpoint: 'http://x/api/v1/write', headers: { 'Content-Encoding': 'gzip' } });
  assert.equal(bad.success, false);
  assert.match(JSON.stringify(bad.error?.issues), /cannot be overridden/);
  assert.equal(prwExporterSchema.safeParse({ endpoint: 'prometheus:9090' }).success, false);
  const ok = prwExporterSchema.parse({ endpoint: 'http://x/api/v1/write' });
  assert.equal(ok.max_batch_size_bytes, 3_000_000);
  assert.deepEqual(ok.remote_write_queue, { enabled: true, queue_size: 10_000, num_consumers: 5, flush_interval: 200 });
});

test('sharding: 4 parallel senders under random receiver delays keep every series in timestamp order', async () => {
  const s = await start('    remote_write_queue: {num_consumers: 4, flush_interval: 0}\n');
  s.delayMs = () => Math.floor(Math.random() * 15);
  const ROUNDS = 40;
  for (let r = 0; r < ROUNDS; r++) {
    const t = T + BigInt(r) * SEC;
    await pushInto('testpush', md(resource([gauge('load', Array.from({ length: 30 }, (_, i): [number, { a: Record<string, string>; t: bigint }] => [r, { a: { cpu: String(i) }, t }])), histogram('lat', [1], [r, 1], r, { t })])));
  }
  await waitFor(() => s.sampleCount() >= ROUNDS * (30 + 4 + 1), 20_000, 'all samples');
  assert.ok(s.requests.length >= ROUNDS * 3, `batches spread over the shards (${s.requests.length} requests)`);
  for (const [key, samples] of s.bySeries()) {
    assert.equal(samples.length, ROUNDS, key);
    for (let i = 1; i < samples.length; i++) assert.ok(samples[i]!.timestamp > samples[i - 1]!.timestamp, `${key} out of order at ${i}`);
  }
});

test('retry: 500 then 200 -> delivered once', async () => {
  const s = await start(ONE);
  s.faults.push({ status: 500 });
  await pushInto('testpush', md(resource([gauge('g', [[1]])])));
  await waitFor(() => s.requests.length === 1, 5000, 'delivery');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(s.attempts.map((a) => a.status), [500, 204]);
  assert.equal(s.requests.length, 1);
});

test('retry: 400 -> dropped, counted with its reason, never retried', async () => {
  const s = await start(ONE);
  s.faults.push({ status: 400, body: 'out of order sample' });
  await pushInto('testpush', md(resource([gauge('g', [[1]]), gauge('h', [[2]])])));
  await waitFor(() => (counters(gw!, ID)['otelcol_exporter_send_failed_metric_points'] ?? 0) > 0, 5000, 'failure counted');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(s.attempts.map((a) => a.status), [400]);
  const c = counters(gw!, ID);
  assert.equal(c['otelcol_exporter_send_failed_metric_points{"reason":"OB_PRW_HTTP_400"}'], 2);
  const log = gw!.logs.find((l) => l['msg'] === 'remote write request dropped');
  assert.match(String(log?.['err']), /HTTP 400: out of order sample/);
});

test('retry: 429 with Retry-After is waited for', async () => {
  const s = await start(ONE);
  s.faults.push({ status: 429, retryAfter: '1' });
  await pushInto('testpush', md(resource([gauge('g', [[1]])])));
  await waitFor(() => s.requests.length === 1, 5000, 'delivery');
  const [first, second] = s.attempts;
  assert.equal(first!.status, 429);
  assert.ok(second!.at - first!.at >= 950, `waited ${second!.at - first!.at} ms`);
});

test('RW 2.0: v2 headers and symbol-table body; 415 falls back to 1.0 and resends', async () => {
  let s = await start('    protobuf_message: io.prometheus.write.v2.Request\n');
  await pushInto('testpush', everyType());
  await waitFor(() => s.sampleCount() >= 12, 5000, 'samples');
  const h = s.requests[0]!.headers;
  assert.equal(h['content-type'], 'application/x-protobuf;proto=io.prometheus.write.v2.Request');
  assert.equal(h['x-prometheus-remote-write-version'], '2.0.0');
  assert.ok(s.requests.every((r) => r.version === 2));
  await gw!.stop();
  await sink!.stop();
  s = await start('    protobuf_message: io.prometheus.write.v2.Request\n');
  s.v1Only = true;
  await pushInto('testpush', everyType());
  await waitFor(() => s.sampleCount() >= 12, 5000, 'samples after fallback');
  assert.ok(s.requests.every((r) => r.version === 1));
  assert.ok(s.attempts.some((a) => a.status === 415));
  await pushInto('testpush', everyType(T + SEC));
  await waitFor(() => s.sampleCount() >= 24, 5000, 'second batch');
  assert.equal(s.attempts.filter((a) => a.status === 415).length, s.attempts.filter((a) => a.version === 2).length, 'v2 only until the fallback');
});

test('RW 2.0: a 2xx without *-Written headers is treated as 415', async () => {
  const s = await start('    protobuf_message: io.prometheus.write.v2.Request\n    remote_write_queue: {num_consumers: 1}\n');
  s.silentV2 = true;
  await pushInto('testpush', md(resource([gauge('g', [[1]])])));
  await waitFor(() => s.requests.some((r) => r.version === 1), 5000, 'v1 resend');
  assert.deepEqual(s.requests.map((r) => r.version), [2, 1]);
});

test('memory queue full -> backpressure error before anything is translated', async () => {
  const s = await start('    remote_write_queue: {queue_size: 1, num_consumers: 1}\n    target_info: {enabled: false}\n');
  s.faults.push({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
  await pushInto('testpush', md(resource([gauge('g', [[1]])])));
  await assert.rejects(pushInto('testpush', md(resource([gauge('g', [[2, { t: T + SEC }]])]))), (e: unknown) => e instanceof PipelineError && e.errorClass === 'backpressure');
  await waitFor(() => s.requests.length === 1, 5000, 'first batch delivered after the 503s');
  assert.equal(counters(gw!, ID)['otelcol_exporter_enqueue_failed_metric_points'], 1);
});

test('remote_write_queue disabled: consume returns the delivery error', async () => {
  const s = await start('    remote_write_queue: {enabled: false}\n    target_info: {enabled: false}\n');
  s.faults.push({ status: 400 });
  await assert.rejects(pushInto('testpush', md(resource([gauge('g', [[1]])]))), (e: unknown) => e instanceof PipelineError && e.errorClass === 'permanent');
  await pushInto('testpush', md(resource([gauge('g', [[1]])])));
  assert.equal(s.requests.length, 1);
});

test('write_relabel_configs drop and rewrite series after translation', async () => {
  const s = await start(
    '    target_info: {enabled: false}\n    write_relabel_configs:\n      - {source_labels: [__name__], regex: "debug_.*", action: drop}\n      - {source_labels: [room], target_label: place, replacement: "in-$1"}\n      - {regex: room, action: labeldrop}\n',
  );
  await pushInto('testpush', md(resource([gauge('temperature', [[20, { a: { room: 'hall' } }]]), gauge('debug_x', [[1]])])));
  await waitFor(() => s.sampleCount() >= 1, 5000, 'samples');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual([...s.bySeries().keys()], ['temperature{instance="pod-1",job="api",place="in-hall"}']);
  assert.equal(counters(gw!, ID)['otelbridge_exporter_prw_relabel_dropped_samples'], 1);
});

for (const [options, scoped] of [['', true], ['    without_scope_info: true\n', false]] as const) {
  test(`scope labels: ${options === '' ? 'otel_scope_name/version by default (spec)' : 'none with without_scope_info: true (Prometheus label sets)'}`, async () => {
    const s = await start(`    target_info: {enabled: false}\n${options}`);
    const rm = resource([gauge('temperature', [[20, { a: { room: 'hall' } }]])], undefined, 'io.example.meter');
    rm.scopeMetrics[0]!.scope!.version = '1.2.0';
    await pushInto('testpush', md(rm));
    await waitFor(() => s.sampleCount() >= 1, 5000, 'samples');
    const scope = scoped ? ',otel_scope_name="io.example.meter",otel_scope_version="1.2.0"' : '';
    assert.deepEqual([...s.bySeries().keys()], [`temperature{instance="pod-1",job="api"${scope},room="hall"}`]);
  });
}

test('max_batch_size_bytes splits a shard into several requests; every sample arrives once', async () => {
  const s = await start('    max_batch_size_bytes: 2048\n    remote_write_queue: {num_consumers: 1}\n');
  await pushInto('testpush', md(resource([gauge('g', Array.from({ length: 500 }, (_, i): [number, { a: Record<string, string> }] => [i, { a: { i: String(i) } }]))])));
  await waitFor(() => s.sampleCount() >= 501, 5000, 'samples');
  assert.ok(s.requests.length > 10, `${s.requests.length} requests`);
  assert.equal(s.bySeries().size, 501);
});

test('receiver outage with the in-memory queue: retried until it is back, nothing lost, order kept', async () => {
  const s = await start('    remote_write_queue: {num_consumers: 3}\n');
  const port = s.port;
  await s.stop();
  for (let r = 0; r < 15; r++) {
    await pushInto('testpush', md(resource([gauge('load', Array.from({ length: 10 }, (_, i): [number, { a: Record<string, string>; t: bigint }] => [r, { a: { cpu: String(i) }, t: T + BigInt(r) * SEC }]))])));
    await new Promise((res) => setTimeout(res, 100));
  }
  await s.start(port);
  await waitFor(() => [...s.bySeries().entries()].filter(([k]) => k.startsWith('load{')).every(([, v]) => v.length === 15) && s.bySeries().size === 11, 10_000, 'every round');
  for (const [k, v] of s.bySeries()) if (k.startsWith('load{')) assert.deepEqual(v.map((x) => x.value), Array.from({ length: 15 }, (_, i) => i), k);
  assert.equal(counters(gw!, ID)['otelcol_exporter_send_failed_metric_points'] ?? 0, 0);
});

test('flush_interval: batches within the interval share one request per shard; shutdown sends what is open', async () => {
  const s = await start('    remote_write_queue: {num_consumers: 2, flush_interval: 1s}\n    target_info: {enabled: false}\n');
  const t0 = Date.now();
  for (let r = 0; r < 10; r++) {
    await pushInto('testpush', md(resource([gauge('load', Array.from({ length: 20 }, (_, i): [number, { a: Record<string, string>; t: bigint }] => [r, { a: { cpu: String(i) }, t: T + BigInt(r) * SEC }]))])));
  }
  assert.equal(s.requests.length, 0, 'nothing sent before the interval ends');
  await waitFor(() => s.sampleCount() >= 200, 5000, 'all samples');
  assert.ok(Date.now() - t0 >= 900, 'held for the flush interval');
  assert.ok(s.requests.length <= 2, `one request per shard (${s.requests.length} requests)`);
  for (const [key, samples] of s.bySeries()) {
    assert.equal(samples.length, 10, key);
    for (let i = 1; i < samples.length; i++) assert.ok(samples[i]!.timestamp > samples[i - 1]!.timestamp, `${key} out of order at ${i}`);
  }
  // Open requests are sent at shutdown, not lost.
  await pushInto('testpush', md(resource([gauge('late', [[1]])])));
  await gw!.stop();
  gw = undefined;
  assert.equal(s.bySeries().size, 21);
});
