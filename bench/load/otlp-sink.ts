/**
 * OTLP metrics sink on 127.0.0.1: gRPC (`MetricsService/Export`, any grpc-js compression) and HTTP (`POST
 * /v1/metrics`, protobuf, gzip or not). Counts requests, bytes and data points per metric type with a protobuf walk
 * (no decoding into objects) and answers an empty ExportMetricsServiceResponse. OTLP/JSON bodies are counted as
 * requests only (`jsonRequests`).
 *
 *   npx node bench/load/otlp-sink.ts [--grpc-port 0] [--http-port 0] [--max-seconds 900]
 */
import * as grpc from '@grpc/grpc-js';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { parseArgs, toolIo, Wire } from './common.ts';

export interface OtlpTotals {
  requests: number;
  bad: number;
  jsonRequests: number;
  bytes: number;
  points: number;
  gauge: number;
  sum: number;
  histogram: number;
  exponentialHistogram: number;
  summary: number;
}

export function newOtlpTotals(): OtlpTotals {
  return { requests: 0, bad: 0, jsonRequests: 0, bytes: 0, points: 0, gauge: 0, sum: 0, histogram: 0, exponentialHistogram: 0, summary: 0 };
}

/** Metric field number -> totals key (Metric{5: gauge, 7: sum, 9: histogram, 10: exponential_histogram, 11: summary}). */
const DATA_FIELDS: Record<number, keyof OtlpTotals> = { 5: 'gauge', 7: 'sum', 9: 'histogram', 10: 'exponentialHistogram', 11: 'summary' };

/** Calls `fn` with the [start, end) of every length-delimited field number `field` in [start, end). */
function each(buf: Uint8Array, start: number, end: number, field: number, fn: (s: number, e: number) => void): void {
  const w = new Wire(buf, start, end);
  while (w.pos < end) {
    const key = w.varint();
    if (key >>> 3 === field && (key & 7) === 2) {
      const [s, e] = w.bytes();
      fn(s, e);
    } else w.skip(key & 7);
  }
}

/** ExportMetricsServiceRequest{1: ResourceMetrics{2: ScopeMetrics{2: Metric{5|7|9|10|11: {1: point}}}}}. */
export function countExportRequest(buf: Uint8Array, t: OtlpTotals): void {
  each(buf, 0, buf.length, 1, (rs, re) =>
    each(buf, rs, re, 2, (ss, se) =>
      each(buf, ss, se, 2, (ms, me) => {
        const w = new Wire(buf, ms, me);
        while (w.pos < me) {
          const key = w.varint();
          const kind = DATA_FIELDS[key >>> 3];
          if (kind !== undefined && (key & 7) === 2) {
            const [ds, de] = w.bytes();
            let n = 0;
            each(buf, ds, de, 1, () => n++);
            t.points += n;
            (t[kind] as number) += n;
          } else w.skip(key & 7);
        }
      }),
    ),
  );
}

const identity = (b: Buffer): Buffer => b;
const EMPTY = Buffer.alloc(0);

async function main(): Promise<void> {
  const args = parseArgs();
  const statsMs = args.num('stats-ms', 1000);
  const totals = newOtlpTotals();
  const count = (body: Buffer): boolean => {
    totals.requests++;
    totals.bytes += body.length;
    try {
      countExportRequest(body, totals);
      return true;
    } catch (err) {
      totals.bad++;
      process.stderr.write(`otlp-sink: bad request: ${(err as Error).message}\n`);
      return false;
    }
  };

  const grpcServer = new grpc.Server({ 'grpc.max_receive_message_length': 64 << 20, 'grpc.so_reuseport': 0 });
  grpcServer.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
        originalName: 'export',
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        if (count(call.request)) cb(null, EMPTY);
        else cb({ code: grpc.status.INVALID_ARGUMENT, details: 'undecodable' });
      },
    },
  );
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(`127.0.0.1:${args.num('grpc-port', 0)}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );

  const httpServer = http.createServer((req, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/metrics')) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (String(req.headers['content-type'] ?? '').includes('json')) {
        totals.requests++;
        totals.jsonRequests++;
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
        return;
      }
      try {
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      } catch {
        totals.bad++;
        res.writeHead(400).end();
        return;
      }
      const ok = count(body);
      res.writeHead(ok ? 200 : 400, { 'Content-Type': 'application/x-protobuf' }).end(EMPTY);
    });
  });
  httpServer.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(args.num('http-port', 0), '127.0.0.1', () => resolve());
  });
  const a = httpServer.address();
  const httpPort = typeof a === 'object' && a ? a.port : 0;

  const io = toolIo(args, async () => {
    clearInterval(timer);
    io.emit('done', { totals }, `otlp-sink: ${JSON.stringify(totals)}`);
    grpcServer.forceShutdown();
    httpServer.closeAllConnections();
    await new Promise((r) => httpServer.close(r));
  });
  io.onCommand('stats', () => io.emit('stats', { totals }));
  const timer = setInterval(() => io.emit('stats', { totals }, `otlp-sink: ${totals.points} points, ${totals.requests} requests`), statsMs);
  timer.unref();
  io.emit('ready', { grpcPort, httpPort, grpc: `127.0.0.1:${grpcPort}`, http: `http://127.0.0.1:${httpPort}` }, `otlp-sink: gRPC 127.0.0.1:${grpcPort}, HTTP http://127.0.0.1:${httpPort}/v1/metrics`);
}

if (import.meta.main) await main();
