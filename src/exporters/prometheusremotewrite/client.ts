/**
 * Remote-write HTTP client: one POST per request body; plain HTTP on the lean HTTP/1.1 client (util/http1.ts, FAST
 * PATH), https on node:https with a keep-alive agent.
 *
 * Contract (RW 1.0 spec rules 3-6, 10, 12; RW 2.0 rules 2-10)
 * - Headers: `Content-Encoding: snappy`, `Content-Type: application/x-protobuf` (RW 2.0:
 *   `;proto=io.prometheus.write.v2.Request`), `X-Prometheus-Remote-Write-Version: 0.1.0` (2.0.0), `User-Agent:
 *   otel-bridge/<version>`; user `headers` and the authenticator's headers come first and can never replace these.
 * - Outcome: 2xx resolves (RW 2.0: a 2xx without any `X-Prometheus-Remote-Write-*-Written` header means a 1.x
 *   receiver ignored the body: treated as 415); 5xx and 429 reject retryable with the Retry-After hint (seconds or
 *   HTTP date); 415 rejects with code OB_PRW_UNSUPPORTED_PROTO (the caller falls back to RW 1.0); any other status
 *   rejects permanent (never retried). Connection errors and timeouts are retryable. The response body is not
 *   interpreted, only quoted (first 512 bytes) in the error message.
 */
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PipelineError } from '../../component/errors.ts';
import { Http1Client } from '../../util/http1.ts';
import { leanPost, type PostAnswer } from '../../util/http1-post.ts';
import type { ClientAuthenticator } from '../../component/auth.ts';
import { VERSION } from '../../version.ts';
import { parseRetryAfter } from '../otlp/classify.ts';
import { readClientTls } from '../otlp/grpc-transport.ts';
import type { PrwExporterConfig } from './config.ts';

const MAX_BODY_QUOTE = 512;
export const UNSUPPORTED_PROTO = 'OB_PRW_UNSUPPORTED_PROTO';
const WRITTEN_HEADERS = ['x-prometheus-remote-write-samples-written', 'x-prometheus-remote-write-histograms-written', 'x-prometheus-remote-write-exemplars-written'];

function protocolHeaders(version: 1 | 2): Record<string, string> {
  return {
    'content-encoding': 'snappy',
    'content-type': version === 2 ? 'application/x-protobuf;proto=io.prometheus.write.v2.Request' : 'application/x-protobuf',
    'x-prometheus-remote-write-version': version === 2 ? '2.0.0' : '0.1.0',
    'user-agent': `otel-bridge/${VERSION}`,
  };
}

export class RemoteWriteClient {
  readonly target: string;
  private readonly url: URL;
  private readonly cfg: PrwExporterConfig;
  private readonly who: string;
  /** https only (plain http goes through `lean`). */
  private agent: HttpsAgent | undefined;
  private readonly lean = new Http1Client();
  private started = false;
  private auth: ClientAuthenticator | undefined;
  private readonly userHeaders: Record<string, string>;

  constructor(cfg: PrwExporterConfig, who: string) {
    this.cfg = cfg;
    this.who = who;
    this.url = new URL(cfg.endpoint);
    this.target = `${this.url.protocol}//${this.url.host}${this.url.pathname}`;
    this.userHeaders = {};
    for (const [k, v] of Object.entries(cfg.headers)) this.userHeaders[k.toLowerCase()] = v;
  }

  start(auth: ClientAuthenticator | undefined): void {
    this.auth = auth;
    this.started = true;
    if (this.url.protocol === 'https:') {
      const t = this.cfg.tls;
      this.agent = new HttpsAgent({
        keepAlive: true,
        maxSockets: Math.max(4, this.cfg.remote_write_queue.num_consumers * 2),
        ...readClientTls(t, this.who),
        rejectUnauthorized: !t.insecure_skip_verify,
        ...(t.server_name_override ? { servername: t.server_name_override } : {}),
        ...(t.min_version ? { minVersion: `TLSv${t.min_version}` as 'TLSv1.2' | 'TLSv1.3' } : {}),
      });
    }
  }

