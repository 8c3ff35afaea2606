/**
 * The real OpenTelemetry JS SDK as a test client: a MeterProvider with one instrument of every kind (counter,
 * up-down counter, histogram, exponential histogram via a View, observable gauge) exporting through the OTLP gRPC,
 * HTTP/protobuf or HTTP/JSON exporter. The exporter is wrapped so that every request it sends is also serialised with
 * the SDK's own serializer (@opentelemetry/otlp-transformer, the code the exporter uses) and decoded with our codec:
 * `sent` is exactly what went on the wire, for comparing with what arrived.
 */
import { Metadata } from '@grpc/grpc-js';
import { ValueType } from '@opentelemetry/api';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { decodeExportMetricsRequest, decodeExportMetricsRequestJson } from '../../src/codec/otlp/index.ts';
import type { MetricsData } from '../../src/model/types.ts';

export type SdkProtocol = 'grpc' | 'http/protobuf' | 'http/json';

export interface SdkClient {
  provider: MeterProvider;
  sent: MetricsData[];
  /** Records one value on every instrument (values vary with `round`). */
  record(round: number): void;
  /** Exports now; rejects when the export failed. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
  lastError: () => Error | undefined;
}

export function sdkClient(protocol: SdkProtocol, url: string, opts: { headers?: Record<string, string>; compression?: 'gzip' | 'none' } = {}): SdkClient {
  const compression = (opts.compression ?? 'none') as never;
  const real: PushMetricExporter =
    protocol === 'grpc'
      ? new GrpcExporter({ url, compression, ...(opts.headers ? { metadata: metadataOf(opts.headers) } : {}) })
      : protocol === 'http/protobuf'
        ? new ProtoExporter({ url, compression, headers: opts.headers ?? {} })
        : new JsonExporter({ url, compression, headers: opts.headers ?? {} });
  const sent: MetricsData[] = [];
  let lastError: Error | undefined;
  const wrapper: PushMetricExporter = {
    export(metrics: ResourceMetrics, cb) {
      if (protocol === 'http/json') {
        const bytes = JsonMetricsSerializer.serializeRequest(metrics)!;
        sent.push(decodeExportMetricsRequestJson(Buffer.from(bytes).toString('utf8')));
      } else sent.push(decodeExportMetricsRequest(ProtobufMetricsSerializer.serializeRequest(metrics)!));
      real.export(metrics, (r) => {
        lastError = r.error;
        cb(r);
      });
    },
    forceFlush: () => real.forceFlush(),
    shutdown: () => real.shutdown(),
    ...(real.selectAggregationTemporality ? { selectAggregationTemporality: real.selectAggregationTemporality.bind(real) } : {}),
    ...(real.selectAggregation ? { selectAggregation: real.selectAggregation.bind(real) } : {}),
  };
  const reader = new PeriodicExportingMetricReader({ exporter: wrapper, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'otlp-e2e', 'service.instance.id': `i-${protocol}`, 'host.cores': 8, 'deployment.canary': false }),
    readers: [reader],
    views: [{ instrumentName: 'e2e.latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 40 } } }],
  });
  const meter = provider.getMeter('otlp-e2e-meter', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });
  const counter = meter.createCounter('e2e.requests', { description: 'requests served', unit: '{request}', valueType: ValueType.INT });
  const updown = meter.createUpDownCounter('e2e.queue.depth', { description: 'items queued', unit: '{item}' });
  const hist = meter.createHistogram('e2e.latency', { description: 'latency', unit: 's', advice: { explicitBucketBoundaries: [0.01, 0.1, 1, 10] } });
  const exp = meter.createHistogram('e2e.latency.exp', { description: 'latency, exponential', unit: 'ms' });
  let gaugeValue = 0;
  meter.createObservableGauge('e2e.temperature', { description: 'temperature', unit: 'Cel' }).addCallback((r) => {
    r.observe(gaugeValue, { room: 'a', floor: 1 });
    r.observe(-gaugeValue / 3, { room: 'b', floor: 2 });
  });
  return {
    provider,
    sent,
    record(round) {
      counter.add(3 + round, { route: '/a', ok: true, code: 200, tags: ['x', 'y'] } as never);
      counter.add(1, { route: '/b', ok: false, code: 500 });
      updown.add(round % 2 === 0 ? 5.5 : -2.25, { queue: 'q1' });
      for (const v of [0.004, 0.05, 0.5, 2, 20 + round]) hist.record(v, { method: 'GET' });
      for (const v of [0.3, 1.7, 12, 145.5 + round, -4]) exp.record(v, { method: 'POST' });
      gaugeValue = 21.5 + round;
    },
    async flush() {
      await provider.forceFlush();
      if (lastError) throw lastError;
    },
    shutdown: () => provider.shutdown(),
    lastError: () => lastError,
  };
}

function metadataOf(headers: Record<string, string>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(headers)) m.set(k, v);
  return m;
}
