/**
 * A test remote-write receiver: decodes RW 1.0 and 2.0 requests (snappy block) with our codec, records each accepted
 * request (headers, decoded series) and every attempt, and can be scripted: `faults` are consumed one per request
 * (status, Retry-After, body, delay) before it answers 204 again; `delayMs()` adds a per-request delay (random delays
 * for ordering tests); `v1Only` answers 415 to RW 2.0 bodies; `stop()` / `start()` on the same port simulate an outage.
 * Samples are kept per series key (`name{labels}`) in arrival order for order/completeness checks.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { decodeWriteRequest, decodeWriteV2Request, uncompressBlock } from '../../src/codec/remotewrite/index.ts';
import type { Label } from '../../src/model/types.ts';

export interface Fault {
  status: number;
  retryAfter?: string;
  body?: string;
  delayMs?: number;
}

export interface RwSeries {
  labels: Label[];
  samples: { value: number; timestamp: number }[];
  exemplars: { labels: Label[]; value: number; timestamp: number }[];
}

export interface RwRequest {
  headers: Record<string, string>;
  version: 1 | 2;
  series: RwSeries[];
  bytes: number;
}

export const seriesKey = (labels: readonly Label[]): string => {
  const name = labels.find((l) => l.name === '__name__')?.value ?? '';
  return name + '{' + labels.filter((l) => l.name !== '__name__').map((l) => `${l.name}="${l.value}"`).join(',') + '}';
};

export class RwSink {
  requests: RwRequest[] = [];
  attempts: { at: number; status: number; version: 1 | 2 }[] = [];
  faults: Fault[] = [];
  v1Only = false;
  /** Answer v2 with 204 but without the *-Written headers (a 1.x receiver ignoring the body). */
  silentV2 = false;
  delayMs: () => number = () => 0;
  port = 0;
  private server: Server | undefined;

  get url(): string {
    return `http://127.0.0.1:${this.port}/api/v1/write`;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => void this.handle(req).then(([status, headers, body]) => (res.writeHead(status, headers), res.end(body))));
    await new Promise<void>((resolve) => server.listen(port || this.port, '127.0.0.1', resolve));
    const a = server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => (s.close(() => r()), s.closeAllConnections()));
  }

  private async handle(req: IncomingMessage): Promise<[number, Record<string, string>, string]> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const version: 1 | 2 = String(req.headers['content-type']).includes('io.prometheus.write.v2.Request') ? 2 : 1;
    const delay = this.delayMs();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const fault = this.faults.shift();
    if (fault) {
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      this.attempts.push({ at: Date.now(), status: fault.status, version });
      return [fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}, fault.body ?? `fault ${fault.status}`];
    }
    if (version === 2 && this.v1Only) {
      this.attempts.push({ at: Date.now(), status: 415, version });
      return [415, {}, 'unsupported proto'];
    }
    const raw = uncompressBlock(body);
    let series: RwSeries[];
    if (version === 2) {
      series = decodeWriteV2Request(raw).timeseries.map((t) => ({ labels: t.labels, samples: t.samples, exemplars: t.exemplars }));
    } else {
      series = decodeWriteRequest(raw).timeseries.map((t) => ({ labels: t.labels, samples: t.samples, exemplars: t.exemplars }));
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : (v ?? '');
    this.requests.push({ headers, version, series, bytes: body.length });
    this.attempts.push({ at: Date.now(), status: 204, version });
    if (version === 2 && !this.silentV2) {
      const n = series.reduce((a, s) => a + s.samples.length, 0);
      return [204, { 'x-prometheus-remote-write-samples-written': String(n), 'x-prometheus-remote-write-histograms-written': '0', 'x-prometheus-remote-write-exemplars-written': '0' }, ''];
    }
    return [204, {}, ''];
  }

  /** Every received sample per series key, in arrival order. */
  bySeries(): Map<string, { value: number; timestamp: number }[]> {
    const out = new Map<string, { value: number; timestamp: number }[]>();
    for (const r of this.requests) {
      for (const s of r.series) {
        const k = seriesKey(s.labels);
        let arr = out.get(k);
        if (!arr) out.set(k, (arr = []));
        arr.push(...s.samples);
      }
    }
    return out;
  }

  sampleCount(): number {
    let n = 0;
    for (const r of this.requests) for (const s of r.series) n += s.samples.length;
    return n;
  }
}
