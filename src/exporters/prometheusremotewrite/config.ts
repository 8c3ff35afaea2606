/**
 * `prometheusremotewrite` exporter config (Collector option names and defaults; extras and deviations marked):
 *
 *   exporters:
 *     prometheusremotewrite:
 *       endpoint: https://prom.example.com/api/v1/write   # required
 *       headers: {X-Scope-OrgID: tenant-a}     # cannot set Content-Encoding/Content-Type/User-Agent/X-Prometheus-*
 *       external_labels: {cluster: eu-1}       # added to every series that does not carry the label
 *       namespace: ""                          # prefix `<namespace>_` on every metric name
 *       timeout: 5s                            # per request
 *       tls: {ca_file, cert_file, key_file, insecure_skip_verify, server_name_override, min_version}
 *       auth: {authenticator: bearertokenauth/prw}   # or basicauth/<name> with client_auth
 *       resource_to_telemetry_conversion: {enabled: false}
 *       target_info: {enabled: true}
 *       add_metric_suffixes: true
 *       without_scope_info: false              # extra (name of the OTel SDK Prometheus exporter option): true = no
 *                                              # otel_scope_name/version/schema_url/<attr> labels
 *       send_metadata: false                   # RW 1.0 MetricMetadata (RW 2.0 always carries metadata)
 *       max_batch_size_bytes: 3000000          # uncompressed request size before a shard's batch is split
 *       remote_write_queue: {enabled: true, queue_size: 10000, num_consumers: 5,
 *                            flush_interval: 200ms}   # extra: how long a shard's open request may collect samples
 *                                                     # across batches before it is sent (in-memory queue only)
 *       retry_on_failure: {enabled: true, initial_interval: 50ms, max_interval: 5s, max_elapsed_time: 0s, ...}
 *       write_relabel_configs: [{source_labels: [__name__], regex: "go_.*", action: drop}]
 *       wal:                                   # durable queue (omit for the in-memory queue)
 *         directory: /var/lib/otel-bridge/prw
 *         buffer_size: 300                     # records read ahead from the WAL for shipping
 *         truncate_frequency: 1m               # how often acknowledged segments are deleted
 *         max_size_bytes: 1073741824           # extra: disk limit
 *         overflow: block                      # extra: block (refuse new data -> 429 upstream) | drop_oldest
 *       protobuf_message: prometheus.WriteRequest   # or io.prometheus.write.v2.Request (falls back to 1.0 on 415)
 *
 * Deviations from the Collector: `retry_on_failure` defaults follow Prometheus (50 ms initial, 5 s max interval,
 * retry forever: max_elapsed_time 0) so an outage never silently drops queued data; `num_consumers` senders each own a
 * shard of the series (per-series order kept), the Collector's do not.
 *
 * Scope labels: by default every series carries otel_scope_name/otel_scope_version (the compatibility spec's MUST; the
 * Collector does the same). Scraped series then carry the prometheus receiver's scope
 * (otel_scope_name="otel-bridge/receiver/prometheus"), which Prometheus itself never writes. For the label sets
 * Prometheus writes for the same scrape config, set `without_scope_info: true` (the spec's SHOULD-have option to
 * disable them), `target_info: {enabled: false}` and, if targets expose counters without `_total`,
 * `add_metric_suffixes: false` (test/prometheus-receiver/prometheus-e2e.slow.test.ts runs exactly that).
 */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { relabelConfigsSchema } from '../../relabel/index.ts';
import { authRefSchema } from '../../receivers/otlp/config.ts';
import { clientTlsSchema } from '../otlp/config.ts';
import { retrySchemaWith } from '../helper/config.ts';
import { MAX_LANES } from '../helper/wal/cursor.ts';

const RESERVED_HEADERS = ['content-encoding', 'content-type', 'user-agent', 'x-prometheus-remote-write-version'];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const PROTO_V1 = 'prometheus.WriteRequest';
export const PROTO_V2 = 'io.prometheus.write.v2.Request';

/** Prometheus-style defaults (see header). max_elapsed_time 0 = retry until delivered or permanently rejected; ignored with `wal`. */
export const prwRetrySchema = retrySchemaWith({ initial_interval: '50ms', max_interval: '5s', max_elapsed_time: '0s' });

export const prwExporterSchema = z.strictObject({
  endpoint: z.string().regex(/^https?:\/\/[^\s/]+/, 'expected an http:// or https:// URL, e.g. "http://prometheus:9090/api/v1/write"'),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .superRefine((h, ctx) => {
      for (const k of Object.keys(h)) {
        if (RESERVED_HEADERS.includes(k.toLowerCase())) ctx.addIssue({ code: 'custom', message: `header ${JSON.stringify(k)} is set by the remote-write protocol and cannot be overridden` });
      }
    }),
  external_labels: z
    .record(z.string(), z.string())
    .default({})
    .superRefine((labels, ctx) => {
      for (const name of Object.keys(labels)) {
        if (!LABEL_NAME.test(name) || name.startsWith('__')) ctx.addIssue({ code: 'custom', message: `invalid label name ${JSON.stringify(name)} in external_labels` });
      }
    }),
  namespace: z.string().regex(/^[a-zA-Z_:]?[a-zA-Z0-9_:]*$/, 'namespace must be usable as a metric name prefix').default(''),
  timeout: duration('5s'),
  tls: clientTlsSchema,
  auth: authRefSchema.optional(),
  resource_to_telemetry_conversion: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  target_info: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  export_created_metric: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  add_metric_suffixes: z.boolean().default(true),
  send_metadata: z.boolean().default(false),
  without_scope_info: z.boolean().default(false),
  max_batch_size_bytes: z.number().int().min(1024).default(3_000_000),
  remote_write_queue: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Requests held in memory (without `wal`). */
      queue_size: z.number().int().positive().default(10_000),
      num_consumers: z.number().int().positive().max(MAX_LANES).default(5),
      /**
       * Extra (vmagent's -remoteWrite.flushInterval, Prometheus's batch_send_deadline): with the in-memory queue, a
       * shard's request keeps collecting the samples of following batches for up to this long (or until
       * max_batch_size_bytes) before it is queued, so frequent small batches (one per scrape) do not each cost an
       * HTTP request. 0 = one request per shard per batch.
       */
      flush_interval: duration('200ms'),
    })
    .prefault({}),
  retry_on_failure: prwRetrySchema,
  write_relabel_configs: relabelConfigsSchema.default([]),
  wal: z
    .strictObject({
      directory: z.string().min(1, 'wal.directory is required to enable the WAL'),
      buffer_size: z.number().int().positive().default(300),
      truncate_frequency: duration('1m'),
      max_size_bytes: z.number().int().nonnegative().default(1 << 30),
      overflow: z.enum(['block', 'drop_oldest']).default('block'),
    })
    .optional(),
  protobuf_message: z.enum([PROTO_V1, PROTO_V2]).default(PROTO_V1),
});
export type PrwExporterConfig = z.output<typeof prwExporterSchema>;
