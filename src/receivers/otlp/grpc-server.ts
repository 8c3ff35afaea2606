/**
 * OTLP/gRPC server for metrics: `opentelemetry.proto.collector.metrics.v1.MetricsService/Export` on @grpc/grpc-js.
 * The service definition is hand-made with identity (de)serializers, so grpc-js hands us the raw message bytes and
 * our own codec decodes them (no protobufjs objects on the data path).
 *
 * Answers: OK + ExportMetricsServiceResponse (partial_success when invalid points were dropped); INVALID_ARGUMENT
 * for undecodable bytes (message names the field and offset); UNAUTHENTICATED for missing/wrong credentials;
 * RESOURCE_EXHAUSTED / UNAVAILABLE with a RetryInfo detail in `grpc-status-details-bin` when the pipeline pushes
 * back; RESOURCE_EXHAUSTED from grpc-js itself for messages over max_recv_msg_size_mib (checked after
 * decompression by grpc-js). TraceService/LogsService Export answer UNIMPLEMENTED saying why.
 * Connections come from our Listener (connection injection), which counts them and refuses plaintext on TLS.
 * Note: `received_bytes` for gRPC counts the message after grpc-js decompressed it (the wire size is not exposed).
 */
import * as grpc from '@grpc/grpc-js';
import type { CreateSettings } from '../../component/component.ts';
import { PipelineError } from '../../component/errors.ts';
import { ProtoDecodeError, badRequestDetail, decodeExportMetricsRequest, decodeExportMetricsRequestLazy, encodeExportMetricsResponse, encodeRpcStatus, retryInfoDetail, type AnyDetail } from '../../codec/otlp/index.ts';
import { AuthError, type ServerAuthenticator } from '../../component/auth.ts';
import type { GrpcServerConfig } from './config.ts';
import { ExportHandler, GrpcCode, failureFor } from './export.ts';
import type { ServerInstruments } from './instruments.ts';
import { Listener, readServerTls } from './listener.ts';

export const METRICS_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const TRACES_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const LOGS_EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

const identity = (b: Buffer): Buffer => b;
/** Full success: an empty ExportMetricsServiceResponse (zero bytes; grpc-js copies it into its own frame). */
const EMPTY_RESPONSE = Buffer.alloc(0);

function unary(path: string): grpc.ServiceDefinition {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: 'export',
    },
  };
}

/** A ServiceError carrying a google.rpc.Status (with details) in `grpc-status-details-bin`. */
export function statusError(code: number, message: string, details: AnyDetail[] = []): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (details.length > 0) metadata.set('grpc-status-details-bin', Buffer.from(encodeRpcStatus({ code, message, details })));
  return { code, details: message, metadata };
}

export class OtlpGrpcServer {
  private server: grpc.Server | undefined;
  private listener: Listener | undefined;
  private injector: ReturnType<grpc.Server['createConnectionInjector']> | undefined;
  private auth: ServerAuthenticator | undefined;
  private readonly settings: CreateSettings;
  private readonly cfg: GrpcServerConfig;
  private readonly handler: ExportHandler;
  private readonly inst: ServerInstruments;

  constructor(settings: CreateSettings, cfg: GrpcServerConfig, handler: ExportHandler, inst: ServerInstruments) {
    this.settings = settings;
    this.cfg = cfg;
    this.handler = handler;
    this.inst = inst;
  }

  get address(): string {
    return this.listener?.address ?? this.cfg.endpoint;
  }