  /** POSTs one snappy-compressed request body; rejects with a classified PipelineError. */
  async send(body: Uint8Array, version: 1 | 2, signal: AbortSignal): Promise<void> {
    if (!this.started) throw PipelineError.retryable('OB_PRW_TRANSPORT', `${this.who}: client not started`);
    if (signal.aborted) throw PipelineError.retryable('OB_PRW_TRANSPORT', `remote write to ${this.target} cancelled (exporter shutting down)`);
    if (this.url.protocol === 'http:') return this.sendLean(body, version, signal);
    const agent = this.agent;
    const headers: Record<string, string | number> = { ...this.headers(version), 'content-length': body.length };
    const timeoutMs = this.cfg.timeout;
    const res = await new Promise<{ msg: IncomingMessage; body: Buffer }>((resolve, reject) => {
      const req = httpsRequest(this.url, { method: 'POST', agent, headers });
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within timeout ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
      const onAbort = () => req.destroy(Object.assign(new Error('cancelled (exporter shutting down)'), { code: 'ECANCELED' }));
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      req.on('error', (err: NodeJS.ErrnoException) => {
        done();
        reject(PipelineError.retryable('OB_PRW_TRANSPORT', `remote write to ${this.target} failed: ${err.code ? `${err.code}: ` : ''}${err.message}`, err));
      });
      req.on('response', (msg) => {
        const chunks: Buffer[] = [];
        let total = 0;
        msg.on('data', (c: Buffer) => {
          if (total < MAX_BODY_QUOTE) chunks.push(c);
          total += c.length;
        });
        msg.on('end', () => {
          done();
          resolve({ msg, body: Buffer.concat(chunks) });
        });
        msg.on('error', (err) => {
          done();
          reject(PipelineError.retryable('OB_PRW_TRANSPORT', `remote write to ${this.target} failed reading the answer: ${err.message}`, err));
        });
      });
      req.end(body);
    });
    const h = res.msg.headers;
    this.outcome(res.msg.statusCode ?? 0, (name) => {
      const v = h[name];
      return Array.isArray(v) ? v[0] : v;
    }, res.body, version);
  }

  /**
   * FAST PATH for plain-HTTP endpoints: the POST on the lean HTTP/1.1 client (util/http1.ts), same headers, timeout,
   * cancellation and outcome as the node:http path above.
   */
  private async sendLean(body: Uint8Array, version: 1 | 2, signal: AbortSignal): Promise<void> {
    let a: PostAnswer;
    try {
      a = await leanPost(this.lean, this.url, this.headers(version), body, this.cfg.timeout, signal, MAX_BODY_QUOTE);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'OB_HTTP_HEADER') throw PipelineError.permanent('OB_PRW_HEADER', `remote write to ${this.target}: ${err.message}`);
      throw PipelineError.retryable('OB_PRW_TRANSPORT', `remote write to ${this.target} failed: ${err.code ? `${err.code}: ` : ''}${err.message}`, err);
    }
    this.outcome(a.status, (name) => a.headers.get(name), a.body, version);
  }

  /** The request's headers: user headers, then the authenticator's, then the protocol's (which always win). */
  private headers(version: 1 | 2): Record<string, string> {
    return { ...this.userHeaders, ...(this.auth?.clientHeaders() ?? {}), ...protocolHeaders(version) };
  }

  /** Classifies the answer (see the contract); returns on success, throws the PipelineError otherwise. */
  private outcome(status: number, header: (name: string) => string | undefined, answer: Buffer, version: 1 | 2): void {
    if (status >= 200 && status < 300) {
      if (version === 2 && !WRITTEN_HEADERS.some((h) => header(h) !== undefined)) {
        throw PipelineError.permanent(UNSUPPORTED_PROTO, `remote write to ${this.target}: HTTP ${status} without X-Prometheus-Remote-Write-*-Written headers: the receiver does not speak RW 2.0`);
      }
      return;
    }
    const quote = answer.subarray(0, MAX_BODY_QUOTE).toString('utf8').trim();
    const text = `remote write to ${this.target} failed: HTTP ${status}${quote === '' ? '' : `: ${quote}`}`;
    const code = `OB_PRW_HTTP_${status}`;
    if (status === 429 || status >= 500) {
      const delay = parseRetryAfter(header('retry-after'));
      throw new PipelineError('retryable', code, text, delay === undefined ? {} : { retryAfterSeconds: delay });
    }
    if (status === 415 && version === 2) throw PipelineError.permanent(UNSUPPORTED_PROTO, text);
    throw PipelineError.permanent(code, text);
  }

  close(): void {
    this.lean.close();
    this.agent?.destroy();
    this.agent = undefined;
  }
}
