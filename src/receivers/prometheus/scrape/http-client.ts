/**
 * HTTP GET for scrapes and HTTP SD (one client per scrape pool): plain HTTP without a proxy on the lean HTTP/1.1
 * client of util/http1.ts (FAST PATH: most scrapes), everything else (https, proxies) on node:http / node:https with
 * keep-alive agents. Both give the same results and errors.
 *
 * Contract
 * - `get(url, opts)` resolves once the whole body went through `opts.onChunk` (decompressed when the response is
 *   gzip); it rejects with a `ScrapeError` whose `reason` classifies the failure and whose message follows
 *   Prometheus's wording ("server returned HTTP status 500 Internal Server Error", `Get "<url>": context deadline
 *   exceeded`, "body size limit exceeded"). An exception thrown by `onChunk` aborts the request and is rethrown as is.
 * - `bodySizeLimit` (0 = none) counts decompressed bytes; reaching it fails the scrape (Prometheus: `n >= limit`).
 * - The timeout covers connect, headers and body. `signal` (receiver shutdown) aborts with "context canceled".
 * - Credentials files (password_file, credentials_file, bearer_token_file) are read on every request, so rotated
 *   secrets are picked up; TLS files are read once, when the first request needs the agent.
 * - Redirects (301/302/303/307/308, at most 10) are followed when `follow_redirects`; Authorization is dropped when
 *   the host changes (as Go's http.Client). `close()` destroys idle sockets; safe twice.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import tls from 'node:tls';
import { createGunzip, type Gunzip } from 'node:zlib';
import { headerBlock, Http1Client } from '../../../util/http1.ts';
import type { HttpClientConfig, TlsConfig } from '../config-http.ts';
import { chooseProxy, proxyAuthorization } from './proxy.ts';

export type FailureReason =
  | 'timeout'
  | 'connection'
  | 'http_status'
  | 'body_size_limit'
  | 'tls'
  | 'decompress'
  | 'canceled'
  | 'parse'
  | 'sample_limit'
  | 'label_limit'
  | 'invalid_series'
  | 'target_limit'
  | 'other';

export class ScrapeError extends Error {
  readonly reason: FailureReason;
  constructor(reason: FailureReason, message: string) {
    super(message);
    this.name = 'ScrapeError';
    this.reason = reason;
  }
}

export interface GetOptions {
  timeoutMs: number;
  headers: Record<string, string>;
  bodySizeLimit: number;
  signal?: AbortSignal | undefined;
  /** Called with the Content-Type once the 200 response headers arrived, before the first chunk. */
  onResponse?: (contentType: string) => void;
  onChunk: (chunk: Buffer) => void;
}

const TLS_VERSION: Record<string, tls.SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

async function fileOrInline(inline: string | undefined, file: string | undefined): Promise<string | undefined> {
  if (inline !== undefined && inline !== '') return inline;
  if (file !== undefined && file !== '') return readFile(file, 'utf8');
  return undefined;
}

export async function tlsOptions(t: TlsConfig | undefined): Promise<tls.ConnectionOptions> {
  if (t === undefined) return {};
  const o: tls.ConnectionOptions = { rejectUnauthorized: !t.insecure_skip_verify };
  const ca = await fileOrInline(t.ca, t.ca_file);
  const cert = await fileOrInline(t.cert, t.cert_file);
  const key = await fileOrInline(t.key, t.key_file);
  if (ca !== undefined) o.ca = ca;
  if (cert !== undefined) o.cert = cert;
  if (key !== undefined) o.key = key;
  if (t.server_name) o.servername = t.server_name;
  if (t.min_version) o.minVersion = TLS_VERSION[t.min_version]!;
  if (t.max_version) o.maxVersion = TLS_VERSION[t.max_version]!;
  return o;
}

