/**
 * `prometheus` receiver configuration: the Collector's shape (`config: {global, scrape_configs}`) holding a
 * Prometheus 2.42 scrape configuration, plus the receiver's own options (`api`, `max_concurrent_scrapes`,
 * `counter_start_time`).
 *
 * Contract
 * - Load, validate, resolve: zod strict objects reject unknown keys (the YAML path is reported by the config
 *   loader); `superRefine` runs Prometheus's checks with its messages (job_name required and unique, scrape_timeout <=
 *   scrape_interval, HTTP client rules, static target addresses); the final transform resolves every job against
 *   `global` into a `ScrapeJob` the scrape code reads without further defaults.
 * - Durations use Prometheus's syntax (units.ts), not the Collector's: "1m30s" yes, "1.5s" no.
 * - `external_labels` are added to every scraped and synthetic series that lacks the label (as Prometheus's remote
 *   write does), so the gateway's series equal Prometheus's remote-written ones.
 */
import { z } from 'zod';
import { relabelConfigsSchema, type RelabelConfig } from '../../relabel/index.ts';
import { checkHttpClient, httpClientFields, resolveHttpClient, type HttpClientConfig } from './config-http.ts';
import {
  checkTargetAddress,
  dnsSdConfigSchema,
  fileSdConfigSchema,
  httpSdConfigSchema,
  labelSetSchema,
  promDuration,
  staticConfigSchema,
  UNSUPPORTED_SD,
  type DnsSdConfig,
  type FileSdConfig,
  type HttpSdConfig,
  type StaticConfig,
} from './config-sd.ts';
import { parseBase2Bytes } from './units.ts';

const DEFAULT_SCRAPE_INTERVAL = 60_000;
const DEFAULT_SCRAPE_TIMEOUT = 10_000;

const limit = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const byteSize = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'number') {
    if (v === 0) return 0;
    ctx.addIssue({ code: 'custom', message: `missing unit in ${v} (e.g. "10MB")` });
    return z.NEVER;
  }
  const r = parseBase2Bytes(v);
  if (typeof r === 'string') {
    ctx.addIssue({ code: 'custom', message: r });
    return z.NEVER;
  }
  return r;
});

const limitFields = {
  body_size_limit: byteSize.optional(),
  sample_limit: limit.optional(),
  label_limit: limit.optional(),
  label_name_length_limit: limit.optional(),
  label_value_length_limit: limit.optional(),
  target_limit: limit.optional(),
  keep_dropped_targets: limit.optional(),
};

const globalSchema = z
  .strictObject({
    scrape_interval: promDuration.optional(),
    scrape_timeout: promDuration.optional(),
    evaluation_interval: promDuration.optional(),
    external_labels: labelSetSchema.optional(),
    query_log_file: z.string().optional(),
    ...limitFields,
  })
  .superRefine((g, ctx) => {
    const interval = g.scrape_interval || DEFAULT_SCRAPE_INTERVAL;
    if ((g.scrape_timeout ?? 0) > interval) ctx.addIssue({ code: 'custom', path: ['scrape_timeout'], message: 'global scrape timeout greater than scrape interval' });
    if (g.external_labels && Object.hasOwn(g.external_labels, '__name__')) {
      ctx.addIssue({ code: 'custom', path: ['external_labels', '__name__'], message: '"__name__" is a reserved label name' });
    }
  });
type RawGlobal = z.output<typeof globalSchema>;

const unsupportedSd: Record<string, z.ZodOptional<z.ZodUnknown>> = {};
for (const k of UNSUPPORTED_SD) unsupportedSd[k] = z.unknown().optional();

