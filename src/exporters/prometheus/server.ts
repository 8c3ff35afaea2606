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
 * - Rendering runs in slices of ~20 ms (the event loop keeps serving receivers in between).
 * - Streaming: a body that renders within the first slice and under 1 MiB is sent whole, with Content-Length.
 *   A larger one is streamed (chunked transfer encoding) as the render fills its 64 KiB chunks, through a streaming
 *   gzip when asked; the first bytes leave while the rest renders. At most `MAX_IN_FLIGHT` (1 MiB) of rendered
 *   bytes per scrape wait in the socket / gzip at a time: above it the render pauses until the client has read
 *   some, so a large store or a slow reader holds about 1 MiB per scrape, never the whole body.
 * - `renderTimeoutMs` bounds the whole response, from the request until its last byte is handed to the socket
 *   (render time plus time spent waiting for a slow reader). Past it, a response whose headers are not sent yet is
 *   a 503; a response already streaming is aborted (connection reset: the scraper sees a truncated body, a failed
 *   scrape, never a shorter valid one).
 * - HEAD renders (and gzips when asked) like GET, counting the bytes, and answers with the Content-Length only.
 * - `listen()` rejects with "cannot listen on <endpoint>: <reason>"; `close()` stops accepting and ends open
 *   connections.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { createGzip, gzip as gzipCb, constants as zc, type Gzip } from 'node:zlib';
import type { Logger } from 'pino';
import { contentTypeFor, formatFromAccept } from '../../codec/promtext/index.ts';
import type { Format } from '../../codec/promtext/index.ts';
import { readServerTls, splitEndpoint } from '../../receivers/otlp/listener.ts';
import type { ServerTlsConfig } from '../../receivers/otlp/config.ts';
import { parseSelector, SelectorSyntaxError } from '../../selector/selector.ts';
import type { Selector } from '../../selector/selector.ts';
import { CHUNK_BYTES, releaseChunk, Render } from './render.ts';
import type { SeriesStore } from './store.ts';
import { boundAddress, closeHttpServer } from '../../util/net.ts';

const gzip = promisify(gzipCb);
const SLICE_MS = 20;
/** Rendered bytes per scrape handed to the socket (or gzip) and not yet written out: the render waits above it. */
const MAX_IN_FLIGHT = 1024 * 1024;

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

/**
 * A streamed body: rendered chunks into the response (through gzip when asked; into a byte counter for HEAD), with
 * the bytes in flight counted and each chunk given back to the render pool once written.
 */
class BodyStream {
  inFlight = 0;
  /** Bytes that went out (after gzip): the Content-Length of a HEAD answer. */
  private counted = 0;
  private wake: (() => void) | undefined = undefined;
  private readonly res: ServerResponse;
  private readonly headers: Record<string, string | number>;
  private readonly dest: Writable;
  private readonly zip: Gzip | undefined;
  private readonly counter: Writable | undefined;

  constructor(res: ServerResponse, head: boolean, gzip: boolean, headers: Record<string, string | number>) {
    this.res = res;
    this.headers = headers;
    if (head) {
      this.counter = new Writable({
        write: (c: Buffer, _e, cb) => {
          this.counted += c.length;
          cb();
        },
      });
    } else res.writeHead(200, headers);
    const out: Writable = this.counter ?? res;
    if (gzip) {
      this.zip = createGzip({ level: zc.Z_BEST_SPEED, chunkSize: CHUNK_BYTES });
      this.zip.on('error', (err) => res.destroy(err));
      this.zip.pipe(out);
    }
    this.dest = this.zip ?? out;
    res.once('close', () => this.notify());
  }

  write(c: Buffer): void {
    const n = c.length;
    this.inFlight += n;
    this.dest.write(c, (err) => {
      this.inFlight -= n;
      if (!err) releaseChunk(c);
      this.notify();
    });
  }

