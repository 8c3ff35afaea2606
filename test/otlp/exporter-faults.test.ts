/**
 * The `otlp` and `otlphttp` exporters against a scripted OTLP server: what is retried (and how long it waits), what
 * is not, what is counted, and what the client upstream of the gateway sees when the exporter cannot keep up.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { freePorts } from '../helpers/ports.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import { decodeRpcStatus, encodeExportMetricsRequest } from '../../src/codec/otlp/index.ts';
import { countDataPoints } from '../../src/model/count.ts';
import { everything } from '../otlp-codec/everything.ts';
import { captured, edge, normalise, otlpPost, selfSignedCert, testRegistry, waitFor } from './helpers.ts';
import { OtlpSink } from './sink.ts';

const sink = new OtlpSink();
const PB = { 'content-type': 'application/x-protobuf' };
const POINTS = countDataPoints(everything());
const FAST_RETRY = `    retry_on_failure:\n      initial_interval: 20ms\n      max_interval: 100ms\n`;

before(() => sink.start());
after(() => sink.stop());

function counters(gw: TestGateway, id: string): Record<string, number> {
  const st = gw.gw.status() as { components: Array<{ id: string; counters: Record<string, number> }> };
  return st.components.find((c) => c.id === id)!.counters;
}

function reset(): void {
  sink.received.length = 0;
  sink.attempts.length = 0;
  sink.faults.length = 0;
}

test('otlphttp: 503 with Retry-After is retried after the given delay and arrives once; 400 is not retried and is counted', async () => {
  reset();
  const { gw, url } = await edge(`  otlphttp:\n    endpoint: ${sink.httpUrl}\n${FAST_RETRY}`);
  try {
    sink.faults.push({ http: { status: 503, retryAfter: '1' } }, { http: { status: 502 } });
    assert.equal((await otlpPost(url, encodeExportMetricsRequest(everything()), PB)).status, 200);
    await waitFor(() => sink.received.length === 1, 10_000, 'the retried batch');
    assert.deepEqual(sink.attempts.map((a) => a.outcome), ['503', '502', 'ok']);
    assert.ok(sink.attempts[1]!.at - sink.attempts[0]!.at >= 950, `Retry-After 1 s honoured (waited ${sink.attempts[1]!.at - sink.attempts[0]!.at} ms)`);
    assert.deepEqual(normalise(sink.received[0]!.md), normalise(everything()));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sink.received.length, 1, 'delivered exactly once');

    reset();
    sink.faults.push({ http: { status: 400, message: 'metric name is not allowed here' } });
    assert.equal((await otlpPost(url, encodeExportMetricsRequest(everything()), PB)).status, 200);
    await waitFor(() => (counters(gw, 'otlphttp')['otelcol_exporter_send_failed_metric_points'] ?? 0) >= POINTS, 5000, 'the failure to be counted');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(sink.attempts.map((a) => a.outcome), ['400'], 'a 400 is never retried');
    assert.equal(counters(gw, 'otlphttp')['otelcol_exporter_send_failed_metric_points{"reason":"OB_OTLP_HTTP_400"}'], POINTS);
    const logged = gw.logs.find((l) => l['msg'] === 'export failed, data dropped');
    assert.match(String(logged?.['err']), /HTTP 400: metric name is not allowed here/);
  } finally {
    await gw.stop();
  }
});

test('otlp (gRPC): RESOURCE_EXHAUSTED with RetryInfo waits the given delay; UNAVAILABLE is retried; RESOURCE_EXHAUSTED without RetryInfo is not', async () => {
  reset();
  const { gw, url } = await edge(`  otlp:\n    endpoint: ${sink.grpcAddress}\n    tls:\n      insecure: true\n${FAST_RETRY}`);
  try {
    sink.faults.push({ grpc: { code: grpc.status.RESOURCE_EXHAUSTED, retryDelaySeconds: 1.2 } }, { grpc: { code: grpc.status.UNAVAILABLE } });
    assert.equal((await otlpPost(url, encodeExportMetricsRequest(everything()), PB)).status, 200);
    await waitFor(() => sink.received.length === 1, 10_000, 'the retried batch');
    assert.deepEqual(sink.attempts.map((a) => a.outcome), ['RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'ok']);
    assert.ok(sink.attempts[1]!.at - sink.attempts[0]!.at >= 1150, `RetryInfo 1.2 s honoured (waited ${sink.attempts[1]!.at - sink.attempts[0]!.at} ms)`);
    assert.deepEqual(normalise(sink.received[0]!.md), normalise(everything()));

    reset();
    sink.faults.push({ grpc: { code: grpc.status.RESOURCE_EXHAUSTED } }, { grpc: { code: grpc.status.INVALID_ARGUMENT } });
    await otlpPost(url, encodeExportMetricsRequest(everything()), PB);
    await otlpPost(url, encodeExportMetricsRequest(everything()), PB);
    await waitFor(() => (counters(gw, 'otlp')['otelcol_exporter_send_failed_metric_points'] ?? 0) >= 2 * POINTS, 5000, 'both failures counted');
    assert.equal(sink.attempts.length, 2, 'neither was retried');
    assert.equal(counters(gw, 'otlp')['otelcol_exporter_send_failed_metric_points{"reason":"OB_OTLP_GRPC_RESOURCE_EXHAUSTED"}'], POINTS);
  } finally {
    await gw.stop();
  }
});

test('partial success is counted as rejected points (reason partial_success), not retried, and logged once per interval', async () => {
  reset();
  const { gw, url } = await edge(`  otlphttp:\n    endpoint: ${sink.httpUrl}\n    encoding: json\n${FAST_RETRY}`);
  try {
    sink.faults.push({ partial: { rejected: 2, message: 'two points too old' } }, { partial: { rejected: 3, message: 'three points too old' } });
    await otlpPost(url, encodeExportMetricsRequest(everything()), PB);
    await otlpPost(url, encodeExportMetricsRequest(everything()), PB);
    await waitFor(() => sink.received.length === 2, 5000, 'both batches');
    await waitFor(() => counters(gw, 'otlphttp')['otelcol_exporter_send_failed_metric_points{"reason":"partial_success"}'] === 5, 2000, 'partial success counted');
    assert.equal(sink.attempts.length, 2, 'not retried');
    const warns = gw.logs.filter((l) => String(l['msg']).startsWith('partial success'));
    assert.equal(warns.length, 1, 'logged once per interval');
    assert.match(String(warns[0]!['message']), /points too old/);
  } finally {
    await gw.stop();
  }
});

test('headers and auth extensions reach the server; TLS with a private CA works for both exporters', async () => {
  reset();
  const certs = selfSignedCert();
  const [tg, th] = await freePorts(2);
  const tls = `        tls:\n          cert_file: ${certs.cert}\n          key_file: ${certs.key}\n`;
  const central = await startGateway(
    `
extensions:
  bearertokenauth/in:
    token: tok-123
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${tg}
${tls}        auth:
          authenticator: bearertokenauth/in
      http:
        endpoint: 127.0.0.1:${th}
${tls}        auth:
          authenticator: bearertokenauth/in
exporters:
  capture:
    name: tls-central
service:
  extensions: [bearertokenauth/in]
${telemetryYaml()}  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [capture]
`,
    { registry: testRegistry() },
  );
  const auth = `extensions:\n  bearertokenauth/out:\n    token: tok-123\n  basicauth/out:\n    client_auth:\n      username: u1\n      password: p1\n`;
  const a = await edge(`  otlp:\n    endpoint: localhost:${tg}\n    tls:\n      ca_file: ${certs.ca}\n    auth:\n      authenticator: bearertokenauth/out\n`, auth, ['bearertokenauth/out']);
  const b = await edge(`  otlphttp:\n    endpoint: https://127.0.0.1:${th}\n    tls:\n      ca_file: ${certs.ca}\n    auth:\n      authenticator: bearertokenauth/out\n`, auth, ['bearertokenauth/out']);
  const c = await edge(`  otlphttp:\n    endpoint: ${sink.httpUrl}\n    headers:\n      x-tenant: acme\n    auth:\n      authenticator: basicauth/out\n`, auth, ['basicauth/out']);
  try {
    captured('tls-central').length = 0;
    for (const e of [a, b, c]) assert.equal((await otlpPost(e.url, encodeExportMetricsRequest(everything()), PB)).status, 200);
    await waitFor(() => captured('tls-central').length === 2 && sink.received.length === 1, 10_000, 'all three paths');
    for (const got of captured('tls-central')) assert.deepEqual(normalise(got.md), normalise(everything()));
    assert.equal(sink.received[0]!.headers['x-tenant'], 'acme');
    assert.equal(sink.received[0]!.headers['authorization'], `Basic ${Buffer.from('u1:p1').toString('base64')}`);
    assert.ok(!JSON.stringify([a.gw.logs, b.gw.logs, c.gw.logs, central.logs]).includes('tok-123'), 'token never logged');
    // A client that does not trust the CA is refused by the TLS handshake: a retryable transport error, logged.
    const untrusted = await edge(`  otlphttp:\n    endpoint: https://127.0.0.1:${th}\n    retry_on_failure:\n      enabled: false\n`);
    try {
      await otlpPost(untrusted.url, encodeExportMetricsRequest(everything()), PB);
      await waitFor(() => untrusted.gw.logs.some((l) => l['msg'] === 'export failed, data dropped'), 5000, 'the TLS failure');
      assert.match(String(untrusted.gw.logs.find((l) => l['msg'] === 'export failed, data dropped')!['err']), /certificate/i);
    } finally {
      await untrusted.gw.stop();
    }
  } finally {
    await Promise.all([a.gw.stop(), b.gw.stop(), c.gw.stop()]);
    await central.stop();
  }
});

test('upstream sees the exporter: queue disabled -> 503 while the server fails; queue full -> 429 with Retry-After', async () => {
  reset();
  const noQueue = await edge(`  otlphttp:\n    endpoint: ${sink.httpUrl}\n    sending_queue:\n      enabled: false\n    retry_on_failure:\n      enabled: false\n`);
  try {
    sink.faults.push({ http: { status: 503 } });
    const r = await otlpPost(noQueue.url, encodeExportMetricsRequest(everything()), PB);
    assert.equal(r.status, 503);
    assert.match(decodeRpcStatus(r.body).message, /HTTP 503: sink says 503/);
    assert.equal((await otlpPost(noQueue.url, encodeExportMetricsRequest(everything()), PB)).status, 200, 'then OK when the server is');
  } finally {
    await noQueue.gw.stop();
  }
  reset();
  const small = await edge(`  otlphttp:\n    endpoint: ${sink.httpUrl}\n    sending_queue:\n      num_consumers: 1\n      queue_size: 1\n`);
  try {
    sink.faults.push({ delayMs: 800 }, { delayMs: 800 });
    const statuses: number[] = [];
    const retryAfter: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await otlpPost(small.url, encodeExportMetricsRequest(everything()), PB);
      statuses.push(r.status);
      retryAfter.push(r.headers['retry-after']);
    }
    assert.deepEqual(statuses.slice(0, 2), [200, 200], 'one in flight, one queued');
    assert.deepEqual(statuses.slice(2), [429, 429], 'then the queue is full');
    assert.equal(retryAfter[2], '1');
  } finally {
    await small.gw.stop();
  }
});
