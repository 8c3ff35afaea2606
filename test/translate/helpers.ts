/** Test helpers: compact builders for the OTLP model and a recording PromSink. */
import type {
  Attributes,
  Exemplar,
  HistogramDataPoint,
  Metric,
  MetricsData,
  NumberDataPoint,
  SummaryDataPoint,
} from '../../src/model/types.ts';
import type { FamilyType, PromExemplar, PromSink, SeriesKind, SeriesRef } from '../../src/translate/prometheus/types.ts';

export const attrs = (o: Record<string, string | number | boolean | bigint> = {}): Attributes =>
  Object.entries(o).map(([key, value]) => ({ key, value }));

export const SEC = 1_000_000_000n;

export function num(
  value: number | bigint,
  o: { attrs?: Record<string, string>; t?: bigint; start?: bigint; flags?: number; exemplars?: Exemplar[] } = {},
): NumberDataPoint {
  return {
    attributes: attrs(o.attrs),
    startTimeUnixNano: o.start ?? 0n,
    timeUnixNano: o.t ?? 10n * SEC,
    flags: o.flags ?? 0,
    value,
    exemplars: o.exemplars ?? [],
  };
}

export function hist(
  bounds: number[],
  counts: number[],
  o: { attrs?: Record<string, string>; t?: bigint; start?: bigint; flags?: number; sum?: number | undefined; exemplars?: Exemplar[] } = {},
): HistogramDataPoint {
  return {
    attributes: attrs(o.attrs),
    startTimeUnixNano: o.start ?? 0n,
    timeUnixNano: o.t ?? 10n * SEC,
    flags: o.flags ?? 0,
    count: counts.reduce((a, b) => a + b, 0),
    sum: 'sum' in o ? o.sum : 42,
    bucketCounts: counts,
    explicitBounds: bounds,
    exemplars: o.exemplars ?? [],
    min: undefined,
    max: undefined,
  };
}

export function summ(q: [number, number][], o: { attrs?: Record<string, string>; t?: bigint; flags?: number } = {}): SummaryDataPoint {
  return {
    attributes: attrs(o.attrs),
    startTimeUnixNano: 0n,
    timeUnixNano: o.t ?? 10n * SEC,
    flags: o.flags ?? 0,
    count: 7,
    sum: 3.5,
    quantileValues: q.map(([quantile, value]) => ({ quantile, value })),
  };
}

export function exemplar(value: number, o: { trace?: number; span?: number; attrs?: Record<string, string>; t?: bigint } = {}): Exemplar {
  return {
    filteredAttributes: attrs(o.attrs),
    timeUnixNano: o.t ?? 9n * SEC,
    value,
    traceId: o.trace === undefined ? new Uint8Array(0) : new Uint8Array(16).fill(o.trace),
    spanId: o.span === undefined ? new Uint8Array(0) : new Uint8Array(8).fill(o.span),
  };
}

export function md(metrics: Metric[], resource: Record<string, string> = { 'service.name': 'svc' }, scopeName = ''): MetricsData {
  return {
    resourceMetrics: [
      {
        resource: { attributes: attrs(resource), droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeMetrics: [
          { scope: { name: scopeName, version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', metrics },
        ],
      },
    ],
  };
}

export const base = (name: string, unit = '', description = ''): { name: string; unit: string; description: string; metadata: Attributes } => ({
  name,
  unit,
  description,
  metadata: [],
});

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  ts: number;
  kind: SeriesKind;
  startMs: number;
  exemplars: readonly PromExemplar[] | undefined;
  ref: SeriesRef;
}

export class RecordingSink implements PromSink {
  families: { name: string; type: FamilyType; help: string; unit: string }[] = [];
  samples: Sample[] = [];
  family(name: string, type: FamilyType, help: string, unit: string): void {
    this.families.push({ name, type, help, unit });
  }
  series(ref: SeriesRef, value: number, ts: number, kind: SeriesKind, startMs: number, exemplars: readonly PromExemplar[] | undefined): void {
    this.samples.push({ name: ref.name, labels: Object.fromEntries(ref.labels.map((l) => [l.name, l.value])), value, ts, kind, startMs, exemplars, ref });
  }
  /** `name{a="b",...} value` lines, for compact assertions. */
  lines(): string[] {
    return this.samples.map((s) => {
      const l = Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`).join(',');
      return `${s.name}{${l}} ${s.value}`;
    });
  }
}
