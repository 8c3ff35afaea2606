/**
 * `otlphttp` exporter: OTLP/HTTP, protobuf (default) or JSON, to <endpoint>/v1/metrics or `metrics_endpoint`.
 * Config: config.ts. Chain (queue, retry, timeout, partial success): ../otlp/base.ts. Transport: transport.ts.
 * Persistent-queue records are OTLP protobuf: sent as they are with `encoding: proto`, re-encoded for JSON.
 */
import type { ExporterFactory } from '../../component/component.ts';
import { decodeExportMetricsRequest, encodeExportMetricsRequest, encodeExportMetricsRequestJson } from '../../codec/otlp/index.ts';
import { OtlpExporterBase } from '../otlp/base.ts';
import { otlpHttpExporterSchema, type OtlpHttpExporterConfig } from './config.ts';
import { HttpTransport } from './transport.ts';

const utf8 = new TextEncoder();

export const otlpHttpExporterFactory: ExporterFactory<OtlpHttpExporterConfig> = {
  kind: 'exporter',
  type: 'otlphttp',
  configSchema: otlpHttpExporterSchema,
  create: (settings, config) => {
    const json = config.encoding === 'json';
    return new OtlpExporterBase(settings, config, new HttpTransport(config, `exporter ${settings.id}`), {
      encode: json ? (md) => utf8.encode(encodeExportMetricsRequestJson(md)) : (md) => md.encoded ?? encodeExportMetricsRequest(md),
      sendsEncoded: !json,
      fromStored: json ? (b) => utf8.encode(encodeExportMetricsRequestJson(decodeExportMetricsRequest(b))) : (b) => b,
    });
  },
};
