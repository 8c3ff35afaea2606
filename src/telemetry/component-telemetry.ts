/**
 * What a component gets to report about itself. Backed by @opentelemetry/sdk-metrics (served on :8888/metrics)
 * and mirrored into plain numbers for the status page. Instruments are created once per component; a counter `add`
 * on the hot path only bumps numbers found by a few Map lookups, without allocating (counter-series.ts: the SDK
 * reads them through observable counters at collection time). Histogram `record` goes to an SDK histogram.
 */
export interface Attrs {
  readonly [key: string]: string | number | boolean;
}

export interface CounterHandle {
  add(n: number, attrs?: Attrs): void;
}
export interface HistogramHandle {
  record(v: number, attrs?: Attrs): void;
}
export interface GaugeHandle {
  /** Reports the value of `read()` at collection time. */
  readonly name: string;
}

export interface ComponentTelemetry {
  /** Counter named e.g. `otelcol_receiver_accepted_metric_points`; the component's id attribute is added. */
  counter(name: string, description: string, unit?: string): CounterHandle;
  histogram(name: string, description: string, unit: string, boundaries: number[]): HistogramHandle;
  /** An observable gauge read at collection time. */
  gauge(name: string, description: string, read: () => number | Array<[number, Attrs]>, unit?: string): GaugeHandle;
  /** Totals per counter name (summed over attributes) and per attribute set, for the status page. */
  snapshot(): Record<string, number>;
  /** Releases observers this component registered (gauges); called by the service after shutdown. */
  dispose(): void;
}