  async start(auth: ServerAuthenticator | undefined): Promise<void> {
    this.auth = auth;
    const ka = this.cfg.keepalive.server_parameters;
    const opts: grpc.ServerOptions = {
      'grpc.max_receive_message_length': Math.floor(this.cfg.max_recv_msg_size_mib * 1024 * 1024),
      'grpc.keepalive_time_ms': ka.time,
      'grpc.keepalive_timeout_ms': ka.timeout,
      ...(ka.max_connection_idle > 0 ? { 'grpc.max_connection_idle_ms': ka.max_connection_idle } : {}),
      ...(ka.max_connection_age > 0 ? { 'grpc.max_connection_age_ms': ka.max_connection_age } : {}),
      ...(ka.max_connection_age_grace > 0 ? { 'grpc.max_connection_age_grace_ms': ka.max_connection_age_grace } : {}),
      ...(this.cfg.max_concurrent_streams > 0 ? { 'grpc.max_concurrent_streams': this.cfg.max_concurrent_streams } : {}),
    };
    const server = new grpc.Server(opts);
    server.addService(unary(METRICS_EXPORT_PATH), { Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => void this.export(call, cb) });
    for (const [path, what] of [
      [TRACES_EXPORT_PATH, 'traces'],
      [LOGS_EXPORT_PATH, 'logs'],
    ] as const) {
      server.addService(unary(path), {
        Export: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          const done = this.inst.begin('grpc', 'Export', path);
          done('UNIMPLEMENTED', false);
          cb(statusError(GrpcCode.UNIMPLEMENTED, `otel-bridge is a metrics gateway: ${what} are not accepted; send metrics to ${METRICS_EXPORT_PATH}`));
        },
      });
    }
    let creds = grpc.ServerCredentials.createInsecure();
    if (this.cfg.tls) {
      const t = readServerTls(this.cfg.tls, `receiver ${this.settings.id} (grpc)`);
      creds = grpc.ServerCredentials.createSsl(t.ca ?? null, [{ private_key: t.key, cert_chain: t.cert }], t.ca !== undefined);
    }
    const injector = server.createConnectionInjector(creds);
    this.server = server;
    this.injector = injector;
    this.listener = new Listener(this.cfg.endpoint, this.cfg.tls !== undefined, this.settings.logger, (sock) => injector.injectConnection(sock), (d) => (this.inst.connections.grpc += d));
    await this.listener.listen();
  }

  async shutdown(graceMs: number): Promise<void> {
    const server = this.server;
    const listener = this.listener;
    this.server = undefined;
    this.listener = undefined;
    if (!server) return;
    const closing = listener?.close(graceMs);
    this.injector?.drain(graceMs);
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
    this.injector?.destroy();
    listener?.destroyAll();
    await closing;
  }

  private async export(call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): Promise<void> {
    const done = this.inst.begin('grpc', 'Export', METRICS_EXPORT_PATH);
    const reply = (codeName: string, err: Partial<grpc.StatusObject> | null, body?: Buffer) => {
      done(codeName, err === null);
      if (err === null) cb(null, body);
      else cb(err);
    };
    try {
      if (this.auth) {
        try {
          this.auth.authenticate((n) => {
            const v = call.metadata.get(n)[0];
            return v === undefined ? undefined : String(v);
          });
        } catch (err) {
          if (err instanceof AuthError) return reply('UNAUTHENTICATED', statusError(GrpcCode.UNAUTHENTICATED, `unauthenticated: ${err.message}`));
          throw err;
        }
      }
      const bytes = call.request;
      this.inst.received('grpc', bytes.length);
      let md;
      try {
        // Lazily when nothing downstream reads the objects (OTLP in -> OTLP out): they are then never built.
        md = this.handler.lazy ? decodeExportMetricsRequestLazy(bytes) : decodeExportMetricsRequest(bytes);
        md.encoded = bytes; // pass-through: see MetricsData.encoded
      } catch (err) {
        if (!(err instanceof ProtoDecodeError)) throw err;
        const msg = `cannot decode protobuf ExportMetricsServiceRequest: ${err.message}`;
        return reply('INVALID_ARGUMENT', statusError(GrpcCode.INVALID_ARGUMENT, msg, [badRequestDetail([{ field: err.field, description: err.message }])]));
      }
      const partial = await this.handler.exportMetrics(md, 'grpc', this.cfg.include_metadata ? metadataOf(call.metadata) : undefined);
      reply('OK', null, partial === undefined ? EMPTY_RESPONSE : Buffer.from(encodeExportMetricsResponse(partial)));
    } catch (err) {
      if (err instanceof PipelineError) {
        const f = failureFor(err);
        const details = f.retryAfter !== undefined ? [retryInfoDetail(f.retryAfter)] : [];
        return reply(grpc.status[f.grpcCode] ?? String(f.grpcCode), statusError(f.grpcCode, f.message, details));
      }
      this.inst.caught('grpc', 'handler');
      this.settings.logger.error({ err: (err as Error).message, stack: (err as Error).stack }, 'unexpected error in OTLP/gRPC handler');
      reply('INTERNAL', statusError(GrpcCode.INTERNAL, `internal error: ${(err as Error).message}`));
    }
  }
}

function metadataOf(m: grpc.Metadata): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries(m.toJSON())) out.set(k, v.map((x) => (typeof x === 'string' ? x : Buffer.from(x).toString('base64'))));
  return out;
}