  /** Waits until the bytes in flight fall to half of MAX_IN_FLIGHT; false when the client left or `deadline` passed. */
  async drain(deadline: number): Promise<boolean> {
    while (this.inFlight >= MAX_IN_FLIGHT) {
      const left = deadline - performance.now();
      if (this.res.destroyed || left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.wake = undefined;
          resolve();
        }, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return !this.res.destroyed;
  }

  private notify(): void {
    if (this.inFlight >= MAX_IN_FLIGHT / 2 && !this.res.destroyed) return;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Ends the body (HEAD: once everything is counted, answers with the headers and the Content-Length). */
  async end(): Promise<void> {
    const counter = this.counter;
    if (counter === undefined) {
      this.dest.end();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      counter.once('finish', resolve);
      counter.once('error', reject);
      this.dest.end();
    });
    this.res.writeHead(200, { ...this.headers, 'content-length': this.counted });
    this.res.end();
  }

  /** Gives up: a body already under way is cut (connection reset), so the scraper cannot take it as complete. */
  abort(): void {
    this.zip?.destroy();
    this.counter?.destroy();
    if (this.res.headersSent) this.res.destroy();
  }
}

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
    this.address = boundAddress(server, this.o.endpoint);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await closeHttpServer(s);
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
    let r: Render | undefined;
    let stream: BodyStream | undefined;
    try {
      await this.o.beforeRender();
      r = new Render(this.store, { format, timestamps: this.o.timestamps, selectors });
      const deadline = t0 + this.o.renderTimeoutMs;
      const head = req.method === 'HEAD';
      const gz = acceptsGzip(req.headers['accept-encoding']);
      const headers: Record<string, string | number> = { 'content-type': contentTypeFor(format) };
      if (gz) headers['content-encoding'] = 'gzip';
      headers['vary'] = 'Accept, Accept-Encoding';
      let sliceEnd = performance.now() + SLICE_MS;
      for (;;) {
        const done = r.step(Math.min(deadline, sliceEnd), Math.max(CHUNK_BYTES, MAX_IN_FLIGHT - (stream?.inFlight ?? 0)));
        if (!done && performance.now() > deadline) return this.timedOut(res, r, stream, format, t0);
        if (done && stream === undefined) {
          // Rendered whole before anything was sent: one response with its length.
          const chunks = r.finish();
          let body = Buffer.concat(chunks);
          for (const c of chunks) releaseChunk(c);
          if (gz) body = await gzip(body, { level: zc.Z_BEST_SPEED });
          headers['content-length'] = body.length;
          res.writeHead(200, headers);
          res.end(head ? undefined : body);
          break;
        }
        stream ??= new BodyStream(res, head, gz, headers);
        for (const c of done ? r.finish() : r.take()) stream.write(c);
        if (done) {
          await stream.end();
          break;
        }
        if (performance.now() >= sliceEnd) {
          await yieldToLoop();
          sliceEnd = performance.now() + SLICE_MS;
        }
        if (!(await stream.drain(deadline)) || res.destroyed) {
          if (!res.destroyed) return this.timedOut(res, r, stream, format, t0);
          r.discard();
          stream.abort();
          return;
        }
      }
      this.o.onScrape('ok', format, r.series, performance.now() - t0);
    } catch (err) {
      r?.discard();
      stream?.abort();
      this.o.logger.error({ err: (err as Error).message }, 'metrics render failed');
      if (!res.headersSent) this.reply(res, 500, `render failed: ${(err as Error).message}`);
      this.o.onScrape('error', format, 0, performance.now() - t0);
    } finally {
      this.active--;
    }
  }

  private timedOut(res: ServerResponse, r: Render, stream: BodyStream | undefined, format: Format, t0: number): void {
    r.discard();
    stream?.abort();
    this.o.onScrape('timeout', format, 0, performance.now() - t0);
    this.o.logger.warn({ renderTimeoutMs: this.o.renderTimeoutMs, streaming: res.headersSent }, 'metrics render timed out');
    if (!res.headersSent) this.reply(res, 503, `rendering the metrics took longer than render_timeout (${this.o.renderTimeoutMs} ms)`);
  }
}
