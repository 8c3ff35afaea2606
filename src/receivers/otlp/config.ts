/**
 * `otlp` receiver config, with the Collector's option names and defaults:
 *
 *   receivers:
 *     otlp:
 *       protocols:
 *         grpc:                       # omitted = not served
 *           endpoint: 0.0.0.0:4317
 *           max_recv_msg_size_mib: 4  # per message, after decompression
 *           include_metadata: false
 *           tls: {cert_file, key_file, client_ca_file}   # client_ca_file = mTLS (client certificates required)
 *           auth: {authenticator: bearertokenauth/in}
 *           keepalive: {server_parameters: {time, timeout, max_connection_idle, max_connection_age, max_connection_age_grace}}
 *         http:
 *           endpoint: 0.0.0.0:4318
 *           max_request_body_size: 20971520  # bytes, on the wire AND after decompression (compression bombs stop here)
 *           metrics_url_path: /v1/metrics
 *           include_metadata: false
 *           cors: {allowed_origins: ["https://*.example.com"], allowed_headers: [...], max_age: 7200}
 *           tls: {...}
 *           auth: {...}
 *
 * Contract: a `protocols` key written with no value (`grpc:`) enables that protocol with defaults, as in the Collector;
 * at least one protocol is required. TLS files are read at start (errors then name the file).
 */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';

export const serverTlsSchema = z.strictObject({
  cert_file: z.string().min(1),
  key_file: z.string().min(1),
  /** CA bundle for client certificates: when set, clients must present a certificate signed by it (mTLS). */
  client_ca_file: z.string().min(1).optional(),
  /** Accepted for Collector compatibility; Node negotiates TLS 1.2+ by default. */
  min_version: z.enum(['1.2', '1.3']).optional(),
});
export type ServerTlsConfig = z.output<typeof serverTlsSchema>;

export const authRefSchema = z.strictObject({
  /** Extension id, e.g. `bearertokenauth/in` or `basicauth/server`. */
  authenticator: z.string().min(1),
});
export type AuthRef = z.output<typeof authRefSchema>;

const hostPort = z.string().regex(/^(\[[^\]]*\]|[^:[\]]*):\d+$/, 'expected "host:port", e.g. "0.0.0.0:4317"');

const keepaliveSchema = z
  .strictObject({
    server_parameters: z
      .strictObject({
        time: duration('2h'),
        timeout: duration('20s'),
        max_connection_idle: duration('0s'),
        max_connection_age: duration('0s'),
        max_connection_age_grace: duration('0s'),
      })
      .prefault({}),
    enforcement_policy: z.strictObject({ min_time: duration('5m'), permit_without_stream: z.boolean().default(false) }).optional(),
  })
  .prefault({});

export const grpcSchema = z.strictObject({
  endpoint: hostPort.default('0.0.0.0:4317'),
  transport: z.literal('tcp').default('tcp'),
  max_recv_msg_size_mib: z.number().positive().default(4),
  max_concurrent_streams: z.number().int().nonnegative().default(0),
  include_metadata: z.boolean().default(false),
  tls: serverTlsSchema.optional(),
  auth: authRefSchema.optional(),
  keepalive: keepaliveSchema,
});
export type GrpcServerConfig = z.output<typeof grpcSchema>;

export const corsSchema = z.strictObject({
  /** Origins allowed to send data; `*` wildcards match any characters (e.g. `https://*.example.com`). */
  allowed_origins: z.array(z.string().min(1)).default([]),
  /** Extra request headers browsers may send (Content-Type, Content-Encoding, Authorization... are always allowed). */
  allowed_headers: z.array(z.string().min(1)).default([]),
  /** Seconds a browser may cache the preflight answer; 0 = do not send Access-Control-Max-Age. */
  max_age: z.number().int().nonnegative().default(0),
});
export type CorsConfig = z.output<typeof corsSchema>;

export const httpSchema = z.strictObject({
  endpoint: hostPort.default('0.0.0.0:4318'),
  max_request_body_size: z.number().int().positive().default(20 * 1024 * 1024),
  metrics_url_path: z.string().startsWith('/').default('/v1/metrics'),
  /** Accepted for Collector compatibility; traces and logs always answer 404 (otel-bridge is metrics only). */
  traces_url_path: z.string().startsWith('/').default('/v1/traces'),
  logs_url_path: z.string().startsWith('/').default('/v1/logs'),
  include_metadata: z.boolean().default(false),
  cors: corsSchema.optional(),
  tls: serverTlsSchema.optional(),
  auth: authRefSchema.optional(),
  /** Collector's compression_algorithms: request Content-Encodings accepted. */
  compression_algorithms: z.array(z.enum(['', 'gzip', 'zstd', 'deflate'])).default(['', 'gzip', 'zstd', 'deflate']),
  read_header_timeout: duration('1m'),
  idle_timeout: duration('1m'),
});
export type HttpServerConfig = z.output<typeof httpSchema>;

/** `grpc:` / `http:` written without a value mean "enabled with defaults". */
const nullToEmpty = (v: unknown) => (v === null ? {} : v);

export const otlpReceiverSchema = z
  .strictObject({
    protocols: z.strictObject({
      grpc: z.preprocess(nullToEmpty, grpcSchema.optional()),
      http: z.preprocess(nullToEmpty, httpSchema.optional()),
    }),
  })
  .superRefine((c, ctx) => {
    if (c.protocols.grpc === undefined && c.protocols.http === undefined) {
      ctx.addIssue({ code: 'custom', path: ['protocols'], message: 'enable at least one protocol: "grpc:" and/or "http:"' });
    }
  });
export type OtlpReceiverConfig = z.output<typeof otlpReceiverSchema>;
