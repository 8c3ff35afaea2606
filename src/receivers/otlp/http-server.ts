/**
 * OTLP/HTTP server for metrics (POST <metrics_url_path>, default /v1/metrics), on node:http directly: express adds
 * per-request work (router walk, req/res prototype swaps, middleware closures) that buys nothing on a single-route
 * data path, so only the ops server uses it.
 *
 * Answers (opentelemetry-proto docs/specification.md, see ../shared/conformance/otlp/otlp_receiver_rules.md):
 *   200  ExportMetricsServiceResponse (partial_success set when invalid points were dropped), same content type
 *   400  undecodable body / bad Content-Encoding: google.rpc.Status (with BadRequest detail) naming the problem
 *   401  missing/wrong credentials (auth extension)          404  unknown path; /v1/traces and /v1/logs say why
 *   405  not POST (Allow: POST, OPTIONS)                       413  body over max_request_body_size (wire or inflated)
 *   415  Content-Type other than application/x-protobuf or application/json
 *   429 / 503  pipeline backpressure / downstream failure, with Retry-After
 * Error bodies are a google.rpc.Status in the request's encoding (protobuf or JSON) when it is known, else text.
 * CORS: origins matched with `*` wildcards; preflight (OPTIONS) answered 204.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { CreateSettings } from '../../component/component.ts';
import { PipelineError } from '../../component/errors.ts';
import {
  OtlpJsonError,
  ProtoDecodeError,
  badRequestDetail,
  decodeExportMetricsRequest,
  decodeExportMetricsRequestLazy,
  decodeExportMetricsRequestJson,
  encodeExportMetricsResponse,
  encodeExportMetricsResponseJson,
  encodeRpcStatus,
  encodeRpcStatusJson,
  retryInfoDetail,
  type AnyDetail,
} from '../../codec/otlp/index.ts';
import type { MetricsData } from '../../model/types.ts';
import { AuthError, type ServerAuthenticator } from '../../component/auth.ts';
import type { CorsConfig, HttpServerConfig } from './config.ts';
import { BadEncodingError, TooLargeError, UnsupportedEncodingError, decompress, normaliseEncoding } from './decompress.ts';
import { ExportHandler, GrpcCode, failureFor } from './export.ts';
import type { ServerInstruments } from './instruments.ts';
import { Listener, readServerTls } from './listener.ts';

type Encoding = 'proto' | 'json';

const CT: Record<Encoding, string> = { proto: 'application/x-protobuf', json: 'application/json' };
const ALWAYS_ALLOWED_HEADERS = ['content-type', 'content-encoding', 'authorization', 'x-requested-with'];

const GRPC_FOR_HTTP: Record<number, number> = { 400: 3, 401: 16, 404: 5, 405: 12, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14 };

/** The client went away mid-request: nothing to answer, not a server error. */
class ClientGoneError extends Error {}

class HttpError extends Error {
  readonly status: number;
  readonly details: AnyDetail[];
  constructor(status: number, message: string, details: AnyDetail[] = []) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

export class OtlpHttpServer {
  private server: Server | undefined;
  private listener: Listener | undefined;
  private auth: ServerAuthenticator | undefined;
  private closing = false;
  private readonly originRes: RegExp[];
  private readonly settings: CreateSettings;
  private readonly cfg: HttpServerConfig;
  private readonly handler: ExportHandler;
  private readonly inst: ServerInstruments;

  constructor(settings: CreateSettings, cfg: HttpServerConfig, handler: ExportHandler, inst: ServerInstruments) {
    this.settings = settings;
    this.cfg = cfg;
    this.handler = handler;
    this.inst = inst;
    this.originRes = (cfg.cors?.allowed_origins ?? []).map(wildcardRe);
  }

  get address(): string {
    return this.listener?.address ?? this.cfg.endpoint;
  }

  async start(auth: ServerAuthenticator | undefined): Promise<void> {
    this.auth = auth;
    const onRequest = (req: IncomingMessage, res: ServerResponse) => void this.serve(req, res);
    const opts = { requestTimeout: 0, headersTimeout: this.cfg.read_header_timeout, keepAliveTimeout: this.cfg.idle_timeout };
    if (this.cfg.tls) {
      const t = readServerTls(this.cfg.tls, `receiver ${this.settings.id} (http)`);
      const s = createHttpsServer({ ...opts, key: t.key, cert: t.cert, ca: t.ca, requestCert: t.ca !== undefined, rejectUnauthorized: t.ca !== undefined }, onRequest);
      s.on('tlsClientError', (err) => this.settings.logger.debug({ err: err.message }, 'TLS handshake failed'));
      this.server = s;
    } else this.server = createHttpServer(opts, onRequest);
    this.server.on('clientError', (err: NodeJS.ErrnoException, sock: Socket) => {
      if (sock.writable && err.code !== 'ECONNRESET') sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else sock.destroy();
    });
    const server = this.server;
    this.listener = new Listener(this.cfg.endpoint, this.cfg.tls !== undefined, this.settings.logger, (sock) => server.emit('connection', sock), (d) => (this.inst.connections.http += d));
    await this.listener.listen();
  }

