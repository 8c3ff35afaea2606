/**
 * `otlphttp` exporter config (Collector option names/defaults):
 *
 *   exporters:
 *     otlphttp/central:
 *       endpoint: https://central.example.com:4318   # metrics go to <endpoint>/v1/metrics
 *       metrics_endpoint: https://x/custom/path      # or exactly this URL
 *       encoding: proto                              # proto (default) or json
 *       compression: gzip                            # gzip (default), zstd, deflate, none
 *       timeout: 30s                                 # per attempt
 *       tls: {ca_file, cert_file, key_file, insecure_skip_verify, server_name_override}  # the URL scheme decides TLS
 *       headers: {x-tenant: a}
 *       auth: {authenticator: basicauth/client}
 *       retry_on_failure: {...}
 *       sending_queue: {..., storage: file_storage/queue}
 *       max_idle_conns: 100
 *       idle_conn_timeout: 90s
 *
 * Contract: one of `endpoint` / `metrics_endpoint` is required and must be an http(s) URL; zod fills every default.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { queueSchema, retrySchema } from '../helper/config.ts';
import { authRefSchema } from '../../receivers/otlp/config.ts';
import { clientTlsSchema, headersSchema } from '../otlp/config.ts';

const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+/, 'expected an http:// or https:// URL');

export const otlpHttpExporterSchema = z
  .strictObject({
    endpoint: httpUrl.optional(),
    metrics_endpoint: httpUrl.optional(),
    /** Accepted for Collector compatibility; otel-bridge exports metrics only. */
    traces_endpoint: z.string().optional(),
    logs_endpoint: z.string().optional(),
    encoding: z.enum(['proto', 'json']).default('proto'),
    compression: z.enum(['gzip', 'zstd', 'deflate', 'none', '']).default('gzip'),
    timeout: duration('30s'),
    tls: clientTlsSchema,
    headers: headersSchema,
    auth: authRefSchema.optional(),
    retry_on_failure: retrySchema,
    sending_queue: queueSchema,
    max_idle_conns: z.number().int().nonnegative().default(100),
    idle_conn_timeout: duration('90s'),
    read_buffer_size: z.number().int().nonnegative().optional(),
    write_buffer_size: z.number().int().nonnegative().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.endpoint === undefined && c.metrics_endpoint === undefined) ctx.addIssue({ code: 'custom', message: 'set "endpoint" (base URL, /v1/metrics is appended) or "metrics_endpoint"' });
  });
export type OtlpHttpExporterConfig = z.output<typeof otlpHttpExporterSchema>;

/** The URL metrics are POSTed to. */
export function metricsUrl(c: OtlpHttpExporterConfig): string {
  if (c.metrics_endpoint !== undefined) return c.metrics_endpoint;
  return `${c.endpoint!.replace(/\/+$/, '')}/v1/metrics`;
}