function goErrorText(err: NodeJS.ErrnoException, url: URL): [reason: FailureReason, text: string] {
  const addr = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return ['connection', `dial tcp ${addr}: connect: connection refused`];
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return ['connection', `dial tcp: lookup ${url.hostname}: no such host`];
    case 'ECONNRESET':
      return ['connection', 'read: connection reset by peer'];
    case 'EHOSTUNREACH':
      return ['connection', `dial tcp ${addr}: connect: no route to host`];
    case 'ETIMEDOUT':
      return ['connection', `dial tcp ${addr}: i/o timeout`];
    case 'OB_HTTP_EOF':
      return ['connection', err.message];
    case 'OB_HTTP_PROTOCOL':
      return ['connection', `net/http: HTTP/1.x transport connection broken: ${err.message}`];
    case 'Z_DATA_ERROR':
    case 'Z_BUF_ERROR':
      return ['decompress', err.message === 'incorrect header check' ? 'gzip: invalid header' : `gzip: ${err.message}`];
    default:
      if (err.message === 'socket hang up') return ['connection', 'EOF'];
      if (err.code?.startsWith('ERR_TLS') || err.code?.includes('CERT') || err.code?.startsWith('ERR_SSL')) return ['tls', err.message];
      return ['other', err.message];
  }
}

/** One request's outcome inside `get`: the body size of a 200, or the redirect to follow. */
interface Hop {
  bytes: number;
  location?: string | undefined;
}

/** Prometheus's wording for a non-200 answer. */
function statusError(status: number, text: string | undefined): ScrapeError {
  return new ScrapeError('http_status', `server returned HTTP status ${status} ${text || http.STATUS_CODES[status] || ''}`.trimEnd());
}

/** Counts (decompressed) body bytes on their way to `onChunk`; reaching `bodySizeLimit` fails the scrape. */
class LimitedSink {
  bytes = 0;
  private readonly limit: number;
  private readonly onChunk: (chunk: Buffer) => void;
  constructor(opts: GetOptions) {
    this.limit = opts.bodySizeLimit > 0 ? opts.bodySizeLimit : Infinity;
    this.onChunk = opts.onChunk;
  }
  deliver(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes >= this.limit) throw new ScrapeError('body_size_limit', 'body size limit exceeded');
    this.onChunk(chunk);
  }
}

export class HttpClient {
  private readonly cfg: HttpClientConfig;
  private readonly userAgent: string;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' });
  private httpsAgent: https.Agent | undefined;
  private readonly http1 = new Http1Client();
  private readonly urls = new Map<string, URL>();
  private readonly heads = new WeakMap<Record<string, string>, { auth: string | undefined; head: string }>();
  private tlsOpts: Promise<tls.ConnectionOptions> | undefined;

  constructor(cfg: HttpClientConfig, userAgent: string) {
    this.cfg = cfg;
    this.userAgent = userAgent;
  }

  private tls(): Promise<tls.ConnectionOptions> {
    return (this.tlsOpts ??= tlsOptions(this.cfg.tls));
  }

  private async authHeader(): Promise<string | undefined> {
    const a = this.cfg.auth;
    if (a === undefined) return undefined;
    if (a.kind === 'basic') {
      const user = a.usernameFile !== undefined ? (await readFile(a.usernameFile, 'utf8')).trim() : a.username;
      const pass = a.passwordFile !== undefined ? (await readFile(a.passwordFile, 'utf8')).trim() : (a.password ?? '');
      return 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
    }
    const cred = a.credentialsFile !== undefined ? (await readFile(a.credentialsFile, 'utf8')).trim() : (a.credentials ?? '');
    return `${a.type} ${cred}`;
  }

