/**
 * OTLP/HTTP client transport: https on node:https with a keep-alive agent (max_idle_conns, idle_conn_timeout); plain
 * http on the lean HTTP/1.1 client (FAST PATH, util/http1-post.ts: no ClientRequest/IncomingMessage per request; the
 * same idle limits, timeout and error texts).
 *
 * Contract: `send` POSTs one body (compressed per `compression`, Content-Type per `encoding`) with a deadline of
 * `timeoutMs`; 2xx resolves with the partial success decoded from the response (either encoding, by its
 * Content-Type; empty body = full success); anything else rejects with classify.ts's PipelineError (429/502/503/504
 * retryable honouring Retry-After, others permanent); connection errors and timeouts are retryable. Aborting `signal`
 * destroys the request. Response bodies are read up to 4 MiB.
 */
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { PipelineError } from '../../component/errors.ts';
import { decodeExportMetricsResponse, decodeExportMetricsResponseJson, type ExportMetricsPartialSuccess } from '../../codec/otlp/index.ts';
import type { ClientAuthenticator } from '../../component/auth.ts';
import { Http1Client } from '../../util/http1.ts';
import { leanPost } from '../../util/http1-post.ts';
import { VERSION } from '../../version.ts';
import type { ExportTransport } from '../otlp/base.ts';
import { classifyHttp, transportError } from '../otlp/classify.ts';
import { readClientTls } from '../otlp/grpc-transport.ts';
import { metricsUrl, type OtlpHttpExporterConfig } from './config.ts';

const MAX_RESPONSE = 4 << 20;
type Compress = (b: Uint8Array) => Promise<Buffer>;
const COMPRESSORS: Record<string, Compress | undefined> = {
  gzip: promisify(zlib.gzip) as Compress,
  deflate: promisify(zlib.deflate) as Compress,
  zstd: typeof zlib.zstdCompress === 'function' ? (promisify(zlib.zstdCompress) as unknown as Compress) : undefined,
};

export class HttpTransport implements ExportTransport {
  readonly target: string;
  private readonly url: URL;
  /** https: node:https with this agent; http: the lean client. One of the two once started. */
  private agent: HttpsAgent | undefined;
  private lean: Http1Client | undefined;
  private auth: ClientAuthenticator | undefined;
  private readonly cfg: OtlpHttpExporterConfig;
  private readonly who: string;
  private readonly baseHeaders: Record<string, string>;
  private readonly compress: Compress | undefined;

  constructor(cfg: OtlpHttpExporterConfig, who: string) {
    this.cfg = cfg;
    this.who = who;
    this.url = new URL(metricsUrl(cfg));
    this.target = this.url.toString();
    const enc = cfg.compression === 'none' || cfg.compression === '' ? undefined : cfg.compression;
    this.compress = enc === undefined ? undefined : COMPRESSORS[enc];
    if (enc !== undefined && this.compress === undefined) throw new Error(`${who}: compression "${enc}" is not available in this Node.js`);
    this.baseHeaders = {
      ...cfg.headers,
      'content-type': cfg.encoding === 'json' ? 'application/json' : 'application/x-protobuf',
      'user-agent': `otel-bridge/${VERSION}`,
      ...(enc === undefined ? {} : { 'content-encoding': enc }),
    };
  }

  async start(auth: ClientAuthenticator | undefined): Promise<void> {
    this.auth = auth;
    const common = { keepAlive: true, maxFreeSockets: Math.max(1, this.cfg.max_idle_conns), timeout: this.cfg.idle_conn_timeout };
    if (this.url.protocol === 'https:') {
      const f = readClientTls(this.cfg.tls, this.who);
      this.agent = new HttpsAgent({
        ...common,
        ...f,
        rejectUnauthorized: !this.cfg.tls.insecure_skip_verify,
        ...(this.cfg.tls.server_name_override ? { servername: this.cfg.tls.server_name_override } : {}),
        ...(this.cfg.tls.min_version ? { minVersion: `TLSv${this.cfg.tls.min_version}` as 'TLSv1.2' | 'TLSv1.3' } : {}),
      });
    } else this.lean = new Http1Client({ idleTimeoutMs: this.cfg.idle_conn_timeout, maxIdlePerHost: common.maxFreeSockets });
  }

  async send(body: Uint8Array, timeoutMs: number, signal: AbortSignal): Promise<ExportMetricsPartialSuccess> {
    const agent = this.agent;
    if (!agent && !this.lean) throw transportError(new Error('transport not started'), this.target);
    const payload = this.compress ? await this.compress(body) : body;
    const headers: Record<string, string | number> = { ...this.baseHeaders };
    if (this.auth) Object.assign(headers, this.auth.clientHeaders());
    if (this.lean !== undefined) {
      // The lean client writes Content-Length itself.
      const a = await leanPost(this.lean, this.url, headers, payload, timeoutMs, signal, MAX_RESPONSE).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'OB_HTTP_HEADER') throw PipelineError.permanent('OB_OTLP_HEADER', `export to ${this.target}: ${err.message}`);
        throw transportError(err, this.target);
      });
      return this.answer(a.status, a.headers.get('retry-after'), a.headers.get('content-type'), a.body);
    }
    headers['content-length'] = payload.length;
    const res = await new Promise<{ msg: IncomingMessage; body: Buffer }>((resolve, reject) => {
      const req = httpsRequest(this.url, { method: 'POST', agent, headers });
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within timeout ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
      const onAbort = () => req.destroy(Object.assign(new Error('cancelled (exporter shutting down)'), { code: 'ECANCELED' }));
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      req.on('error', (err) => {
        done();
        reject(transportError(err, this.target));
      });
      req.on('response', (msg) => {
        const chunks: Buffer[] = [];
        let total = 0;
        msg.on('data', (c: Buffer) => {
          total += c.length;
          if (total <= MAX_RESPONSE) chunks.push(c);
        });
        msg.on('end', () => {
          done();
          resolve({ msg, body: Buffer.concat(chunks) });
        });
        msg.on('error', (err) => {
          done();
          reject(transportError(err, this.target));
        });
      });
      req.end(payload);
    });
    return this.answer(res.msg.statusCode ?? 0, header(res.msg.headers['retry-after']), res.msg.headers['content-type'], res.body);
  }

  /** 2xx: the partial success in the body (either encoding); otherwise the classified error. */
  private answer(status: number, retryAfter: string | undefined, ct: string | undefined, body: Buffer): ExportMetricsPartialSuccess {
    if (status < 200 || status >= 300) throw classifyHttp(status, retryAfter, body, ct, this.target);
    if (body.length === 0) return { rejectedDataPoints: 0, errorMessage: '' };
    try {
      return (ct ?? '').toLowerCase().startsWith('application/json') ? decodeExportMetricsResponseJson(body.toString('utf8')) : decodeExportMetricsResponse(body);
    } catch {
      return { rejectedDataPoints: 0, errorMessage: '' }; // 2xx: accepted even if the body is not a response message
    }
  }

  async close(): Promise<void> {
    this.agent?.destroy();
    this.agent = undefined;
    this.lean?.close();
    this.lean = undefined;
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export { PipelineError };