const scrapeConfigSchema = z
  .strictObject({
    job_name: z.string().default(''),
    honor_labels: z.boolean().default(false),
    honor_timestamps: z.boolean().default(true),
    track_timestamps_staleness: z.boolean().default(false),
    params: z.record(z.string(), z.array(z.string())).default({}),
    scrape_interval: promDuration.optional(),
    scrape_timeout: promDuration.optional(),
    metrics_path: z.string().default('/metrics'),
    scheme: z.string().default('http'),
    ...limitFields,
    ...httpClientFields,
    static_configs: z.array(staticConfigSchema).nullish(),
    file_sd_configs: z.array(fileSdConfigSchema).nullish(),
    http_sd_configs: z.array(httpSdConfigSchema).nullish(),
    dns_sd_configs: z.array(dnsSdConfigSchema).nullish(),
    relabel_configs: relabelConfigsSchema.nullish(),
    metric_relabel_configs: relabelConfigsSchema.nullish(),
    ...unsupportedSd,
  })
  .superRefine((c, ctx) => {
    const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (c.job_name === '') add(['job_name'], 'job_name is empty');
    for (const i of checkHttpClient(c)) add(i.path, i.message);
    if (c.scheme !== 'http' && c.scheme !== 'https') add(['scheme'], `invalid scheme ${JSON.stringify(c.scheme)}: expected "http" or "https"`);
    if ((c.relabel_configs ?? []).length === 0) {
      (c.static_configs ?? []).forEach((sc, i) =>
        sc.targets.forEach((t, j) => {
          const e = checkTargetAddress(t);
          if (e !== undefined) add(['static_configs', i, 'targets', j], e);
        }),
      );
    }
    for (const k of UNSUPPORTED_SD) {
      if ((c as Record<string, unknown>)[k] !== undefined) {
        add([k], `${k} is not supported by otel-bridge (supported: static_configs, file_sd_configs, http_sd_configs, dns_sd_configs)`);
      }
    }
  });
type RawScrapeConfig = z.output<typeof scrapeConfigSchema>;

/** One scrape job with every default resolved. */
export interface ScrapeJob {
  jobName: string;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  metricsPath: string;
  scheme: string;
  params: Record<string, string[]>;
  honorLabels: boolean;
  honorTimestamps: boolean;
  trackTimestampsStaleness: boolean;
  /** 0 = no limit, for all limits. */
  sampleLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  targetLimit: number;
  bodySizeLimit: number;
  keepDroppedTargets: number;
  http: HttpClientConfig;
  staticConfigs: StaticConfig[];
  fileSdConfigs: FileSdConfig[];
  httpSdConfigs: HttpSdConfig[];
  dnsSdConfigs: DnsSdConfig[];
  relabelConfigs: RelabelConfig[];
  metricRelabelConfigs: RelabelConfig[];
}

export interface GlobalSettings {
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  externalLabels: Record<string, string>;
}

function resolveGlobal(g: RawGlobal | undefined): GlobalSettings {
  const interval = g?.scrape_interval || DEFAULT_SCRAPE_INTERVAL;
  let timeout = g?.scrape_timeout || 0;
  if (timeout === 0) timeout = DEFAULT_SCRAPE_TIMEOUT > interval ? interval : DEFAULT_SCRAPE_TIMEOUT;
  const ext: Record<string, string> = {};
  for (const [k, v] of Object.entries(g?.external_labels ?? {})) if (v !== '') ext[k] = v;
  return { scrapeIntervalMs: interval, scrapeTimeoutMs: timeout, externalLabels: ext };
}

/** `ScrapeConfig.Validate(global)`: interval/timeout inheritance; returns an error message or the job. */
function resolveJob(c: RawScrapeConfig, gs: GlobalSettings, g: RawGlobal | undefined): ScrapeJob | string {
  const interval = c.scrape_interval || gs.scrapeIntervalMs;
  const explicitTimeout = c.scrape_timeout || 0;
  if (explicitTimeout > interval) return `scrape timeout greater than scrape interval for scrape config with job name ${JSON.stringify(c.job_name)}`;
  const timeout = explicitTimeout || (gs.scrapeTimeoutMs > interval ? interval : gs.scrapeTimeoutMs);
  const pick = (k: keyof typeof limitFields): number => (c[k] as number | undefined) || (g?.[k] as number | undefined) || 0;
  return {
    jobName: c.job_name,
    scrapeIntervalMs: interval,
    scrapeTimeoutMs: timeout,
    metricsPath: c.metrics_path,
    scheme: c.scheme,
    params: c.params,
    honorLabels: c.honor_labels,
    honorTimestamps: c.honor_timestamps,
    trackTimestampsStaleness: c.track_timestamps_staleness,
    sampleLimit: pick('sample_limit'),
    labelLimit: pick('label_limit'),
    labelNameLengthLimit: pick('label_name_length_limit'),
    labelValueLengthLimit: pick('label_value_length_limit'),
    targetLimit: pick('target_limit'),
    bodySizeLimit: pick('body_size_limit'),
    keepDroppedTargets: pick('keep_dropped_targets'),
    http: resolveHttpClient(c),
    staticConfigs: c.static_configs ?? [],
    fileSdConfigs: c.file_sd_configs ?? [],
    httpSdConfigs: (c.http_sd_configs ?? []) as HttpSdConfig[],
    dnsSdConfigs: c.dns_sd_configs ?? [],
    relabelConfigs: c.relabel_configs ?? [],
    metricRelabelConfigs: c.metric_relabel_configs ?? [],
  };
}