  /** GET with redirects; resolves with the number of (decompressed) body bytes. */
  async get(rawUrl: string, opts: GetOptions): Promise<number> {
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, opts.timeoutMs);
    const onParentAbort = () => ac.abort();
    opts.signal?.addEventListener('abort', onParentAbort, { once: true });
    let url = this.parsed(rawUrl);
    const firstHost = url.host;
    try {
      const auth = this.cfg.auth === undefined ? undefined : await this.authHeader();
      for (let hop = 0; ; hop++) {
        const hopAuth = url.host === firstHost ? auth : undefined;
        // FAST PATH: plain HTTP without a proxy goes through the lean HTTP/1.1 client (see util/http1.ts for why).
        const r =
          url.protocol === 'http:' && chooseProxy(this.cfg, url) === undefined
            ? await this.fastHop(url, this.headBlock(opts.headers, hopAuth), ac.signal, opts)
            : await this.nodeHop(url, hopAuth, ac.signal, opts);
        if (r.location === undefined) return r.bytes;
        if (hop >= 9) throw new ScrapeError('http_status', `Get "${rawUrl}": stopped after 10 redirects`);
        url = new URL(r.location, url);
      }
    } catch (err) {
      if (err instanceof ScrapeError && err.reason !== 'other') throw err;
      if (timedOut) throw new ScrapeError('timeout', `Get "${rawUrl}": context deadline exceeded`);
      if (opts.signal?.aborted) throw new ScrapeError('canceled', `Get "${rawUrl}": context canceled`);
      if (!(err instanceof Error) || err instanceof ScrapeError || !('code' in err)) throw err;
      const [reason, text] = goErrorText(err as NodeJS.ErrnoException, url);
      throw new ScrapeError(reason, reason === 'decompress' ? text : `Get "${rawUrl}": ${text}`);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onParentAbort);
    }
  }

  /** The parsed URL (targets are scraped by the same URL string every interval). */
  private parsed(rawUrl: string): URL {
    let u = this.urls.get(rawUrl);
    if (u === undefined) {
      u = new URL(rawUrl);
      if (this.urls.size >= 4096) this.urls.clear();
      this.urls.set(rawUrl, u);
    }
    return u;
  }

  /** The request's header lines for the lean client, memoised per caller header object and Authorization value. */
  private headBlock(headers: Record<string, string>, auth: string | undefined): string {
    const memo = this.heads.get(headers);
    if (memo !== undefined && memo.auth === auth) return memo.head;
    const all: Record<string, string> = { 'User-Agent': this.userAgent, ...headers };
    if (auth !== undefined) all['Authorization'] = auth;
    let head: string;
    try {
      head = headerBlock(all);
    } catch (err) {
      throw new ScrapeError('other', (err as Error).message);
    }
    this.heads.set(headers, { auth, head });
    return head;
  }

  /**
   * One request on the lean client: resolves with the body size (200) or the redirect to follow; rejects with the
   * HTTP status error otherwise. gzip bodies are inflated on the way to `onChunk`; the size limit counts inflated bytes.
   */
  private async fastHop(url: URL, head: string, signal: AbortSignal, opts: GetOptions): Promise<Hop> {
    const sink = new LimitedSink(opts);
    let status = 0;
    let statusText = '';
    let location: string | undefined;
    let gz: Gunzip | undefined;
    let gzDone: Promise<void> | undefined;
    let failure: Error | undefined;
    await this.http1.request('GET', url, head, undefined, signal, (h) => {
      status = h.status;
      statusText = h.statusText;
      if (REDIRECTS.has(status) && this.cfg.followRedirects && h.headers.has('location')) {
        location = h.headers.get('location');
        return false;
      }
      if (status !== 200) return false;
      opts.onResponse?.(h.headers.get('content-type') ?? '');
      if ((h.headers.get('content-encoding') ?? '').toLowerCase() === 'gzip') {
        const z = (gz = createGunzip());
        z.on('data', (c: Buffer) => {
          if (failure !== undefined) return;
          try {
            sink.deliver(c);
          } catch (err) {
            failure = err as Error;
            z.destroy();
          }
        });
        gzDone = new Promise<void>((resolve) => {
          z.once('end', resolve);
          z.once('close', resolve);
          z.once('error', (err) => {
            failure ??= err;
            resolve();
          });
        });
      }
      return true;
    }, (chunk) => {
      if (failure !== undefined) throw failure;
      // The lean client reuses its read buffer: gunzip works asynchronously, so it gets a copy.
      if (gz !== undefined) gz.write(Buffer.from(chunk));
      else sink.deliver(chunk);
    });
    if (location !== undefined) return { bytes: 0, location };
    if (status !== 200) throw statusError(status, statusText);
    if (gz !== undefined) {
      gz.end();
      await gzDone;
    }
    if (failure !== undefined) throw failure;
    return { bytes: sink.bytes };
  }

  /** One request on node:http(s): resolves with the body size (200) or the redirect to follow; see `fastHop`. */
  private async nodeHop(url: URL, auth: string | undefined, signal: AbortSignal, opts: GetOptions): Promise<Hop> {
    const headers: Record<string, string> = { 'User-Agent': this.userAgent, ...opts.headers };
    if (auth !== undefined) headers['Authorization'] = auth;
    const res = await this.request(url, headers, signal);
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status) && this.cfg.followRedirects && res.headers.location !== undefined) {
      res.resume();
      return { bytes: 0, location: res.headers.location };
    }
    if (status !== 200) {
      res.resume();
      throw statusError(status, res.statusMessage);
    }
    try {
      opts.onResponse?.(res.headers['content-type'] ?? '');
    } catch (err) {
      res.destroy();
      throw err;
    }
    return { bytes: await this.readBody(res, opts) };
  }

  private async readBody(res: http.IncomingMessage, opts: GetOptions): Promise<number> {
    const gzip = (res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
    let body: Readable = res;
    if (gzip) {
      const gz = createGunzip();
      pipeline(res, gz, () => undefined);
      body = gz;
    }
    const sink = new LimitedSink(opts);
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) sink.deliver(chunk);
    } catch (err) {
      res.destroy();
      body.destroy();
      throw err;
    }
    return sink.bytes;
  }

  private async request(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<http.IncomingMessage> {
    const isHttps = url.protocol === 'https:';
    const proxy = chooseProxy(this.cfg, url);
    const port = Number(url.port || (isHttps ? 443 : 80));
    const path = url.pathname + url.search;
    let options: https.RequestOptions;
    if (proxy === undefined) {
      if (isHttps) this.httpsAgent ??= new https.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo', ...(await this.tls()) });
      options = { host: url.hostname.replace(/^\[|\]$/g, ''), port, path, headers, agent: isHttps ? this.httpsAgent : this.httpAgent };
    } else if (!isHttps) {
      // Plain HTTP through a proxy: absolute-form request line to the proxy.
      const pa = proxyAuthorization(proxy.url);
      if (pa !== undefined) headers['Proxy-Authorization'] = pa;
      options = { host: proxy.url.hostname, port: Number(proxy.url.port || 80), path: url.toString(), headers: { ...headers, Host: url.host }, agent: false };
    } else {
      const socket = await this.connectTunnel(proxy.url, proxy.connectHeaders, url.host, signal);
      const t = await this.tls();
      // A one-off agent whose only connection is TLS over the tunnel (`agent: false` would dial directly).
      const tunnel = new https.Agent({ keepAlive: false });
      const servername = t.servername ?? (isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0 ? url.hostname : undefined);
      (tunnel as unknown as { createConnection: () => Socket }).createConnection = () => tls.connect({ ...t, socket, ...(servername === undefined ? {} : { servername }) });
      options = { host: url.hostname, port, path, headers, agent: tunnel };
    }
    return this.send(isHttps, options, signal, true);
  }

  /** One request; a kept-alive socket the server closed meanwhile is retried once on a fresh one (as Go does). */
  private send(isHttps: boolean, options: https.RequestOptions, signal: AbortSignal, retry: boolean): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = (isHttps ? https : http).request({ ...options, method: 'GET', signal }, resolve);
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (retry && req.reusedSocket && !signal.aborted && (err.code === 'ECONNRESET' || err.message === 'socket hang up')) {
          resolve(this.send(isHttps, options, signal, false));
        } else reject(err);
      });
      req.end();
    });
  }

  private connectTunnel(proxy: URL, connectHeaders: Record<string, string[]>, hostPort: string, signal: AbortSignal): Promise<Socket> {
    const headers: Record<string, string | string[]> = { Host: hostPort, ...connectHeaders };
    const pa = proxyAuthorization(proxy);
    if (pa !== undefined) headers['Proxy-Authorization'] = pa;
    const lib = proxy.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request({ host: proxy.hostname, port: Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80)), method: 'CONNECT', path: hostPort, headers, signal, agent: false });
      req.once('connect', (res, socket) => {
        if (res.statusCode === 200) resolve(socket);
        else {
          socket.destroy();
          reject(new ScrapeError('connection', `proxyconnect tcp: proxy answered ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd()));
        }
      });
      req.once('error', reject);
      req.end();
    });
  }

  close(): void {
    this.http1.close();
    this.httpAgent.destroy();
    this.httpsAgent?.destroy();
  }
}
