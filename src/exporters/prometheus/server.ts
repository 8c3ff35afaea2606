/**
 * The /metrics HTTP(S) endpoint of the `prometheus` exporter.
 *
 * Served with node:http directly, not express: this endpoint is hot (every scrape renders up to megabytes) and
 * express's per-request router/middleware work buys nothing here.
 *
 * Contract
 * - `GET|HEAD /metrics` (also `/metrics/`): the store rendered as text 0.0.4, or OpenMetrics 1.0.0 when enabled and
 *   the Accept header lists `application/openmetrics-text`. `?match[]=<selector>` (repeatable) serves only the
 *   points with a matching series (Prometheus /federate semantics); a bad selector is a 400 naming it.
 *   Any other path: 404; other methods: 405.
 * - gzip when Accept-Encoding allows it (level 1: the render is the expensive part, not the bytes).
 * - At most `maxConcurrent` scrapes are rendered at once; more get 503 with Retry-After: 1.
 * - Rendering runs in slices of ~20 ms (the event loop keeps serving receivers in between); a render still running
 *   after `renderTimeoutMs` is abandoned with 503.
 * - `listen()` rejects with "cannot listen on <endpoint>: <reason>"; `close()` stops accepting and ends open
 *   connections.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCb, constants as zc } from 'node:zlib';
import type { Logger } from 'pino';
import { contentTypeFor, formatFromAccept } from '../../codec/promtext/index.ts';
import type { Format } from '../../codec/promtext/index.ts';
import { readServerTls, splitEndpoint } from '../../receivers/otlp/listener.ts';
import type { ServerTlsConfig } from '../../receivers/otlp/config.ts';
import { parseSelector, SelectorSyntaxError } from '../../selector/selector.ts';
import type { Selector } from '../../selector/selector.ts';
import { Render } from './render.ts';
import type { SeriesStore } from './store.ts';

const gzip = promisify(gzipCb);
const SLICE_MS = 20;

export interface MetricsServerOptions {
  endpoint: string;
  tls: ServerTlsConfig | undefined;
  openMetrics: boolean;
  timestamps: boolean;
  maxConcurrent: number;
  renderTimeoutMs: number;
  logger: Logger;
  who: string;
  /** Called before every render, counted in the scrape (expiry sweep). */
  beforeRender(): void | Promise<void>;
  /** Telemetry hooks. */
  onScrape(outcome: string, format: Format, series: number, ms: number): void;
}

function acceptsGzip(h: string | undefined): boolean {
  if (h === undefined) return false;
  for (const part of h.split(',')) {
    const [coding, ...params] = part.split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export class MetricsServer {
  private server: Server | undefined;
  private active = 0;
  private readonly store: SeriesStore;
  private readonly o: MetricsServerOptions;
  address = '';

  constructor(store: SeriesStore, o: MetricsServerOptions) {
    this.store = store;
    this.o = o;
  }

  get activeScrapes(): number {
    return this.active;
  }

  async listen(): Promise<void> {
    const { host, port } = splitEndpoint(this.o.endpoint);
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    let server: Server;
    if (this.o.tls !== undefined) {
      const t = readServerTls(this.o.tls, this.o.who);
      server = createHttpsServer({ key: t.key, cert: t.cert, ...(t.ca ? { ca: t.ca, requestCert: true, rejectUnauthorized: true } : {}) }, handler);
    } else server = createHttpServer(handler);
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`${this.o.who}: cannot listen on ${this.o.endpoint}: ${err.message}`)));
      server.listen(port, host, () => resolve());
    });
    server.on('error', (err) => this.o.logger.error({ err: err.message }, 'metrics endpoint error'));
    this.server = server;
    const a = server.address();
    this.address = typeof a === 'object' && a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : this.o.endpoint;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  private reply(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(text.endsWith('\n') ? text : text + '\n');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/metrics' && url.pathname !== '/metrics/') return this.reply(res, 404, `not found: metrics are served on /metrics`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.reply(res, 405, 'method not allowed: use GET', { allow: 'GET, HEAD' });
    const format: Format = this.o.openMetrics ? formatFromAccept(req.headers.accept) : 'text';
    let selectors: Selector[] | undefined;
    const matches = url.searchParams.getAll('match[]');
    if (matches.length > 0) {
      try {
        selectors = matches.map((m) => parseSelector(m));
      } catch (err) {
        if (err instanceof SelectorSyntaxError) return this.reply(res, 400, `bad match[] selector: ${err.message}`);
        throw err;
      }
    }
    if (this.active >= this.o.maxConcurrent) {
      this.o.onScrape('rejected', format, 0, 0);
      return this.reply(res, 503, `too many concurrent scrapes (max_concurrent_scrapes=${this.o.maxConcurrent}); retry later`, { 'retry-after': '1' });
    }
    this.active++;
    const t0 = performance.now();
    try {
      await this.o.beforeRender();
      const r = new Render(this.store, { format, timestamps: this.o.timestamps, selectors });
      const deadline = t0 + this.o.renderTimeoutMs;
      while (!r.step(Math.min(deadline, performance.now() + SLICE_MS))) {
        if (performance.now() > deadline) {
          this.o.onScrape('timeout', format, 0, performance.now() - t0);
          this.o.logger.warn({ renderTimeoutMs: this.o.renderTimeoutMs }, 'metrics render timed out');
          return this.reply(res, 503, `rendering the metrics took longer than render_timeout (${this.o.renderTimeoutMs} ms)`);
        }
        await yieldToLoop();
        if (res.destroyed) return;
      }
      let body: Buffer = Buffer.from(r.result(), 'utf8');
      const headers: Record<string, string | number> = { 'content-type': contentTypeFor(format) };
      if (acceptsGzip(req.headers['accept-encoding'])) {
        body = await gzip(body, { level: zc.Z_BEST_SPEED });
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = body.length;
      headers['vary'] = 'Accept, Accept-Encoding';
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
      this.o.onScrape('ok', format, r.series, performance.now() - t0);
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message }, 'metrics render failed');
      if (!res.headersSent) this.reply(res, 500, `render failed: ${(err as Error).message}`);
      this.o.onScrape('error', format, 0, performance.now() - t0);
    } finally {
      this.active--;
    }
  }
}
