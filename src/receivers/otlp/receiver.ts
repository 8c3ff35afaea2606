/**
 * `otlp` receiver: OTLP metrics over gRPC (default 0.0.0.0:4317) and/or HTTP (default 0.0.0.0:4318), both feeding
 * the same pipeline fan-out. Config: see config.ts. Answers and limits: see grpc-server.ts / http-server.ts.
 *
 * Contract
 * - start: resolves auth extensions (`auth.authenticator`, failing with a clear message when missing or of the wrong
 *   kind), reads TLS files, then listens; if the second protocol cannot listen the first is closed again.
 * - shutdown: stops accepting at once, lets in-flight requests finish (up to 5 s), then closes every connection.
 * - Every request is counted (ServerInstruments) and every batch accepted/refused (ReceiverObs, transport = grpc/http).
 * - status(): endpoints actually bound, requests served/failed, bytes, in-flight and open connections per transport.
 */
import type { Component, CreateSettings, Host, ReceiverFactory } from '../../component/component.ts';
import type { Consumer } from '../../consumer/consumer.ts';
import { serverAuthenticator } from '../../component/auth.ts';
import { otlpReceiverSchema, type OtlpReceiverConfig } from './config.ts';
import { ExportHandler } from './export.ts';
import { OtlpGrpcServer } from './grpc-server.ts';
import { OtlpHttpServer } from './http-server.ts';
import { ServerInstruments } from './instruments.ts';

const SHUTDOWN_GRACE_MS = 5000;

export class OtlpReceiver implements Component {
  private readonly settings: CreateSettings;
  private readonly cfg: OtlpReceiverConfig;
  private readonly inst: ServerInstruments;
  private readonly grpc: OtlpGrpcServer | undefined;
  private readonly http: OtlpHttpServer | undefined;
  private running = false;

  constructor(settings: CreateSettings, cfg: OtlpReceiverConfig, next: Consumer) {
    this.settings = settings;
    this.cfg = cfg;
    this.inst = new ServerInstruments(settings);
    const handler = new ExportHandler(settings, next);
    const p = cfg.protocols;
    this.grpc = p.grpc ? new OtlpGrpcServer(settings, p.grpc, handler, this.inst) : undefined;
    this.http = p.http ? new OtlpHttpServer(settings, p.http, handler, this.inst) : undefined;
  }

  /** Bound addresses ("host:port"), port 0 resolved; for tests and the status page. */
  get endpoints(): { grpc?: string; http?: string } {
    return { ...(this.grpc ? { grpc: this.grpc.address } : {}), ...(this.http ? { http: this.http.address } : {}) };
  }

  async start(host: Host): Promise<void> {
    const who = `receiver ${this.settings.id}`;
    const p = this.cfg.protocols;
    const grpcAuth = p.grpc?.auth ? serverAuthenticator(host, p.grpc.auth.authenticator, `${who} protocols.grpc.auth`) : undefined;
    const httpAuth = p.http?.auth ? serverAuthenticator(host, p.http.auth.authenticator, `${who} protocols.http.auth`) : undefined;
    try {
      await this.grpc?.start(grpcAuth);
      await this.http?.start(httpAuth);
    } catch (err) {
      await this.grpc?.shutdown(0);
      await this.http?.shutdown(0);
      throw err;
    }
    this.running = true;
    this.settings.logger.info({ ...this.endpoints, tls: { grpc: p.grpc?.tls !== undefined, http: p.http?.tls !== undefined } }, 'OTLP receiver listening');
  }

  async shutdown(): Promise<void> {
    this.running = false;
    await Promise.all([this.grpc?.shutdown(SHUTDOWN_GRACE_MS), this.http?.shutdown(SHUTDOWN_GRACE_MS)]);
  }

  status(): Record<string, unknown> {
    const per = (t: 'grpc' | 'http') => ({
      endpoint: (t === 'grpc' ? this.grpc : this.http)?.address,
      requests: this.inst.totals[t].requests,
      failedRequests: this.inst.totals[t].failed,
      receivedBytes: this.inst.totals[t].bytes,
      inFlight: this.inst.inFlight[t],
      openConnections: this.inst.connections[t],
    });
    return {
      state: this.running ? 'listening' : 'stopped',
      ...(this.grpc ? { grpc: per('grpc') } : {}),
      ...(this.http ? { http: { ...per('http'), metricsPath: this.cfg.protocols.http?.metrics_url_path } } : {}),
    };
  }
}

export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  kind: 'receiver',
  type: 'otlp',
  configSchema: otlpReceiverSchema,
  listenAddresses: (c) => [...(c.protocols.grpc ? [c.protocols.grpc.endpoint] : []), ...(c.protocols.http ? [c.protocols.http.endpoint] : [])],
  create: (settings, config, next) => new OtlpReceiver(settings, config, next),
};
