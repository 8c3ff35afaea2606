/**
 * The gateway's self-metrics: one @opentelemetry/sdk-metrics MeterProvider for the process (it outlives config
 * reloads, so counters never reset), read by the configured readers: Prometheus pull (@opentelemetry/exporter-prometheus,
 * default :8888/metrics as the Collector) and/or periodic OTLP gRPC push (@opentelemetry/exporter-metrics-otlp-grpc).
 * Instrument names follow the Collector (`otelcol_receiver_accepted_metric_points`, ...); each component's
 * instruments carry its id as `receiver` / `processor` / `exporter` / `extension`, as the Collector's do.
 * Counters are plain numbers (counter-series.ts) reported by observable counters, so `add` costs no SDK call and no
 * allocation, and their values survive a reader change. Local per-component mirrors of every counter feed the status
 * page without a collection cycle.
 */
import { metrics as apiMetrics, type Attributes, type Histogram, type Meter } from '@opentelemetry/api';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { monitorEventLoopDelay } from 'node:perf_hooks';

type IntervalHistogram = ReturnType<typeof monitorEventLoopDelay>;
import type { Attrs, ComponentTelemetry, CounterHandle, GaugeHandle, HistogramHandle } from './component-telemetry.ts';
import type { EffectiveTelemetry, ReaderConfig } from './config.ts';
import { CounterHandleImpl, CounterStore, type Mirror } from './counter-series.ts';
import { VERSION } from '../version.ts';

export class SelfTelemetry {
  private provider: MeterProvider | undefined;
  private meter: Meter;
  /** Every counter series' value, reported by observable counters (counter-series.ts). */
  readonly counterStore = new CounterStore();
  private readonly histograms = new Map<string, Histogram>();
  private readonly gauges = new Map<string, Map<string, () => number | Array<[number, Attrs]>>>();
  private readers: MetricReader[] = [];
  private readerKey = '';
  private loopDelay: IntervalHistogram | undefined;
  /** Where the Prometheus pull reader listens, e.g. "0.0.0.0:8888" (status page link). */
  pullAddresses: string[] = [];

  constructor() {
    this.meter = apiMetrics.getMeterProvider().getMeter('noop');
  }

  /** (Re)configures readers. The provider is rebuilt only when readers change; instruments are re-created on it. */
  async configure(t: EffectiveTelemetry): Promise<void> {
    const key = JSON.stringify(t.readers) + JSON.stringify(t.resource);
    if (key === this.readerKey && this.provider) return;
    await this.shutdown();
    this.readerKey = key;
    this.readers = t.readers.map((r) => makeReader(r));
    this.pullAddresses = t.readers.flatMap((r) => ('pull' in r ? [`${r.pull.exporter.prometheus.host}:${r.pull.exporter.prometheus.port}`] : []));
    const views: ViewOptions[] = [];
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'otel-bridge', 'service.version': VERSION, ...t.resource }),
      readers: this.readers,
      views,
    });
    this.meter = this.provider.getMeter('otel-bridge', VERSION);
    this.histograms.clear();
    this.counterStore.bind(this.meter);
    this.registerProcessMetrics();
    for (const [name, reads] of this.gauges) this.observe(name, reads);
    // Wait for pull servers to listen so a failure to bind is reported at start, not later.
    for (const r of this.readers) if (r instanceof PrometheusExporter) await r.startServer();
  }

  async shutdown(): Promise<void> {
    const p = this.provider;
    this.provider = undefined;
    this.readerKey = '';
    this.counterStore.bind(undefined);
    this.loopDelay?.disable();
    this.loopDelay = undefined;
    if (p) await p.shutdown().catch(() => undefined);
  }

  histogram(name: string, description: string, unit: string, boundaries: number[]): Histogram {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = this.meter.createHistogram(name, { description, unit, advice: { explicitBucketBoundaries: boundaries } })));
    return h;
  }

  /** Adds an observer for a gauge name; several components may report into one name (by attributes). */
  addGaugeSource(name: string, sourceId: string, read: () => number | Array<[number, Attrs]>, description: string, unit: string): void {
    let m = this.gauges.get(name);
    if (!m) {
      this.gauges.set(name, (m = new Map()));
      this.gaugeMeta.set(name, { description, unit });
      this.observe(name, m);
    }
    m.set(sourceId, read);
  }

  removeGaugeSource(name: string, sourceId: string): void {
    this.gauges.get(name)?.delete(sourceId);
  }

  private readonly gaugeMeta = new Map<string, { description: string; unit: string }>();

  private observe(name: string, reads: Map<string, () => number | Array<[number, Attrs]>>): void {
    const meta = this.gaugeMeta.get(name) ?? { description: name, unit: '1' };
    const g = this.meter.createObservableGauge(name, meta);
    g.addCallback((res) => {
      for (const read of reads.values()) {
        const v = read();
        if (typeof v === 'number') res.observe(v);
        else for (const [n, a] of v) res.observe(n, a as Attributes);
      }
    });
  }

  private registerProcessMetrics(): void {
    const m = this.meter;
    const start = Date.now();
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelay.enable();
    const loop = this.loopDelay;
    m.createObservableCounter('otelcol_process_cpu_seconds', { description: 'Total CPU user and system time in seconds', unit: 's' }).addCallback((r) => {
      const u = process.cpuUsage();
      r.observe((u.user + u.system) / 1e6);
    });
    m.createObservableGauge('otelcol_process_memory_rss', { description: 'Total physical memory (resident set size)', unit: 'By' }).addCallback((r) => r.observe(process.memoryUsage.rss()));
    m.createObservableGauge('otelcol_process_runtime_heap_alloc_bytes', { description: 'Bytes of allocated heap objects', unit: 'By' }).addCallback((r) => r.observe(process.memoryUsage().heapUsed));
    m.createObservableGauge('otelcol_process_runtime_total_sys_memory_bytes', { description: 'Total heap bytes obtained from the system', unit: 'By' }).addCallback((r) => r.observe(process.memoryUsage().heapTotal));
    m.createObservableCounter('otelcol_process_uptime', { description: 'Uptime of the process', unit: 's' }).addCallback((r) => r.observe((Date.now() - start) / 1000));
    m.createObservableGauge('otelbridge_process_event_loop_delay_seconds', { description: 'Event loop delay percentiles since the last collection', unit: 's' }).addCallback((r) => {
      // `stat`, not `quantile`: a gauge with a quantile label is reserved for summaries (promtool flags it).
      r.observe(loop.percentile(50) / 1e9, { stat: 'p50' });
      r.observe(loop.percentile(99) / 1e9, { stat: 'p99' });
      r.observe(loop.max / 1e9, { stat: 'max' });
      loop.reset();
    });
  }

  /** Telemetry handle for one component. */
  forComponent(kind: string, id: string, extra: Attrs = {}): ComponentTelemetry {
    return new ComponentTelemetryImpl(this, { [kind]: id, ...extra }, `${kind}:${id}`);
  }
}

