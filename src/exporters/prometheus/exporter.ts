/**
 * `prometheus` exporter (Collector semantics): keeps the latest value of every series the pipeline delivers and
 * serves them on `endpoint` at /metrics for Prometheus to scrape. Config: config.ts; state: store.ts; output:
 * render.ts; HTTP: server.ts. Translation (names, units, `_total`, job/instance, target_info, delta -> cumulative)
 * is the shared layer in src/translate/prometheus.
 *
 * Contract
 * - `consume` translates the batch into the store synchronously and resolves: the data is "delivered" once it is
 *   visible to the next scrape. It never rejects for data reasons; points that cannot be represented are counted in
 *   `otelcol_exporter_send_failed_metric_points{reason}` (translator drop reasons, or `type_conflict` when a name is
 *   already served with another type) and the rest in `otelcol_exporter_sent_metric_points`.
 * - Series expire `metric_expiration` after their last update (swept before each render and on consume at most once
 *   per second); delta state in the translator expires on the same schedule.
 * - Self-metrics: `otelbridge_exporter_prometheus_scrapes{outcome,format}`, `..._render_duration` (seconds,
 *   request to last byte handed to the socket: a streamed body includes waiting for the reader),
 *   `..._series` (series currently served), `..._expired_series`.
 */
import type { CreateSettings, ExporterComponent, ExporterFactory } from '../../component/component.ts';
import type { ConsumeContext } from '../../consumer/consumer.ts';
import type { MetricsData } from '../../model/types.ts';
import { PrometheusTranslator } from '../../translate/prometheus/index.ts';
import { splitHostPort } from '../../extensions/healthcheck/config.ts';
import { prometheusExporterSchema, type PrometheusExporterConfig } from './config.ts';
import { MetricsServer } from './server.ts';
import { SeriesStore } from './store.ts';

const SWEEP_EVERY_MS = 1000;

export class PrometheusExporter implements ExporterComponent {
  readonly mutatesData = false;
  readonly store: SeriesStore;
  private readonly settings: CreateSettings;
  private readonly cfg: PrometheusExporterConfig;
  private readonly translator: PrometheusTranslator;
  private server: MetricsServer | undefined;
  private lastSweep = 0;
  private readonly sent;
  private readonly failed;
  private readonly expired;
  private readonly scrapes;
  private readonly renderSeconds;
  private lastScrape: { at: string; outcome: string; series: number; ms: number } | undefined;

  constructor(settings: CreateSettings, cfg: PrometheusExporterConfig) {
    this.settings = settings;
    this.cfg = cfg;
    this.store = new SeriesStore(cfg.metric_expiration, cfg.enable_open_metrics);
    this.translator = new PrometheusTranslator({
      namespace: cfg.namespace,
      addMetricSuffixes: cfg.add_metric_suffixes,
      promoteScopeMetadata: !cfg.without_scope_info,
      resourceToTelemetryConversion: cfg.resource_to_telemetry_conversion.enabled,
      externalLabels: cfg.const_labels,
      exemplars: cfg.enable_open_metrics,
      deltaToCumulative: true,
      metricExpirationMs: cfg.metric_expiration,
      onWarning: (message) => settings.logger.debug({ message }, 'translation warning'),
    });
    const t = settings.telemetry;
    this.sent = t.counter('otelcol_exporter_sent_metric_points', 'Number of metric points successfully sent to destination.', '{datapoints}');
    this.failed = t.counter('otelcol_exporter_send_failed_metric_points', 'Number of metric points in failed attempts to send to destination.', '{datapoints}');
    this.expired = t.counter('otelbridge_exporter_prometheus_expired_series', 'Series removed from /metrics after metric_expiration without an update.', '{series}');
    this.scrapes = t.counter('otelbridge_exporter_prometheus_scrapes', 'Scrapes of the /metrics endpoint, by outcome and format.', '{scrapes}');
    this.renderSeconds = t.histogram('otelbridge_exporter_prometheus_render_duration', 'Time to render, compress and hand one /metrics response to the socket.', 's', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    t.gauge('otelbridge_exporter_prometheus_series', 'Series currently served on /metrics.', () => this.store.seriesCount(), '{series}');
  }

  async start(): Promise<void> {
    const c = this.cfg;
    const server = new MetricsServer(this.store, {
      endpoint: c.endpoint,
      tls: c.tls,
      openMetrics: c.enable_open_metrics,
      timestamps: c.send_timestamps,
      maxConcurrent: c.max_concurrent_scrapes,
      renderTimeoutMs: c.render_timeout,
      logger: this.settings.logger,
      who: `exporter ${this.settings.id}`,
      beforeRender: () => this.sweep(Date.now(), true),
      onScrape: (outcome, format, series, ms) => {
        this.scrapes.add(1, { outcome, format });
        if (outcome === 'ok') this.renderSeconds.record(ms / 1000);
        this.lastScrape = { at: new Date().toISOString(), outcome, series, ms: Math.round(ms * 10) / 10 };
      },
    });
    await server.listen();
    this.server = server;
    this.settings.logger.info({ endpoint: server.address, openMetrics: c.enable_open_metrics }, 'Prometheus /metrics endpoint listening');
  }

  private sweep(now: number, force: boolean): void {
    if (!force && now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    const n = this.store.sweep(now);
    if (n > 0) this.expired.add(n);
  }

  async consume(md: MetricsData, _ctx: ConsumeContext): Promise<void> {
    const now = Date.now();
    this.sweep(now, false);
    const store = this.store;
    const conflictsBefore = store.conflicts;
    store.begin(now);
    let stats;
    try {
      stats = this.translator.translate(md, store);
    } finally {
      store.end();
    }
    const dropped = stats.dropped;
    if (dropped > 0) {
      for (const [reason, n] of Object.entries(stats.droppedByReason)) if (n > 0) this.failed.add(n, { reason });
    }
    const conflicted = store.conflicts - conflictsBefore;
    if (conflicted > 0) {
      this.failed.add(conflicted, { reason: 'type_conflict' });
      this.settings.logger.warn({ dataPoints: conflicted }, 'metric name already served with another type; those points were not exported');
    }
    this.sent.add(stats.points - dropped - conflicted);
  }

  async shutdown(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  status(): Record<string, unknown> {
    return {
      endpoint: this.server?.address ?? this.cfg.endpoint,
      series: this.store.seriesCount(),
      families: this.store.families.size,
      activeScrapes: this.server?.activeScrapes ?? 0,
      ...(this.lastScrape ? { lastScrape: this.lastScrape } : {}),
    };
  }
}

export const prometheusExporterFactory: ExporterFactory<PrometheusExporterConfig> = {
  kind: 'exporter',
  type: 'prometheus',
  configSchema: prometheusExporterSchema,
  listenAddresses: (c) => {
    const { host, port } = splitHostPort(c.endpoint);
    return [`${host}:${port}`];
  },
  create: (settings, config) => new PrometheusExporter(settings, config),
};
