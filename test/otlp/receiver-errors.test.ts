/**
 * The otlp receiver's answers to bad and unlucky requests, as a client sees them (status, content type, message),
 * over HTTP and gRPC, and that it keeps serving afterwards.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { freePorts } from '../helpers/ports.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import {
  decodeExportMetricsResponse,
  decodeExportMetricsResponseJson,
  decodeRetryInfo,
  decodeRpcStatus,
  decodeRpcStatusJson,
  encodeExportMetricsRequest,
  encodeExportMetricsRequestJson,
  RETRY_INFO_TYPE_URL,
} from '../../src/codec/otlp/index.ts';
import { PipelineError } from '../../src/component/errors.ts';
import type { HistogramMetric, MetricsData } from '../../src/model/types.ts';
import { everything } from '../otlp-codec/everything.ts';
import { captured, failWith, grpcExport, normalise, otlpPost, testRegistry } from './helpers.ts';

const LIMIT = 256 * 1024;
let gw: TestGateway;
let url: string;
let grpcAddr: string;
const PB = { 'content-type': 'application/x-protobuf' };
const JS = { 'content-type': 'application/json' };

before(async () => {
  const [g, h] = await freePorts(2);
  grpcAddr = `127.0.0.1:${g}`;
  url = `http://127.0.0.1:${h}/v1/metrics`;
  gw = await startGateway(
    `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${g}
        max_recv_msg_size_mib: 0.25
      http:
        endpoint: 127.0.0.1:${h}
        max_request_body_size: ${LIMIT}
exporters:
  capture:
    name: errors
service:
${telemetryYaml()}  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [capture]
`,
    { registry: testRegistry() },
  );
});
after(() => gw.stop());

const pbStatus = (b: Buffer) => decodeRpcStatus(b);

async function stillServing(): Promise<void> {
  const sink = captured('errors');
  const before = sink.length;
  const r = await otlpPost(url, encodeExportMetricsRequest(everything()), PB);
  assert.equal(r.status, 200);
  assert.equal(sink.length, before + 1);
  const g = await grpcExport(grpcAddr, encodeExportMetricsRequest(everything()));
  assert.equal(g.code, 0);
}

test('valid requests: 200 with an empty response in the request encoding; data arrives unchanged', async () => {
  const sink = captured('errors');
  sink.length = 0;
  const p = await otlpPost(url, encodeExportMetricsRequest(everything()), PB);
  assert.equal(p.status, 200);
  assert.equal(p.headers['content-type'], 'application/x-protobuf');
  assert.equal(p.body.length, 0, 'partial_success unset');
  const j = await otlpPost(url, encodeExportMetricsRequestJson(everything()), { 'content-type': 'application/json; charset=utf-8' });
  assert.equal(j.status, 200);
  assert.equal(j.headers['content-type'], 'application/json');
  assert.equal(j.body.toString(), '{}');
  const g = await grpcExport(grpcAddr, encodeExportMetricsRequest(everything()));
  assert.equal(g.code, 0);
  assert.equal(g.response!.length, 0);
  assert.equal(sink.length, 3);
  for (const s of sink) assert.deepEqual(normalise(s.md), normalise(everything()));
  const empty = await otlpPost(url, new Uint8Array(0), PB);
  assert.equal(empty.status, 200, 'empty request is a success');
  assert.equal(sink.length, 3, 'empty request does not reach the pipeline');
});

test('HTTP error table: status, content type and a message that names the problem', async () => {
  const valid = encodeExportMetricsRequest(everything());
  const cases: Array<{ name: string; send: () => Promise<import('./helpers.ts').RawResponse>; status: number; ct?: string; msg: RegExp }> = [
    { name: 'garbage bytes', send: () => otlpPost(url, Buffer.from('\xff\xff\xff\xff garbage', 'latin1'), PB), status: 400, ct: 'application/x-protobuf', msg: /cannot decode protobuf ExportMetricsServiceRequest: protobuf: .* at offset \d+/ },
    { name: 'truncated protobuf', send: () => otlpPost(url, valid.subarray(0, valid.length - 7), PB), status: 400, ct: 'application/x-protobuf', msg: /cannot decode protobuf.*offset/ },
    { name: 'bad JSON', send: () => otlpPost(url, '{"resourceMetrics": [', JS), status: 400, ct: 'application/json', msg: /cannot decode OTLP\/JSON.*invalid JSON/ },
    { name: 'JSON of the wrong shape', send: () => otlpPost(url, '{"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name": "x", "gauge": {"dataPoints": [{"asDouble": "abc"}]}}]}]}]}', JS), status: 400, ct: 'application/json', msg: /resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]\.gauge\.dataPoints\[0\]\.asDouble/ },
    { name: 'wrong content type', send: () => otlpPost(url, valid, { 'content-type': 'text/plain' }), status: 415, msg: /unsupported Content-Type "text\/plain"; use application\/x-protobuf or application\/json/ },
    { name: 'no content type', send: () => otlpPost(url, valid, {}), status: 415, msg: /unsupported Content-Type/ },
    { name: 'oversize body', send: () => otlpPost(url, Buffer.alloc(LIMIT + 10, 1), PB), status: 413, msg: /exceeds max_request_body_size \(262144 bytes\)/ },
    { name: 'oversize chunked body', send: () => otlpPost(url, Buffer.alloc(LIMIT * 2, 1), { ...PB, 'transfer-encoding': 'chunked' }), status: 413, msg: /exceeds max_request_body_size/ },
    { name: 'gzip bomb', send: () => otlpPost(url, gzipSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 }), { ...PB, 'content-encoding': 'gzip' }), status: 413, msg: /decompressed request body exceeds max_request_body_size/ },
    { name: 'corrupt gzip', send: () => otlpPost(url, Buffer.from('not gzip at all'), { ...PB, 'content-encoding': 'gzip' }), status: 400, msg: /cannot decompress gzip request body/ },
    { name: 'unknown encoding', send: () => otlpPost(url, valid, { ...PB, 'content-encoding': 'br' }), status: 400, msg: /unsupported Content-Encoding "br"/ },
    { name: 'GET', send: () => otlpPost(url, '', {}, { method: 'GET' }), status: 405, msg: /method GET not allowed on \/v1\/metrics; use POST/ },
    { name: 'traces', send: () => otlpPost(url.replace('/v1/metrics', '/v1/traces'), valid, PB), status: 404, msg: /metrics gateway: traces are not accepted/ },
    { name: 'logs', send: () => otlpPost(url.replace('/v1/metrics', '/v1/logs'), valid, PB), status: 404, msg: /logs are not accepted/ },
    { name: 'unknown path', send: () => otlpPost(url.replace('/v1/metrics', '/foo'), valid, PB), status: 404, msg: /unknown path "\/foo"/ },
  ];
  for (const c of cases) {
    const r = await c.send();
    assert.equal(r.status, c.status, `${c.name}: ${r.body.toString()}`);
    let message: string;
    if (c.ct === 'application/x-protobuf') message = pbStatus(r.body).message;
    else if (c.ct === 'application/json') message = decodeRpcStatusJson(r.body.toString()).message;
    else message = r.body.toString();
    if (c.ct) assert.equal(r.headers['content-type'], c.ct, c.name);
    assert.match(message, c.msg, c.name);
  }
  await stillServing();
});

function withBadHistogram(): MetricsData {
  const md = everything();
  const h = md.resourceMetrics[0]!.scopeMetrics[0]!.metrics.find((m) => m.name === 'h') as HistogramMetric;
  h.points[1]!.bucketCounts = [1, 2]; // explicit_bounds is empty: 1 bucket expected
  return md;
}

test('partial success: only the invalid point is dropped and counted; the answer says which and why', async () => {
  const sink = captured('errors');
  sink.length = 0;
  const p = await otlpPost(url, encodeExportMetricsRequest(withBadHistogram()), PB);
  assert.equal(p.status, 200);
  const ps = decodeExportMetricsResponse(p.body);
  assert.equal(ps.rejectedDataPoints, 1);
  assert.match(ps.errorMessage, /1 invalid data point rejected: metric "h" \(histogram\) point 1: bucket_counts has 2 entries, expected 1/);
  const j = await otlpPost(url, encodeExportMetricsRequestJson(withBadHistogram()), JS);
  assert.equal(decodeExportMetricsResponseJson(j.body.toString()).rejectedDataPoints, 1);
  const g = await grpcExport(grpcAddr, encodeExportMetricsRequest(withBadHistogram()));
  assert.equal(g.code, 0);
  assert.equal(decodeExportMetricsResponse(g.response!).rejectedDataPoints, 1);
  const expected = everything();
  const h = expected.resourceMetrics[0]!.scopeMetrics[0]!.metrics.find((m) => m.name === 'h') as HistogramMetric;
  h.points.splice(1, 1);
  assert.equal(sink.length, 3);
  for (const s of sink) assert.deepEqual(normalise(s.md), normalise(expected));
});

test('pipeline push-back: 429/503 with Retry-After, RESOURCE_EXHAUSTED/UNAVAILABLE with RetryInfo; permanent: 400/INVALID_ARGUMENT', async () => {
  const body = encodeExportMetricsRequest(everything());
  const cases = [
    { err: PipelineError.backpressure('OB_QUEUE_FULL', 'sending queue is full', 7), http: 429, grpc: grpc.status.RESOURCE_EXHAUSTED, retry: 7 },
    { err: PipelineError.retryable('OB_DOWNSTREAM', 'downstream unavailable'), http: 503, grpc: grpc.status.UNAVAILABLE, retry: 1 },
    { err: PipelineError.permanent('OB_BAD', 'rejected by a processor'), http: 400, grpc: grpc.status.INVALID_ARGUMENT, retry: undefined },
  ];
  try {
    for (const c of cases) {
      failWith('errors', c.err);
      const r = await otlpPost(url, body, PB);
      assert.equal(r.status, c.http);
      const st = pbStatus(r.body);
      assert.equal(st.message, c.err.message);
      assert.equal(r.headers['retry-after'], c.retry === undefined ? undefined : String(c.retry));
      const g = await grpcExport(grpcAddr, body);
      assert.equal(g.code, c.grpc);
      assert.equal(g.message, c.err.message);
      if (c.retry !== undefined) {
        const d = decodeRpcStatus(g.statusDetails!).details.find((x) => x.typeUrl === RETRY_INFO_TYPE_URL)!;
        assert.equal(decodeRetryInfo(d.value), c.retry);
      }
    }
  } finally {
    failWith('errors', undefined);
  }
  await stillServing();
});

test('gRPC error table', async () => {
  const valid = encodeExportMetricsRequest(everything());
  const garbage = await grpcExport(grpcAddr, Buffer.from('\xff\xff\xff\xff garbage', 'latin1'));
  assert.equal(garbage.code, grpc.status.INVALID_ARGUMENT);
  assert.match(garbage.message, /cannot decode protobuf ExportMetricsServiceRequest: protobuf: .* at offset/);
  const truncated = await grpcExport(grpcAddr, valid.subarray(0, valid.length - 5));
  assert.equal(truncated.code, grpc.status.INVALID_ARGUMENT);
  const big = await grpcExport(grpcAddr, Buffer.alloc(300 * 1024, 1));
  assert.equal(big.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(big.message, /larger than max/i);
  const traces = await grpcExport(grpcAddr, valid, { path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export' });
  assert.equal(traces.code, grpc.status.UNIMPLEMENTED);
  assert.match(traces.message, /metrics gateway: traces are not accepted/);
  const logs = await grpcExport(grpcAddr, valid, { path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export' });
  assert.equal(logs.code, grpc.status.UNIMPLEMENTED);
  await stillServing();
});

test('a client that disconnects mid-body is not an error; the gateway keeps serving', async () => {
  const u = new URL(url);
  await new Promise<void>((resolve) => {
    const s = connect(Number(u.port), u.hostname, () => {
      s.write(`POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(100)}`);
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 50);
    });
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(!gw.logs.some((l) => l['msg'] === 'unexpected error in OTLP/HTTP handler'));
  await stillServing();
});
