/**
 * `otlp` exporter: OTLP/gRPC (protobuf) to a Collector, another otel-bridge or any OTLP backend.
 * Config: config.ts. Chain (queue, retry, timeout, partial success): base.ts. Transport: grpc-transport.ts.
 * Persistent-queue records are already OTLP protobuf, so they go on the wire without re-encoding.
 */
import type { ExporterFactory } from '../../component/component.ts';
import { encodeExportMetricsRequest } from '../../codec/otlp/index.ts';
import { OtlpExporterBase } from './base.ts';
import { otlpExporterSchema, type OtlpExporterConfig } from './config.ts';
import { GrpcTransport } from './grpc-transport.ts';

export const otlpExporterFactory: ExporterFactory<OtlpExporterConfig> = {
  kind: 'exporter',
  type: 'otlp',
  configSchema: otlpExporterSchema,
  create: (settings, config) =>
    new OtlpExporterBase(settings, config, new GrpcTransport(config, `exporter ${settings.id}`), {
      encode: (md) => md.encoded ?? encodeExportMetricsRequest(md),
      sendsEncoded: true,
      fromStored: (b) => b,
    }),
};