  /**
   * Stops accepting, lets in-flight requests finish (answered with `Connection: close`) for up to `graceMs`, then
   * closes every connection. (The http.Server never listens itself, so its own idle-connection tracking is not
   * armed; the in-flight count is ours.)
   */
  async shutdown(graceMs: number): Promise<void> {
    const l = this.listener;
    this.listener = undefined;
    this.closing = true;
    if (!l) return;
    const closed = l.close(graceMs);
    const until = Date.now() + graceMs;
    while (this.inst.inFlight.http > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    l.destroyAll();
    await closed;
    this.server?.close();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const known = path === this.cfg.metrics_url_path || path === this.cfg.traces_url_path || path === this.cfg.logs_url_path;
    const done = this.inst.begin('http', method, known ? path : 'other');
    let enc: Encoding | undefined;
    try {
      const origin = req.headers.origin;
      const allowedOrigin = origin !== undefined && this.cfg.cors !== undefined && this.originRes.some((re) => re.test(origin));
      if (allowedOrigin) {
        res.setHeader('Access-Control-Allow-Origin', origin);
        res.setHeader('Vary', 'Origin');
      }
      if (method === 'OPTIONS' && this.cfg.cors !== undefined && req.headers['access-control-request-method'] !== undefined) {
        if (allowedOrigin) preflight(res, this.cfg.cors);
        return this.finish(res, done, 204, undefined, '');
      }
      if (path === this.cfg.traces_url_path || path === this.cfg.logs_url_path) {
        throw new HttpError(404, `otel-bridge is a metrics gateway: ${path === this.cfg.traces_url_path ? 'traces' : 'logs'} are not accepted; send metrics to POST ${this.cfg.metrics_url_path}`);
      }
      if (path !== this.cfg.metrics_url_path) throw new HttpError(404, `unknown path "${path}"; OTLP metrics are accepted on POST ${this.cfg.metrics_url_path}`);
      if (method !== 'POST') {
        res.setHeader('Allow', 'POST, OPTIONS');
        throw new HttpError(405, `method ${method} not allowed on ${path}; use POST`);
      }
      const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (ct === 'application/x-protobuf' || ct === 'application/protobuf') enc = 'proto';
      else if (ct === 'application/json') enc = 'json';
      else throw new HttpError(415, `unsupported Content-Type "${ct}"; use application/x-protobuf or application/json`);
      if (this.auth) {
        try {
          this.auth.authenticate((n) => headerValue(req, n));
        } catch (err) {
          if (err instanceof AuthError) throw new HttpError(401, `unauthenticated: ${err.message}`);
          throw err;
        }
      }
      const encoding = normaliseEncoding(req.headers['content-encoding']);
      if (encoding === undefined || (encoding !== '' && !this.cfg.compression_algorithms.includes(encoding as never))) {
        throw new HttpError(400, `unsupported Content-Encoding "${req.headers['content-encoding']}"; supported: ${this.cfg.compression_algorithms.filter((a) => a !== '').join(', ')}`);
      }
      const limit = this.cfg.max_request_body_size;
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (declared > limit) throw new HttpError(413, `request body of ${declared} bytes exceeds max_request_body_size (${limit} bytes)`);
      const wire = await readBody(req, limit, Number.isFinite(declared) ? declared : undefined);
      this.inst.received('http', wire.length);
      let body: Uint8Array;
      try {
        body = await decompress(encoding, wire, limit);
      } catch (err) {
        if (err instanceof TooLargeError) throw new HttpError(413, err.message);
        if (err instanceof BadEncodingError || err instanceof UnsupportedEncodingError) throw new HttpError(400, err.message);
        throw err;
      }
      const md = decodeBody(enc, body, this.handler.lazy);
      const partial = await this.handler.exportMetrics(md, 'http', this.cfg.include_metadata ? metadataOf(req) : undefined);
      const out = enc === 'proto' ? encodeExportMetricsResponse(partial) : encodeExportMetricsResponseJson(partial);
      return this.finish(res, done, 200, CT[enc], out);
    } catch (err) {
      if (err instanceof HttpError) return this.fail(res, done, enc, err.status, err.message, err.details);
      if (err instanceof PipelineError) {
        const f = failureFor(err);
        if (f.retryAfter !== undefined) res.setHeader('Retry-After', String(f.retryAfter));
        return this.fail(res, done, enc, f.httpStatus, f.message, f.retryAfter !== undefined ? [retryInfoDetail(f.retryAfter)] : [], f.grpcCode);
      }
      if (err instanceof ClientGoneError) {
        done('client_closed', false);
        return;
      }
      this.inst.caught('http', 'handler');
      this.settings.logger.error({ err: (err as Error).message, stack: (err as Error).stack }, 'unexpected error in OTLP/HTTP handler');
      return this.fail(res, done, enc, 500, `internal error: ${(err as Error).message}`, [], GrpcCode.INTERNAL);
    }
  }

  private fail(res: ServerResponse, done: (s: number, ok: boolean) => void, enc: Encoding | undefined, status: number, message: string, details: AnyDetail[], code?: number): void {
    const st = { code: code ?? GRPC_FOR_HTTP[status] ?? GrpcCode.INTERNAL, message, details };
    if (status === 413) res.setHeader('Connection', 'close');
    if (enc === 'proto') this.finish(res, done, status, CT.proto, encodeRpcStatus(st));
    else if (enc === 'json') this.finish(res, done, status, CT.json, encodeRpcStatusJson(st));
    else this.finish(res, done, status, 'text/plain; charset=utf-8', `${message}\n`);
  }

  private finish(res: ServerResponse, done: (s: number, ok: boolean) => void, status: number, contentType: string | undefined, body: Uint8Array | string): void {
    done(status, status < 400);
    if (res.headersSent || res.destroyed) return;
    res.statusCode = status;
    if (this.closing) res.setHeader('Connection', 'close');
    if (contentType !== undefined) res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
    res.end(body);
  }
}

/** `lazy`: see ExportHandler.lazy (protobuf only). */
function decodeBody(enc: Encoding, body: Uint8Array, lazy: boolean): MetricsData {
  try {
    if (enc === 'proto') {
      const md = lazy ? decodeExportMetricsRequestLazy(body) : decodeExportMetricsRequest(body);
      md.encoded = body; // pass-through: see MetricsData.encoded
      return md;
    }
    return decodeExportMetricsRequestJson(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8'));
  } catch (err) {
    if (err instanceof ProtoDecodeError) {
      throw new HttpError(400, `cannot decode protobuf ExportMetricsServiceRequest: ${err.message}`, [badRequestDetail([{ field: err.field, description: err.message }])]);
    }
    if (err instanceof OtlpJsonError) {
      throw new HttpError(400, `cannot decode OTLP/JSON ExportMetricsServiceRequest: ${err.message}`, [badRequestDetail([{ field: err.path, description: err.reason }])]);
    }
    throw err;
  }
}

/** Reads the whole body, failing with 413 past `limit` (the rest of the upload is not read; the connection closes). */
function readBody(req: IncomingMessage, limit: number, declared: number | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (c: Buffer) => {
      total += c.length;
      if (total > limit) {
        cleanup();
        req.pause();
        reject(new HttpError(413, `request body exceeds max_request_body_size (${limit} bytes)`));
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, declared ?? total));
    };
    const onError = () => {
      cleanup();
      reject(new ClientGoneError('client closed the connection before sending the whole body'));
    };
    const onClose = () => {
      if (!req.complete) onError();
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function metadataOf(req: IncomingMessage): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    const list = m.get(k);
    if (list) list.push(raw[i + 1]!);
    else m.set(k, [raw[i + 1]!]);
  }
  return m;
}

function preflight(res: ServerResponse, cors: CorsConfig): void {
  res.setHeader('Access-Control-Allow-Methods', 'POST');
  res.setHeader('Access-Control-Allow-Headers', [...ALWAYS_ALLOWED_HEADERS, ...cors.allowed_headers.map((h) => h.toLowerCase())].join(', '));
  if (cors.max_age > 0) res.setHeader('Access-Control-Max-Age', String(cors.max_age));
}

function wildcardRe(pattern: string): RegExp {
  if (pattern === '*') return /^.*$/;
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
}
