/**
 * End to end: the OpenTelemetry JS SDK -> edge gateway (otlp receiver) -> `otlp` (gRPC) exporter -> central gateway
 * (otlp receiver), and -> `otlphttp` exporters (protobuf and JSON) -> a test OTLP server. What arrives equals what
 * the SDK sent, for every instrument kind; a request using every field of the model goes through every
 * transport/encoding combination unchanged, and so does the opentelemetry-proto example.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { freePorts } from '../helpers/ports.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import { decodeExportMetricsRequestJson, encodeExportMetricsRequest, encodeExportMetricsRequestJson } from '../../src/codec/otlp/index.ts';
import type { MetricsData } from '../../src/model/types.ts';
import { everything } from '../otlp-codec/everything.ts';
import { captured, grpcExport, merge, normalise, otlpPost, testRegistry, waitFor } from './helpers.ts';
import { sdkClient, type SdkProtocol } from './sdk.ts';
import { OtlpSink } from './sink.ts';

let edge: TestGateway;
let central: TestGateway;
const sink = new OtlpSink();
let edgeGrpc: string;
let edgeHttp: string;

before(async () => {
  await sink.start();
  const [cg, eg, eh] = await freePorts(3);
  central = await startGateway(
    `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${cg}
exporters:
  capture:
    name: central
service:
${telemetryYaml()}  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [capture]
`,
    { registry: testRegistry() },
  );
  edgeGrpc = `127.0.0.1:${eg}`;
  edgeHttp = `http://127.0.0.1:${eh}/v1/metrics`;
  edge = await startGateway(
    `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${eg}
      http:
        endpoint: 127.0.0.1:${eh}
exporters:
  otlp/central:
    endpoint: 127.0.0.1:${cg}
    tls:
      insecure: true
  otlphttp/proto:
    endpoint: ${sink.httpUrl}
  otlphttp/json:
    metrics_endpoint: ${sink.httpUrl}/v1/metrics
    encoding: json
    compression: zstd
service:
${telemetryYaml()}  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [otlp/central, otlphttp/proto, otlphttp/json]
`,
    { registry: testRegistry() },
  );
});

after(async () => {
  await edge.stop();
  await central.stop();
  await sink.stop();
});

function reset(): void {
  captured('central').length = 0;
  sink.received.length = 0;
}

async function arrivals(n: number): Promise<{ central: MetricsData; proto: MetricsData; json: MetricsData }> {
  await waitFor(() => captured('central').length >= n && sink.received.filter((r) => r.encoding === 'proto').length >= n && sink.received.filter((r) => r.encoding === 'json').length >= n, 10_000, `${n} batches on every path`);
  return {
    central: merge(captured('central').map((c) => c.md)),
    proto: merge(sink.received.filter((r) => r.encoding === 'proto').map((r) => r.md)),
    json: merge(sink.received.filter((r) => r.encoding === 'json').map((r) => r.md)),
  };
}

for (const protocol of ['grpc', 'http/protobuf', 'http/json'] as SdkProtocol[]) {
  test(`SDK (${protocol}) -> edge -> otlp / otlphttp proto / otlphttp json: every instrument kind arrives as the SDK sent it`, async () => {
    reset();
    const sdk = sdkClient(protocol, protocol === 'grpc' ? `http://${edgeGrpc}` : edgeHttp, { compression: 'gzip' });
    for (let round = 0; round < 2; round++) {
      sdk.record(round);
      await sdk.flush();
    }
    await sdk.shutdown();
    const got = await arrivals(sdk.sent.length);
    const want = normalise(merge(sdk.sent));
    assert.deepEqual(normalise(got.central), want, 'via otlp (gRPC) to the central gateway');
    assert.deepEqual(normalise(got.proto), want, 'via otlphttp protobuf');
    assert.deepEqual(normalise(got.json), want, 'via otlphttp JSON');
    const types = new Set(got.central.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.type))));
    assert.deepEqual([...types].sort(), ['exponential_histogram', 'gauge', 'histogram', 'sum']);
  });
}

test('field-by-field round trip (every field, every value kind) through gRPC and HTTP, protobuf and JSON, in and out', async () => {
  const example = decodeExportMetricsRequestJson(readFileSync(new URL('../fixtures/otlp/examples_metrics.json', import.meta.url), 'utf8'));
  for (const [name, make] of [['everything', everything], ['examples_metrics.json', () => structuredClone(example)]] as const) {
    const inputs: Array<[string, () => Promise<void>]> = [
      ['gRPC in', async () => assert.equal((await grpcExport(edgeGrpc, encodeExportMetricsRequest(make()))).code, 0)],
      ['HTTP protobuf in', async () => assert.equal((await otlpPost(edgeHttp, encodeExportMetricsRequest(make()), { 'content-type': 'application/x-protobuf' })).status, 200)],
      ['HTTP JSON in', async () => assert.equal((await otlpPost(edgeHttp, encodeExportMetricsRequestJson(make()), { 'content-type': 'application/json' })).status, 200)],
    ];
    for (const [how, send] of inputs) {
      reset();
      await send();
      const got = await arrivals(1);
      const want = normalise(make());
      assert.deepEqual(normalise(got.central), want, `${name}, ${how}, out via gRPC`);
      assert.deepEqual(normalise(got.proto), want, `${name}, ${how}, out via HTTP protobuf`);
      assert.deepEqual(normalise(got.json), want, `${name}, ${how}, out via HTTP JSON`);
    }
  }
  const enc = new Set(sink.received.map((r) => r.contentEncoding));
  assert.deepEqual([...enc].sort(), ['gzip', 'zstd'], 'otlphttp compresses with gzip by default, zstd when asked');
});
