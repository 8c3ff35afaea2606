/**
 * Shared pieces of the OTLP tests:
 * - `capture` exporter type (test registry): every batch that reaches it is kept in `captured(name)`, with the
 *   request metadata; `failWith(name, err)` makes it throw a PipelineError (backpressure/retryable/permanent).
 * - `normalise(md)`: a JSON-able deep form of MetricsData (bigints as strings, bytes as hex, NaN spelt out) for
 *   deepEqual, dropping only `prom` caches.
 * - `selfSignedCert(dir)`: a CA + server cert for 127.0.0.1/localhost and a client cert, made with openssl.
 * - `otlpPost(url, body, headers)`: a raw HTTP POST returning status, headers and body bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { builtinRegistry } from '../../src/components.ts';
import type { ExporterFactory } from '../../src/component/component.ts';
import { PipelineError } from '../../src/component/errors.ts';
import type { ConsumeContext } from '../../src/consumer/consumer.ts';
import type { MetricsData } from '../../src/model/types.ts';
import type { Registry } from '../../src/component/registry.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import { freePorts } from '../helpers/ports.ts';

export interface Captured {
  md: MetricsData;
  ctx: ConsumeContext;
}

const sinks = new Map<string, Captured[]>();
const failures = new Map<string, PipelineError | undefined>();

export function captured(name: string): Captured[] {
  let s = sinks.get(name);
  if (!s) sinks.set(name, (s = []));
  return s;
}

export function failWith(name: string, err: PipelineError | undefined): void {
  failures.set(name, err);
}

const captureFactory: ExporterFactory<{ name: string }> = {
  kind: 'exporter',
  type: 'capture',
  configSchema: z.strictObject({ name: z.string() }),
  create: (_s, cfg) => ({
    mutatesData: false,
    async start() {},
    async shutdown() {},
    async consume(md: MetricsData, ctx: ConsumeContext) {
      const f = failures.get(cfg.name);
      if (f) throw f;
      captured(cfg.name).push({ md, ctx });
    },
  }),
};

export function testRegistry(): Registry {
  return builtinRegistry().register(captureFactory);
}

export function normalise(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v;
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'prom' && k !== 'encoded' && x !== undefined) out[k] = normalise(x);
    return out;
  }
  return v;
}

/** Merges several batches into one MetricsData (order kept), for comparing what arrived with what was sent. */
export function merge(batches: readonly MetricsData[]): MetricsData {
  return { resourceMetrics: batches.flatMap((b) => b.resourceMetrics) };
}

export interface Certs {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
}

export function selfSignedCert(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'otlp-tls-'));
  const f = (n: string) => join(dir, n);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=otel-bridge test CA');
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const who of ['server', 'client']) {
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${who === 'server' ? 'localhost' : 'otel-bridge test client'}`);
    ossl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.pem`), '-days', '2', '-extfile', f('ext.cnf'));
  }
  return { dir, ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export function otlpPost(url: string, body: Uint8Array | string, headers: Record<string, string> = {}, opts: { method?: string; ca?: Buffer } = {}): Promise<RawResponse> {
  const u = new URL(url);
  const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: opts.method ?? 'POST', headers, ...(opts.ca ? { ca: opts.ca } : {}) });
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface GrpcResult {
  code: number;
  message: string;
  response: Buffer | undefined;
  /** Raw grpc-status-details-bin (a google.rpc.Status), when sent. */
  statusDetails: Buffer | undefined;
}

/** One unary call with identity serializers, as a raw OTLP/gRPC client. */
export function grpcExport(
  address: string,
  body: Uint8Array,
  opts: { path?: string; metadata?: Record<string, string>; credentials?: grpc.ChannelCredentials; options?: grpc.ChannelOptions } = {},
): Promise<GrpcResult> {
  const client = new grpc.Client(address, opts.credentials ?? grpc.credentials.createInsecure(), opts.options ?? {});
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(opts.metadata ?? {})) md.set(k, v);
  const id = (b: Buffer) => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      opts.path ?? '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
      id,
      id,
      Buffer.from(body),
      md,
      { deadline: Date.now() + 10_000 },
      (err: grpc.ServiceError | null, res?: Buffer) => {
        client.close();
        if (err) {
          const sd = err.metadata?.get('grpc-status-details-bin')[0];
          resolve({ code: err.code, message: err.details, response: undefined, statusDetails: sd === undefined ? undefined : Buffer.from(sd as Buffer) });
        } else resolve({ code: 0, message: '', response: res, statusDetails: undefined });
      },
    );
  });
}

/** A gateway: OTLP/HTTP receiver on a free 127.0.0.1 port -> the one exporter in `exporterYaml` (plus extensions). */
export async function edge(exporterYaml: string, extensionsYaml = '', extensions: string[] = []): Promise<{ gw: TestGateway; url: string }> {
  const [h] = await freePorts(1);
  const gw = await startGateway(
    `
${extensionsYaml}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${h}
exporters:
${exporterYaml}
service:
  extensions: [${extensions.join(', ')}]
${telemetryYaml()}  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [${/^\s{2}(\S+):/m.exec(exporterYaml)![1]}]
`,
    { registry: testRegistry() },
  );
  return { gw, url: `http://127.0.0.1:${h}/v1/metrics` };
}
