/**
 * A test OTLP server (gRPC + HTTP) built on our codec: records every request it accepts (decoded MetricsData, headers,
 * transport, encoding) and can be scripted to fail: `faults` are consumed one per request (HTTP status with
 * Retry-After, gRPC code with RetryInfo, partial success, delay) before it answers success again.
 * `stop()` / `start()` again on the same ports simulate an outage.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { gunzipSync, inflateSync, zstdDecompressSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import {
  decodeExportMetricsRequest,
  decodeExportMetricsRequestJson,
  encodeExportMetricsResponse,
  encodeExportMetricsResponseJson,
  encodeRpcStatus,
  encodeRpcStatusJson,
  retryInfoDetail,
} from '../../src/codec/otlp/index.ts';
import type { MetricsData } from '../../src/model/types.ts';
import { freePorts } from '../helpers/ports.ts';

export interface Fault {
  http?: { status: number; retryAfter?: string; message?: string };
  grpc?: { code: number; message?: string; retryDelaySeconds?: number };
  partial?: { rejected: number; message: string };
  delayMs?: number;
}

export interface Received {
  md: MetricsData;
  headers: Record<string, string>;
  transport: 'grpc' | 'http';
  encoding: 'proto' | 'json';
  contentEncoding: string;
  at: number;
}

export class OtlpSink {
  received: Received[] = [];
  attempts: Array<{ transport: string; at: number; outcome: string }> = [];
  faults: Fault[] = [];
  /** Added to every answer (a slow server). */
  delayMs = 0;
  httpPort = 0;
  grpcPort = 0;
  private http: Server | undefined;
  private grpcServer: grpc.Server | undefined;

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }
  get grpcAddress(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  async start(): Promise<this> {
    if (this.httpPort === 0) [this.httpPort, this.grpcPort] = (await freePorts(2)) as [number, number];
    this.http = createServer((req, res) => void this.onHttp(req, res));
    await new Promise<void>((r) => this.http!.listen(this.httpPort, '127.0.0.1', () => r()));
    const s = new grpc.Server();
    const id = (b: Buffer) => b;
    s.addService(
      { Export: { path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } },
      { Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => void this.onGrpc(call, cb) },
    );
    await new Promise<void>((resolve, reject) => s.bindAsync(this.grpcAddress, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    this.grpcServer = s;
    return this;
  }

  async stop(): Promise<void> {
    const h = this.http;
    this.http = undefined;
    if (h) {
      h.closeAllConnections();
      await new Promise<void>((r) => h.close(() => r()));
    }
    this.grpcServer?.forceShutdown();
    this.grpcServer = undefined;
  }

  private async nextFault(): Promise<Fault | undefined> {
    const f = this.faults.shift();
    const delay = (f?.delayMs ?? 0) + this.delayMs;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    return f;
  }

  private async onHttp(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    const ce = String(req.headers['content-encoding'] ?? '');
    if (ce === 'gzip') body = gunzipSync(body);
    else if (ce === 'deflate') body = inflateSync(body);
    else if (ce === 'zstd') body = zstdDecompressSync(body);
    const json = String(req.headers['content-type']).startsWith('application/json');
    const f = await this.nextFault();
    if (f?.http) {
      this.attempts.push({ transport: 'http', at: Date.now(), outcome: String(f.http.status) });
      res.statusCode = f.http.status;
      if (f.http.retryAfter !== undefined) res.setHeader('Retry-After', f.http.retryAfter);
      res.setHeader('Content-Type', json ? 'application/json' : 'application/x-protobuf');
      const st = { code: 14, message: f.http.message ?? `sink says ${f.http.status}` };
      return void res.end(json ? encodeRpcStatusJson(st) : encodeRpcStatus(st));
    }
    const md = json ? decodeExportMetricsRequestJson(body.toString('utf8')) : decodeExportMetricsRequest(body);
    this.attempts.push({ transport: 'http', at: Date.now(), outcome: 'ok' });
    this.received.push({ md, headers: flat(req.headers), transport: 'http', encoding: json ? 'json' : 'proto', contentEncoding: ce, at: Date.now() });
    const ps = f?.partial ? { rejectedDataPoints: f.partial.rejected, errorMessage: f.partial.message } : undefined;
    res.setHeader('Content-Type', json ? 'application/json' : 'application/x-protobuf');
    res.end(json ? encodeExportMetricsResponseJson(ps) : encodeExportMetricsResponse(ps));
  }

  private async onGrpc(call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): Promise<void> {
    const f = await this.nextFault();
    if (f?.grpc) {
      this.attempts.push({ transport: 'grpc', at: Date.now(), outcome: grpc.status[f.grpc.code] ?? String(f.grpc.code) });
      const metadata = new grpc.Metadata();
      const message = f.grpc.message ?? `sink says ${grpc.status[f.grpc.code]}`;
      if (f.grpc.retryDelaySeconds !== undefined) {
        metadata.set('grpc-status-details-bin', Buffer.from(encodeRpcStatus({ code: f.grpc.code, message, details: [retryInfoDetail(f.grpc.retryDelaySeconds)] })));
      }
      return cb({ code: f.grpc.code, details: message, metadata });
    }
    const md = decodeExportMetricsRequest(call.request);
    this.attempts.push({ transport: 'grpc', at: Date.now(), outcome: 'ok' });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) headers[k] = String(v);
    this.received.push({ md, headers, transport: 'grpc', encoding: 'proto', contentEncoding: String(call.metadata.get('grpc-encoding')[0] ?? ''), at: Date.now() });
    const ps = f?.partial ? { rejectedDataPoints: f.partial.rejected, errorMessage: f.partial.message } : undefined;
    cb(null, Buffer.from(encodeExportMetricsResponse(ps)));
  }
}

function flat(h: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}
