/**
 * Self-telemetry: Collector-named counters on the Prometheus pull endpoint, and the optional OTLP push
 * (@opentelemetry/exporter-metrics-otlp-grpc) of the same metrics into another gateway's otlp receiver.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { gaugeBatch, pushInto, recorders, testRegistry } from '../helpers/components.ts';
import { startGateway, telemetryYaml } from '../helpers/gateway.ts';
import { freePorts } from '../helpers/ports.ts';

test('self-metrics: Collector names on the pull endpoint, and pushed over OTLP/gRPC to another gateway', async () => {
  const [grpc, pull] = await freePorts(2);
  const central = await startGateway(
    `receivers:\n  otlp:\n    protocols:\n      grpc: {endpoint: "127.0.0.1:${grpc}"}\nexporters:\n  testrecord/central: {}\nservice:\n  pipelines:\n    metrics: {receivers: [otlp], exporters: [testrecord/central]}\n${telemetryYaml()}`,
    { registry: testRegistry() },
  );
  after(() => central.stop());
  const edge = await startGateway(
    `receivers:\n  testpush/in: {}\nexporters:\n  debug: {}\nservice:\n  pipelines:\n    metrics: {receivers: [testpush/in], exporters: [debug]}\n  telemetry:\n    resource:\n      deployment.environment: test\n    metrics:\n      readers:\n        - pull: {exporter: {prometheus: {host: 127.0.0.1, port: ${pull}}}}\n        - periodic:\n            interval: 300\n            exporter:\n              otlp: {protocol: grpc, endpoint: "http://127.0.0.1:${grpc}"}\n`,
    { registry: testRegistry() },
  );
  after(() => edge.stop());
  await pushInto('testpush/in', gaugeBatch(['a', 'b']));

  const text = await (await fetch(`http://127.0.0.1:${pull}/metrics`)).text();
  assert.match(text, /otelcol_exporter_sent_metric_points_total\{[^}]*exporter="debug"[^}]*\} 2/);
  assert.match(text, /otelcol_process_memory_rss /);

  const rec = () => recorders.get('testrecord/central');
  const deadline = Date.now() + 10_000;
  const seen = () => rec()?.batches.some((b) => b.resourceMetrics.some((rm) => rm.scopeMetrics.some((sm) => sm.metrics.some((m) => m.name === 'otelcol_process_memory_rss'))));
  while (Date.now() < deadline && !seen()) await new Promise((r) => setTimeout(r, 100));
  assert.ok(seen(), 'self-metrics arrived over OTLP');
  const rm = rec()!.batches.flatMap((b) => b.resourceMetrics).find((r) => r.scopeMetrics.some((sm) => sm.metrics.some((m) => m.name === 'otelcol_process_memory_rss')))!;
  const attrs = Object.fromEntries(rm.resource.attributes.map((kv) => [kv.key, kv.value]));
  assert.equal(attrs['service.name'], 'otel-bridge');
  assert.equal(attrs['deployment.environment'], 'test');
});