function makeReader(r: ReaderConfig): MetricReader {
  if ('pull' in r) {
    const p = r.pull.exporter.prometheus;
    return new PrometheusExporter({ host: p.host, port: p.port, preventServerStart: true, withoutScopeInfo: p.without_scope_info, withoutTargetInfo: true });
  }
  const o = r.periodic.exporter.otlp;
  const headers = Array.isArray(o.headers) ? Object.fromEntries(o.headers.map((h) => [h.name, h.value])) : o.headers;
  const exporter = new OTLPMetricExporter({ url: o.endpoint, headers, timeoutMillis: o.timeout });
  return new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: r.periodic.interval, exportTimeoutMillis: Math.min(r.periodic.timeout, r.periodic.interval) });
}

class ComponentTelemetryImpl implements ComponentTelemetry {
  private readonly mirrors = new Map<string, Mirror>();
  private readonly gaugeNames = new Set<string>();
  private readonly base: Attrs;
  private readonly sourceId: string;
  private readonly self: SelfTelemetry;

  constructor(self: SelfTelemetry, base: Attrs, sourceId: string) {
    this.self = self;
    this.base = base;
    this.sourceId = sourceId;
  }

  counter(name: string, description: string, unit = '1'): CounterHandle {
    let mirror = this.mirrors.get(name);
    if (!mirror) this.mirrors.set(name, (mirror = { total: 0, byAttrs: new Map() }));
    return new CounterHandleImpl(this.self.counterStore, name, description, unit, this.base, mirror);
  }

  histogram(name: string, description: string, unit: string, boundaries: number[]): HistogramHandle {
    const self = this.self;
    const base = this.base;
    return {
      record(v: number, attrs?: Attrs): void {
        self.histogram(name, description, unit, boundaries).record(v, (attrs ? { ...base, ...attrs } : base) as Attributes);
      },
    };
  }

  gauge(name: string, description: string, read: () => number | Array<[number, Attrs]>, unit = '1'): GaugeHandle {
    const base = this.base;
    this.gaugeNames.add(name);
    this.self.addGaugeSource(
      name,
      this.sourceId,
      () => {
        const v = read();
        if (typeof v === 'number') return [[v, base]];
        return v.map(([n, a]) => [n, { ...base, ...a }] as [number, Attrs]);
      },
      description,
      unit,
    );
    return { name };
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, m] of this.mirrors) {
      out[name] = m.total;
      for (const [k, v] of m.byAttrs) out[`${name}${k}`] = v.n;
    }
    return out;
  }

  /** Drops this component's gauge callbacks (on shutdown/reload). */
  dispose(): void {
    for (const name of this.gaugeNames) this.self.removeGaugeSource(name, this.sourceId);
    this.gaugeNames.clear();
  }
}
