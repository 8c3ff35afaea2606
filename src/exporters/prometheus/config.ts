/**
 * `prometheus` exporter config (Collector option names and defaults; the extras are marked):
 *
 *   exporters:
 *     prometheus:
 *       endpoint: 0.0.0.0:9464            # required (the Collector has no default); /metrics is served there
 *       namespace: ""                      # prefix `<namespace>_` on every metric name
 *       const_labels: {region: eu}         # added to every series that does not already carry the label
 *       send_timestamps: false             # write each sample's timestamp
 *       metric_expiration: 5m              # series not updated for that long disappear (target_info with them)
 *       resource_to_telemetry_conversion: {enabled: false}   # every resource attribute becomes a label
 *       enable_open_metrics: false         # OpenMetrics 1.0 (with exemplars) when the scraper's Accept asks for it
 *       add_metric_suffixes: true          # unit and `_total` suffixes
 *       tls: {cert_file, key_file, client_ca_file}          # HTTPS; client_ca_file = mTLS
 *       # otel-bridge extras:
 *       max_concurrent_scrapes: 4          # scrapes rendered at once; more are answered 503
 *       without_scope_info: false          # true: no otel_scope_* labels (see prometheusremotewrite/config.ts)
 *       render_timeout: 10s                # a render taking longer is abandoned with 503
 *
 * Contract: zod fills every default; `endpoint` must be "host:port"; const_labels names must be valid Prometheus
 * label names (checked here so a bad name fails `validate`, not start).
 */
import { z } from 'zod';
import { duration } from '../../config/duration.ts';
import { serverTlsSchema } from '../../receivers/otlp/config.ts';

const hostPort = z.string().regex(/^(\[[^\]]*\]|[^:[\]]*):\d+$/, 'expected "host:port", e.g. "0.0.0.0:9464"');
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const prometheusExporterSchema = z.strictObject({
  endpoint: hostPort,
  namespace: z.string().regex(/^[a-zA-Z_:]?[a-zA-Z0-9_:]*$/, 'namespace must be usable as a metric name prefix').default(''),
  const_labels: z
    .record(z.string(), z.string())
    .default({})
    .superRefine((labels, ctx) => {
      for (const name of Object.keys(labels)) {
        if (!LABEL_NAME.test(name) || name.startsWith('__')) ctx.addIssue({ code: 'custom', message: `invalid label name ${JSON.stringify(name)} in const_labels` });
      }
    }),
  send_timestamps: z.boolean().default(false),
  metric_expiration: duration('5m'),
  resource_to_telemetry_conversion: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  enable_open_metrics: z.boolean().default(false),
  add_metric_suffixes: z.boolean().default(true),
  tls: serverTlsSchema.optional(),
  max_concurrent_scrapes: z.number().int().positive().default(4),
  without_scope_info: z.boolean().default(false),
  render_timeout: duration('10s'),
});
export type PrometheusExporterConfig = z.output<typeof prometheusExporterSchema>;
