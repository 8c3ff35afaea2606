/**
 * OTLP/gRPC client transport: one @grpc/grpc-js channel, unary `MetricsService/Export` calls made with
 * `makeUnaryRequest` and identity (de)serializers, so the bytes our codec encoded go on the wire untouched.
 *
 * Why not @opentelemetry/otlp-grpc-exporter-base (checked in node_modules, 0.223): its GrpcExporterTransport is not
 * exported from the package (only `createOtlpGrpcExportDelegate`, which wants an SDK ISerializer of SDK
 * ResourceMetrics and runs its own timeout/retry/concurrency logic that would fight retry_on_failure and
 * sending_queue); it copies every payload (`Buffer.from(data)`), fixes the metadata at first use (no per-request
 * auth headers, so a rotated token file would never be picked up), offers no server-name override, and reports
 * failures as a flattened `{status: 'failure', error}`. The transport below is ~100 lines with none of that.
 *
 * Contract: `send` makes one attempt with a deadline of `timeoutMs` and resolves with the partial success from the
 * response (zeros for an empty response); failures are classified by classify.ts (RetryInfo from
 * `grpc-status-details-bin`). Aborting `signal` cancels the call. Endpoint forms: `host:port`, `http://host:port`
 * (plaintext), `https://host:port` (TLS), `dns:///host:port` (with balancer_name: round_robin).
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { decodeExportMetricsResponse, type ExportMetricsPartialSuccess } from '../../codec/otlp/index.ts';
import type { ClientAuthenticator } from '../../component/auth.ts';
import { VERSION } from '../../version.ts';
import type { ExportTransport } from './base.ts';
import { classifyGrpc, transportError } from './classify.ts';
import type { ClientTlsConfig, OtlpExporterConfig } from './config.ts';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const identity = (b: Buffer): Buffer => b;

export function readClientTls(tls: ClientTlsConfig, who: string): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const read = (f: string | undefined, what: string): Buffer | undefined => {
    if (f === undefined) return undefined;
    try {
      return readFileSync(f);
    } catch (err) {
      throw new Error(`${who}: cannot read tls.${what} "${f}": ${(err as Error).message}`);
    }
  };
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  const ca = read(tls.ca_file, 'ca_file');
  const cert = read(tls.cert_file, 'cert_file');
  const key = read(tls.key_file, 'key_file');
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key) out.key = key;
  return out;
}

/** Target for grpc-js and whether to use TLS, from the Collector-style endpoint. */
export function grpcTarget(endpoint: string, tls: ClientTlsConfig): { target: string; secure: boolean } {
  const m = /^(https?):\/\/(.*?)\/?$/.exec(endpoint);
  if (m) return { target: m[2]!, secure: m[1] === 'https' };
  return { target: endpoint, secure: !tls.insecure };
}

export class GrpcTransport implements ExportTransport {
  readonly target: string;
  private client: grpc.Client | undefined;
  private auth: ClientAuthenticator | undefined;
  private readonly cfg: OtlpExporterConfig;
  private readonly who: string;
  private readonly secure: boolean;
  private readonly staticMetadata: [string, string][];

  constructor(cfg: OtlpExporterConfig, who: string) {
    this.cfg = cfg;
    this.who = who;
    const t = grpcTarget(cfg.endpoint, cfg.tls);
    this.target = t.target;
    this.secure = t.secure;
    this.staticMetadata = Object.entries(cfg.headers).map(([k, v]) => [k.toLowerCase(), v]);
  }

  async start(auth: ClientAuthenticator | undefined): Promise<void> {
    this.auth = auth;
    const tls = this.cfg.tls;
    let creds: grpc.ChannelCredentials;
    if (this.secure) {
      const f = readClientTls(tls, this.who);
      const verify: grpc.VerifyOptions = tls.insecure_skip_verify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {};
      creds = grpc.credentials.createSsl(f.ca ?? null, f.key ?? null, f.cert ?? null, verify);
    } else creds = grpc.credentials.createInsecure();
    const opts: grpc.ChannelOptions = {
      'grpc.primary_user_agent': `otel-bridge/${VERSION}`,
      'grpc.default_compression_algorithm': this.cfg.compression === 'gzip' ? 2 : this.cfg.compression === 'deflate' ? 1 : 0,
      'grpc.max_send_message_length': -1,
      'grpc.max_receive_message_length': 4 * 1024 * 1024,
      // grpc-js backs reconnects off up to 120 s: after an outage the channel could sit idle for two minutes while
      // data waits. Cap it so a recovered server is reached within seconds.
      'grpc.initial_reconnect_backoff_ms': 250,
      'grpc.max_reconnect_backoff_ms': Math.max(250, Math.min(this.cfg.retry_on_failure.max_interval, 5000)),
    };
    if (this.cfg.tls.server_name_override) opts['grpc.ssl_target_name_override'] = this.cfg.tls.server_name_override;
    if (this.cfg.authority) opts['grpc.default_authority'] = this.cfg.authority;
    if (this.cfg.balancer_name) opts['grpc.service_config'] = JSON.stringify({ loadBalancingConfig: [{ [this.cfg.balancer_name]: {} }] });
    const ka = this.cfg.keepalive;
    if (ka && ka.time > 0) {
      opts['grpc.keepalive_time_ms'] = ka.time;
      opts['grpc.keepalive_timeout_ms'] = ka.timeout;
      opts['grpc.keepalive_permit_without_calls'] = ka.permit_without_stream ? 1 : 0;
    }
    this.client = new grpc.Client(this.target, creds, opts);
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    for (const [k, v] of this.staticMetadata) md.set(k, v);
    if (this.auth) for (const [k, v] of Object.entries(this.auth.clientHeaders())) md.set(k.toLowerCase(), v);
    return md;
  }

  send(body: Uint8Array, timeoutMs: number, signal: AbortSignal): Promise<ExportMetricsPartialSuccess> {
    const client = this.client;
    if (!client) return Promise.reject(transportError(new Error('transport not started'), this.target));
    return new Promise((resolve, reject) => {
      const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      const call = client.makeUnaryRequest(
        EXPORT_PATH,
        identity,
        identity,
        buf,
        this.metadata(),
        { deadline: Date.now() + timeoutMs, ...(this.cfg.wait_for_ready ? { waitForReady: true } : {}) },
        (err: grpc.ServiceError | null, res?: Buffer) => {
          signal.removeEventListener('abort', onAbort);
          if (err) {
            const sd = err.metadata?.get('grpc-status-details-bin')[0];
            return reject(classifyGrpc(err.code, err.details, sd === undefined ? undefined : (sd as Buffer), this.target));
          }
          try {
            resolve(res === undefined || res.length === 0 ? { rejectedDataPoints: 0, errorMessage: '' } : decodeExportMetricsResponse(res));
          } catch {
            // An undecodable success response still means the data was accepted.
            resolve({ rejectedDataPoints: 0, errorMessage: '' });
          }
        },
      );
      const onAbort = () => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }
}
