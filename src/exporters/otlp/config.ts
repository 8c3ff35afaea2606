/**
 * Config of the `otlp` (gRPC) exporter, and the client pieces `otlphttp` shares (Collector option names/defaults):
 *
 *   exporters:
 *     otlp/central:
 *       endpoint: central.example.com:4317   # "http://" = plaintext, "https://" = TLS, bare = per tls.insecure
 *       tls: {insecure: false, ca_file, cert_file, key_file, insecure_skip_verify: false, server_name_override}
 *       headers: {x-tenant: a}
 *       compression: gzip                     # gzip (default), deflate, none
 *       timeout: 5s                           # per attempt
 *       retry_on_failure: {enabled, initial_interval: 5s, max_interval: 30s, max_elapsed_time: 300s, ...}
 *       sending_queue: {enabled, num_consumers: 10, queue_size: 1000, storage: file_storage/queue}
 *       auth: {authenticator: bearertokenauth/out}
 *       keepalive: {time, timeout, permit_without_stream}
 *       balancer_name: pick_first             # or round_robin (with a dns:/// endpoint)
 *       authority: ""                         # overrides the :authority header
 *
 * Contract: `endpoint` is required; TLS files are read at start (errors name the file); zod fills every default.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { queueSchema, retrySchema, timeoutSchema } from '../helper/config.ts';
import { authRefSchema } from '../../receivers/otlp/config.ts';

export const clientTlsSchema = z
  .strictObject({
    /** gRPC: no TLS at all (plaintext). otlphttp: ignored, the URL scheme decides. */
    insecure: z.boolean().default(false),
    ca_file: z.string().min(1).optional(),
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    /** TLS without verifying the server's certificate chain and name (testing only). */
    insecure_skip_verify: z.boolean().default(false),
    server_name_override: z.string().min(1).optional(),
    min_version: z.enum(['1.2', '1.3']).optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.cert_file === undefined) !== (t.key_file === undefined)) ctx.addIssue({ code: 'custom', message: 'cert_file and key_file go together (client certificate for mTLS)' });
  })
  .prefault({});
export type ClientTlsConfig = z.output<typeof clientTlsSchema>;

export const headersSchema = z.record(z.string(), z.string()).default({});

export const otlpExporterSchema = z.strictObject({
  endpoint: z.string().min(1, 'endpoint is required, e.g. "central:4317"'),
  tls: clientTlsSchema,
  headers: headersSchema,
  compression: z.enum(['gzip', 'deflate', 'none', '']).default('gzip'),
  timeout: timeoutSchema,
  retry_on_failure: retrySchema,
  sending_queue: queueSchema,
  auth: authRefSchema.optional(),
  balancer_name: z.enum(['pick_first', 'round_robin']).optional(),
  authority: z.string().optional(),
  wait_for_ready: z.boolean().default(false),
  keepalive: z
    .strictObject({ time: duration('0s'), timeout: duration('20s'), permit_without_stream: z.boolean().default(false) })
    .optional(),
  read_buffer_size: z.number().int().nonnegative().optional(),
  write_buffer_size: z.number().int().nonnegative().optional(),
});
export type OtlpExporterConfig = z.output<typeof otlpExporterSchema>;
