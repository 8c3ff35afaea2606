/**
 * Helpers for the prometheus receiver tests: local HTTP targets whose answer a test changes at will, a receiver
 * started directly (manual scrapes, recording consumer) and flatteners that turn recorded batches into rows.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Consumer } from '../../src/consumer/consumer.ts';
import { PipelineError } from '../../src/component/errors.ts';
import type { AnyValue, MetricsData } from '../../src/model/types.ts';
import { prometheusReceiverSchema } from '../../src/receivers/prometheus/config.ts';
import { PrometheusReceiver } from '../../src/receivers/prometheus/receiver.ts';
import { OpsRoutes } from '../../src/service/host.ts';
import { SelfTelemetry } from '../../src/telemetry/self-telemetry.ts';
import { memoryLogger } from '../helpers/gateway.ts';

export interface TargetServer {
  port: number;
  address: string;
  body: string;
  contentType: string;
  status: number;
  gzip: boolean;
  delayMs: number;
  requests: IncomingMessage[];
  handler: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  close(): Promise<void>;
}

export async function startTarget(body = '', contentType = 'text/plain; version=0.0.4'): Promise<TargetServer> {
  const t = { body, contentType, status: 200, gzip: false, delayMs: 0, requests: [] as IncomingMessage[], handler: undefined } as unknown as TargetServer;
  const server: Server = createServer((req, res) => {
    t.requests.push(req);
    if (t.handler?.(req, res)) return;
    const send = () => {
      if (res.destroyed) return;
      res.statusCode = t.status;
      res.setHeader('Content-Type', t.contentType);
      if (t.gzip) {
        res.setHeader('Content-Encoding', 'gzip');
        res.end(gzipSync(t.body));
      } else res.end(t.body);
    };
    if (t.delayMs > 0) setTimeout(send, t.delayMs);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  t.port = typeof a === 'object' && a ? a.port : 0;
  t.address = `127.0.0.1:${t.port}`;
  t.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return t;
}

export class Sink implements Consumer {
  readonly batches: MetricsData[] = [];
  mutatesData = false;
  fail: 'none' | 'backpressure' = 'none';
  async consume(md: MetricsData): Promise<void> {
    if (this.fail === 'backpressure') throw PipelineError.backpressure('TEST', 'full');
    this.batches.push(md);
  }
  rows(): Row[] {
    return this.batches.flatMap(rows);
  }
  last(): Row[] {
    const b = this.batches[this.batches.length - 1];
    return b === undefined ? [] : rows(b);
  }
  clear(): void {
    this.batches.length = 0;
  }
}

export interface Row {
  resource: Record<string, string>;
  scope: string;
  name: string;
  type: string;
  promType: string;
  unit: string;
  description: string;
  monotonic?: boolean;
  attrs: Record<string, string>;
  value?: number;
  stale: boolean;
  time: bigint;
  start: bigint;
  count?: number;
  sum?: number | undefined;
  buckets?: number[];
  bounds?: number[];
  quantiles?: Array<[number, number]>;
  exemplars: number;
  promName?: string;
  promLabels?: Record<string, string>;
}

function str(v: AnyValue): string {
  return typeof v === 'bigint' ? v.toString() : String(v);
}

export function rows(md: MetricsData): Row[] {
  const out: Row[] = [];
  for (const rm of md.resourceMetrics) {
    const resource: Record<string, string> = {};
    for (const kv of rm.resource.attributes) resource[kv.key] = str(kv.value);
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        for (const p of m.points as Array<Record<string, unknown>>) {
          const attrs: Record<string, string> = {};
          for (const kv of p['attributes'] as Array<{ key: string; value: AnyValue }>) attrs[kv.key] = str(kv.value);
          const prom = p['prom'] as { name: string; labels: Array<{ name: string; value: string }> } | undefined;
          const r: Row = {
            resource,
            scope: sm.scope.name,
            name: m.name,
            type: m.type,
            promType: String(m.metadata.find((k) => k.key === 'prometheus.type')?.value ?? ''),
            unit: m.unit,
            description: m.description,
            attrs,
            stale: ((p['flags'] as number) & 1) === 1,
            time: p['timeUnixNano'] as bigint,
            start: p['startTimeUnixNano'] as bigint,
            exemplars: ((p['exemplars'] as unknown[]) ?? []).length,
          };
          if (m.type === 'sum') r.monotonic = m.isMonotonic;
          if ('value' in p) r.value = Number(p['value']);
          if (m.type === 'histogram') {
            r.count = p['count'] as number;
            r.sum = p['sum'] as number | undefined;
            r.buckets = p['bucketCounts'] as number[];
            r.bounds = p['explicitBounds'] as number[];
          }
          if (m.type === 'summary') {
            r.count = p['count'] as number;
            r.sum = p['sum'] as number;
            r.quantiles = (p['quantileValues'] as Array<{ quantile: number; value: number }>).map((q) => [q.quantile, q.value]);
          }
          if (prom !== undefined) {
            r.promName = prom.name;
            r.promLabels = Object.fromEntries(prom.labels.map((l) => [l.name, l.value]));
          }
          out.push(r);
        }
      }
    }
  }
  return out;
}

export function find(rs: Row[], name: string, attrs: Record<string, string> = {}): Row | undefined {
  return rs.find((r) => r.name === name && Object.entries(attrs).every(([k, v]) => r.attrs[k] === v));
}

export interface TestReceiver {
  receiver: PrometheusReceiver;
  sink: Sink;
  ops: OpsRoutes;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
  /** Manual scrape of every active loop of `job` at `ts` (ms). */
  scrape(job: string, ts?: number): Promise<void>;
}

/** `previous`: what a receiver's `handOver()` returned (reload tests). */
export async function startReceiver(config: unknown, opts: { manual?: boolean; mutates?: boolean; previous?: unknown } = {}): Promise<TestReceiver> {
  const cfg = prometheusReceiverSchema.parse(config);
  const { logs, logger } = memoryLogger();
  const sink = new Sink();
  sink.mutatesData = opts.mutates ?? false;
  const telemetry = new SelfTelemetry().forComponent('receiver', 'prometheus');
  const receiver = new PrometheusReceiver({ id: 'prometheus', kind: 'receiver', logger, telemetry, previous: opts.previous }, cfg, sink, { manualScrapes: opts.manual ?? true });
  const ops = new OpsRoutes();
  await receiver.start({ getExtension: () => undefined, ops });
  return {
    receiver,
    sink,
    ops,
    logs,
    stop: () => receiver.shutdown(),
    scrape: async (job, ts = Date.now()) => {
      for (const l of receiver.loops(job)) {
        await l.scrapeAndReport(ts);
        await l.idle();
      }
    },
  };
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function job(name: string, targets: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { job_name: name, scrape_interval: '1m', static_configs: [{ targets }], ...extra };
}

export function cfg(...jobs: Array<Record<string, unknown>>): { config: { scrape_configs: Array<Record<string, unknown>> } } {
  return { config: { scrape_configs: jobs } };
}
