/**
 * Shared helpers for the processor tests: a compact OTLP-shaped batch builder, a flattener that turns recorded
 * batches into rows a test can compare, and a gateway runner (testpush -> processors -> testrecord).
 */
import type { AnyValue, Attributes, DataPoint, Metric, MetricsData, NumberDataPoint } from '../../src/model/types.ts';
import { anyValueToString } from '../../src/model/attributes.ts';
import { pushInto, recorders, testRegistry } from '../helpers/components.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';

export const T0 = 1_700_000_000_000_000_000n;

export function attrs(o: Record<string, AnyValue>): Attributes {
  return Object.entries(o).map(([key, value]) => ({ key, value }));
}

export interface PointSpec {
  attrs?: Record<string, AnyValue>;
  value?: number | bigint;
  time?: bigint;
  start?: bigint;
}
export interface MetricSpec {
  name: string;
  type?: 'gauge' | 'sum';
  temporality?: 1 | 2;
  monotonic?: boolean;
  unit?: string;
  points: PointSpec[];
}
export interface ResourceSpec {
  resource?: Record<string, AnyValue>;
  scope?: string;
  metrics: MetricSpec[];
}

export function numberPoint(p: PointSpec): NumberDataPoint {
  return { attributes: attrs(p.attrs ?? {}), startTimeUnixNano: p.start ?? 0n, timeUnixNano: p.time ?? T0, flags: 0, value: p.value ?? 1, exemplars: [] };
}

export function metric(m: MetricSpec): Metric {
  const base = { name: m.name, description: '', unit: m.unit ?? '', metadata: [], points: m.points.map(numberPoint) };
  if ((m.type ?? 'gauge') === 'gauge') return { ...base, type: 'gauge' };
  return { ...base, type: 'sum', temporality: m.temporality ?? 2, isMonotonic: m.monotonic ?? true };
}

export function batch(...rs: ResourceSpec[]): MetricsData {
  return {
    resourceMetrics: rs.map((r) => ({
      resource: { attributes: attrs(r.resource ?? {}), droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeMetrics: [{ scope: { name: r.scope ?? 'test', version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', metrics: r.metrics.map(metric) }],
    })),
  };
}

export function obj(a: Attributes): Record<string, string> {
  const o: Record<string, string> = {};
  for (const kv of a) o[kv.key] = anyValueToString(kv.value);
  return o;
}

export interface Row {
  resource: Record<string, string>;
  scope: string;
  name: string;
  type: string;
  attrs: Record<string, string>;
  value: unknown;
  point: DataPoint;
  metric: Metric;
}

/** One row per data point, in batch order. */
export function rows(...mds: MetricsData[]): Row[] {
  const out: Row[] = [];
  for (const md of mds) {
    for (const rm of md.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics) {
          for (const p of m.points as DataPoint[]) {
            out.push({ resource: obj(rm.resource.attributes), scope: sm.scope.name, name: m.name, type: m.type, attrs: obj(p.attributes), value: 'value' in p ? p.value : undefined, point: p, metric: m });
          }
        }
      }
    }
  }
  return out;
}

/** Compact "name{k=v,...} value" strings, sorted, for table assertions. */
export function series(...mds: MetricsData[]): string[] {
  return rows(...mds)
    .map((r) => `${r.name}{${Object.entries(r.attrs).map(([k, v]) => `${k}=${v}`).join(',')}} ${String(r.value)}`)
    .sort();
}

export interface Run {
  gw: TestGateway;
  record(): MetricsData[];
  push(md: MetricsData): Promise<void>;
  counters(id: string): Record<string, number>;
  details(id: string): Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * Starts `testpush/in -> processors -> testrecord/out` with `processorsYaml` (the body of the `processors:`
 * section, indented by two spaces) and `ids` in pipeline order. `extra` is appended at top level (extensions...).
 */
export async function pipeline(processorsYaml: string, ids: string[], extra = '', serviceExtra = ''): Promise<Run> {
  const yaml = `receivers:\n  testpush/in: {}\nprocessors:\n${processorsYaml}\nexporters:\n  testrecord/out: {}\n${extra}service:\n${serviceExtra}  pipelines:\n    metrics:\n      receivers: [testpush/in]\n      processors: [${ids.join(', ')}]\n      exporters: [testrecord/out]\n${telemetryYaml()}`;
  const gw = await startGateway(yaml, { registry: testRegistry() });
  const status = () => gw.gw.status() as { components: { id: string; counters: Record<string, number>; details?: Record<string, unknown> }[] };
  return {
    gw,
    record: () => recorders.get('testrecord/out')!.batches,
    push: (md) => pushInto('testpush/in', md),
    counters: (id) => status().components.find((c) => c.id === id)!.counters,
    details: (id) => status().components.find((c) => c.id === id)!.details ?? {},
    stop: () => gw.stop(),
  };
}
