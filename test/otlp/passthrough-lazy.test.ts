/**
 * OTLP in -> batch -> OTLP out, the pipeline where receivers pass protobuf requests on undecoded (model/lazy.ts):
 * what the sink gets equals what was sent, field by field (entity refs and value-less points included), over gRPC
 * and HTTP, in one merged batch; bad bytes are still refused (INVALID_ARGUMENT / 400) and invalid points still get
 * partial success, as when the receiver decodes at once. (That this pipeline takes the lazy path is checked in
 * test/otlp-codec/lazy.test.ts: Consumer.usesEncodedOnly.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePorts } from '../helpers/ports.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import { decodeExportMetricsResponse, decodeRpcStatus, encodeExportMetricsRequest } from '../../src/codec/otlp/index.ts';
import type { MetricsData } from '../../src/model/types.ts';
import { everything } from '../otlp-codec/everything.ts';
import { grpcExport, merge, normalise, otlpPost, testRegistry, waitFor } from './helpers.ts';
import { OtlpSink } from './sink.ts';

let gw: TestGateway;
const sink = new OtlpSink();
let grpcIn: string;
let httpIn: string;

before(async () => {
  await sink.start();
  const [g, h] = await freePorts(2);
  grpcIn = `127.0.0.1:${g}`;
  httpIn = `http://127.0.0.1:${h}/v1/metrics`;
  gw = await startGateway(
    `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${grpcIn}
      http:
        endpoint: 127.0.0.1:${h}
processors:
  batch:
    timeout: 100ms
exporters:
  otlp:
    endpoint: ${sink.grpcAddress}
    tls:
      insecure: true
    compression: gzip
service:
${telemetryYaml()}  pipelines:
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp]
`,
    { registry: testRegistry() },
  );
});

after(async () => {
  await gw.stop();
  await sink.stop();
});

function reset(): void {
  sink.received.length = 0;
}

function withInvalidHistogram(): MetricsData {
  const md = everything();
  for (const m of md.resourceMetrics[0]!.scopeMetrics[0]!.metrics) if (m.type === 'histogram') m.points[0]!.explicitBounds = [3, 2, 1];
  return md;
}

test('every field arrives unchanged through gRPC and HTTP in, batched, out over gRPC (gzip configured)', async () => {
  reset();
  const a = everything();
  const b = everything();
  const [g, h] = await Promise.all([
    grpcExport(grpcIn, encodeExportMetricsRequest(a)),
    otlpPost(httpIn, encodeExportMetricsRequest(b), { 'content-type': 'application/x-protobuf' }),
  ]);
  assert.equal(g.code, 0);
  assert.equal(h.status, 200);
  await waitFor(() => sink.received.reduce((n, r) => n + r.md.resourceMetrics.length, 0) >= 2 * a.resourceMetrics.length, 10_000, 'both requests at the sink');
  const got = normalise(merge(sink.received.map((r) => r.md))) as { resourceMetrics: unknown[] };
  const want = normalise(everything()) as { resourceMetrics: unknown[] };
  // Two identical requests, in either order: the sink holds each resource twice.
  assert.deepEqual(got.resourceMetrics, [...want.resourceMetrics, ...want.resourceMetrics]);
});

test('bad bytes are refused and invalid points get partial success, as with an eager decode', async () => {
  reset();
  const bad = encodeExportMetricsRequest(everything()).subarray(0, 100);
  const g = await grpcExport(grpcIn, bad);
  assert.equal(g.code, 3, 'INVALID_ARGUMENT');
  assert.match(g.message, /cannot decode protobuf ExportMetricsServiceRequest/);
  assert.ok(g.statusDetails !== undefined && decodeRpcStatus(g.statusDetails).details.length === 1, 'BadRequest detail');
  const h = await otlpPost(httpIn, bad, { 'content-type': 'application/x-protobuf' });
  assert.equal(h.status, 400);

  const partial = await grpcExport(grpcIn, encodeExportMetricsRequest(withInvalidHistogram()));
  assert.equal(partial.code, 0);
  const ps = decodeExportMetricsResponse(partial.response!);
  assert.equal(ps.rejectedDataPoints, 1);
  assert.match(ps.errorMessage, /explicit_bounds are not strictly increasing/);
  await waitFor(() => sink.received.length >= 1, 10_000, 'the valid rest at the sink');
  const hist = sink.received[0]!.md.resourceMetrics[0]!.scopeMetrics[0]!.metrics.find((m) => m.type === 'histogram')!;
  const sent = everything().resourceMetrics[0]!.scopeMetrics[0]!.metrics.find((m) => m.type === 'histogram')!;
  assert.equal(hist.points.length, sent.points.length - 1, 'the invalid point was dropped, the others forwarded');
});