const promConfigSchema = z.strictObject({
  global: globalSchema.optional(),
  scrape_configs: z.array(scrapeConfigSchema).nullish(),
  scrape_config_files: z.array(z.string()).optional(),
  rule_files: z.unknown().optional(),
  alerting: z.unknown().optional(),
  remote_write: z.unknown().optional(),
  remote_read: z.unknown().optional(),
  storage: z.unknown().optional(),
  tracing: z.unknown().optional(),
});

const apiSchema = z.strictObject({
  /** Bearer token required by POST/DELETE /api/v1/scrape_targets. Without one (and no token_file) they answer 403. */
  token: z.string().optional(),
  token_file: z.string().optional(),
  /** Directory of the JSON file persisting targets added at run time; without it they live in memory only. */
  directory: z.string().optional(),
});

export const prometheusReceiverSchema = z
  .strictObject({
    config: promConfigSchema,
    api: apiSchema.prefault({}),
    /** Scrapes in flight at once across all jobs of this receiver; 0 = unbounded. */
    max_concurrent_scrapes: z.number().int().min(0).default(256),
    /** `created`: counter start time from `_created` only (else unset, per the OTel spec); `first_seen`: else the
     * time the series was first scraped, moved on detected resets. */
    counter_start_time: z.enum(['created', 'first_seen']).default('created'),
  })
  .superRefine((c, ctx) => {
    const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const p = c.config;
    for (const k of ['scrape_config_files', 'rule_files', 'alerting', 'remote_write', 'remote_read', 'storage', 'tracing'] as const) {
      if (p[k] !== undefined) add(['config', k], `${k} is not supported in the prometheus receiver${k === 'remote_write' ? ' (use the prometheusremotewrite exporter)' : ''}`);
    }
    const jobs = p.scrape_configs ?? [];
    if (jobs.length === 0) add(['config', 'scrape_configs'], 'no scrape_configs: add at least one job under config.scrape_configs');
    const gs = resolveGlobal(p.global);
    const seen = new Set<string>();
    jobs.forEach((j, i) => {
      if (j.job_name !== '' && seen.has(j.job_name)) add(['config', 'scrape_configs', i, 'job_name'], `found multiple scrape configs with job name ${JSON.stringify(j.job_name)}`);
      seen.add(j.job_name);
      const r = resolveJob(j, gs, p.global);
      if (typeof r === 'string') add(['config', 'scrape_configs', i, 'scrape_timeout'], r);
    });
    if (c.api.token !== undefined && c.api.token_file !== undefined) add(['api'], 'at most one of token & token_file must be configured');
  })
  .transform((c) => {
    const gs = resolveGlobal(c.config.global);
    return {
      global: gs,
      jobs: (c.config.scrape_configs ?? []).map((j) => resolveJob(j, gs, c.config.global) as ScrapeJob),
      api: { token: c.api.token, tokenFile: c.api.token_file, directory: c.api.directory },
      maxConcurrentScrapes: c.max_concurrent_scrapes,
      counterStartTime: c.counter_start_time,
    };
  });

export type PrometheusReceiverConfig = z.output<typeof prometheusReceiverSchema>;
