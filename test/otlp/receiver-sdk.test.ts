/**
 * The otlp receiver with the real OpenTelemetry JS SDK as the client, over gRPC, HTTP/protobuf and HTTP/JSON (plain
 * and gzip): what reaches the pipeline equals what the SDK put on the wire, for every instrument kind, and the
 * receiver counts what it accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePorts } from '../helpers/ports.ts';
import { startGateway, telemetryYaml } from '../helpers/gateway.ts';
import { captured, merge, normalise, testRegistry, waitFor } from './helpers.ts';
import { sdkClient, type SdkProtocol } from './sdk.ts';

const cases: Array<{ protocol: SdkProtocol; compression: 'gzip' | 'none' }> = [
  { protocol: 'grpc', compression: 'none' },
  { protocol: 'grpc', compression: 'gzip' },
  { protocol: 'http/protobuf', compression: 'none' },
  { protocol: 'http/protobuf', compression: 'gzip' },
  { protocol: 'http/json', compression: 'none' },
  { protocol: 'http/json', compression: 'gzip' },
];

test('SDK -> otlp receiver: every instrument kind arrives as sent (gRPC, HTTP/protobuf, HTTP/JSON; plain and gzip)', async () => {
  const [grpcPort, httpPort, metricsPort] = await freePorts(3);
  const gw = await startGateway(
    `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${grpcPort}
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  capture:
    name: sdk-e2e
service:
${telemetryYaml(metricsPort)}  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [capture]
`,
    { registry: testRegistry() },
  );
  try {
    for (const c of cases) {
      const sink = captured('sdk-e2e');
      sink.length = 0;
      const url = c.protocol === 'grpc' ? `http://127.0.0.1:${grpcPort}` : `http://127.0.0.1:${httpPort}/v1/metrics`;
      const sdk = sdkClient(c.protocol, url, { compression: c.compression });
      for (let round = 0; round < 3; round++) {
        sdk.record(round);
        await sdk.flush();
      }
      await sdk.shutdown();
      await waitFor(() => sink.length >= sdk.sent.length, 5000, `${c.protocol} batches`);
      const label = `${c.protocol} ${c.compression}`;
      assert.ok(sdk.sent.length >= 3, label);
      assert.deepEqual(normalise(merge(sink.map((s) => s.md))), normalise(merge(sdk.sent)), label);
      const kinds = new Set(sdk.sent.flatMap((md) => md.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => `${m.name}:${m.type}`)))));
      assert.deepEqual([...kinds].sort(), ['e2e.latency.exp:exponential_histogram', 'e2e.latency:histogram', 'e2e.queue.depth:sum', 'e2e.requests:sum', 'e2e.temperature:gauge'], label);
      assert.equal(sink[0]!.ctx.receiver, 'otlp', label);
    }
    const st = gw.gw.status() as { components: Array<{ id: string; counters: Record<string, number>; details: Record<string, { requests: number }> }> };
    const recv = st.components.find((c) => c.id === 'otlp')!;
    assert.ok(recv.counters['otelcol_receiver_accepted_metric_points']! > 0);
    assert.ok(recv.details['grpc']!.requests >= 6);
    assert.ok(recv.details['http']!.requests >= 12);
    // The receiver's own metrics on the Prometheus endpoint.
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (const re of [
      /otelbridge_receiver_request_duration_seconds_bucket\{receiver="otlp",transport="grpc",method="Export",path="\/opentelemetry.proto.collector.metrics.v1.MetricsService\/Export",status="OK",le="0.001"\}/,
      /otelbridge_receiver_request_duration_seconds_bucket\{receiver="otlp",transport="http",method="POST",path="\/v1\/metrics",status="200",le="30"\}/,
      /otelbridge_receiver_requests_total\{receiver="otlp",transport="http",method="POST",path="\/v1\/metrics",status="200"\} \d+/,
      /otelbridge_receiver_requests_in_flight\{receiver="otlp",transport="http"\} 0/,
      /otelbridge_receiver_open_connections\{receiver="otlp",transport="grpc"\} \d+/,
      /otelbridge_receiver_received_bytes_total\{receiver="otlp",transport="http"\} [1-9]\d*/,
      /otelcol_receiver_accepted_metric_points_total\{receiver="otlp",transport="grpc"\} [1-9]\d*/,
    ]) {
      assert.match(text, re);
    }
  } finally {
    await gw.stop();
  }
});
