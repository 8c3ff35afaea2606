/**
 * Shared helpers for the prometheus / prometheusremotewrite exporter tests: OTLP batch builders (every metric type,
 * exemplars, stale points, delta sums), an HTTP GET helper for /metrics, and a gateway YAML builder around the
 * `testpush` receiver.
 */
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Attributes, Exemplar, Metric, MetricsData, ResourceMetrics } from '../../src/model/types.ts';
import { FLAG_NO_RECORDED_VALUE, Temporality } from '../../src/model/types.ts';
import { telemetryYaml } from '../helpers/gateway.ts';

export const SEC = 1_000_000_000n;
/** 2023-11-14T22:13:20Z in ns. */
export const T = 1_700_000_000_000n * 1_000_000n;

export const attrs = (o: Record<string, string | number | bigint | boolean>): Attributes => Object.entries(o).map(([key, value]) => ({ key, value }));

export function resource(metrics: Metric[], res: Record<string, string> = { 'service.name': 'api', 'service.instance.id': 'pod-1', 'host.name': 'h1' }, scope = ''): ResourceMetrics {
  return {
    resource: { attributes: attrs(res), droppedAttributesCount: 0 },
    schemaUrl: '',
    scopeMetrics: [{ scope: { name: scope, version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', metrics }],
  };
}

export const md = (...rms: ResourceMetrics[]): MetricsData => ({ resourceMetrics: rms });

interface P {
  a?: Record<string, string>;
  t?: bigint;
  start?: bigint;
  stale?: boolean;
  ex?: Exemplar[];
}
const base = (p: P) => ({
  attributes: attrs(p.a ?? {}),
  startTimeUnixNano: p.start ?? T - 60n * SEC,
  timeUnixNano: p.t ?? T,
  flags: p.stale ? FLAG_NO_RECORDED_VALUE : 0,
});

export function gauge(name: string, values: Array<[number, P?]>, desc = `${name} help`, unit = ''): Metric {
  return { type: 'gauge', name, description: desc, unit, metadata: [], points: values.map(([v, p = {}]) => ({ ...base(p), value: v, exemplars: p.ex ?? [] })) };
}

export function counter(name: string, values: Array<[number | bigint, P?]>, opts: { desc?: string; unit?: string; delta?: boolean } = {}): Metric {
  return {
    type: 'sum',
    name,
    description: opts.desc ?? `${name} help`,
    unit: opts.unit ?? '',
    metadata: [],
    temporality: opts.delta ? Temporality.DELTA : Temporality.CUMULATIVE,
    isMonotonic: true,
    points: values.map(([v, p = {}]) => ({ ...base(p), value: v, exemplars: p.ex ?? [] })),
  };
}

export function histogram(name: string, bounds: number[], counts: number[], sum: number | undefined, p: P = {}, unit = 's'): Metric {
  return {
    type: 'histogram',
    name,
    description: `${name} help`,
    unit,
    metadata: [],
    temporality: Temporality.CUMULATIVE,
    points: [{ ...base(p), count: counts.reduce((a, b) => a + b, 0), sum, bucketCounts: counts, explicitBounds: bounds, exemplars: p.ex ?? [], min: undefined, max: undefined }],
  };
}

export function summary(name: string, q: Array<[number, number]>, count: number, sum: number, p: P = {}): Metric {
  return {
    type: 'summary',
    name,
    description: `${name} help`,
    unit: '',
    metadata: [],
    points: [{ ...base(p), count, sum, quantileValues: q.map(([quantile, value]) => ({ quantile, value })) }],
  };
}

export function exemplar(value: number, traceByte: number): Exemplar {
  return { filteredAttributes: [], timeUnixNano: T - SEC, value, traceId: new Uint8Array(16).fill(traceByte), spanId: new Uint8Array(8).fill(7) };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET `http://127.0.0.1:<port><path>`; gunzips when the answer is gzip. */
export function get(port: number, path = '/metrics', headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let b = Buffer.concat(chunks);
        if (res.headers['content-encoding'] === 'gzip') b = gunzipSync(b);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A gateway config: `testpush` -> the given exporters (YAML block under `exporters:`). */
export function pushConfig(exportersYaml: string, exporterIds: string[], extra = ''): string {
  return `receivers:\n  testpush: {}\nexporters:\n${exportersYaml}\n${extra}service:\n  pipelines:\n    metrics:\n      receivers: [testpush]\n      exporters: [${exporterIds.join(', ')}]\n${telemetryYaml()}`;
}

/** Series lines (no comments) of an exposition. */
export const seriesLines = (body: string): string[] => body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The self-telemetry counters of one component (`name` total, and `name{"attr":"v"}` per attribute set). */
export function counters(gw: { gw: { status(): Record<string, unknown> } }, id: string, kind = 'exporter'): Record<string, number> {
  const st = gw.gw.status() as { components?: Array<{ id: string; kind: string; counters: Record<string, number> }> };
  return st.components?.find((c) => c.id === id && c.kind === kind)?.counters ?? {};
}
