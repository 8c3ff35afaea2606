/**
 * OTLP/gRPC load generator: K concurrent clients (one HTTP/2 connection each, as K instrumented services), each
 * sending pre-encoded ExportMetricsServiceRequests of P points (sums + histograms, see otlp-requests.ts) in turn over
 * V variants (distinct series sets). Bounded: stops after `--seconds` or `--max-requests`, whichever comes first.
 *
 *   npx node bench/load/otlp-load.ts --endpoint 127.0.0.1:4317 [--clients 20] [--points 1000] [--hist-share 0.2]
 *        [--bounds 10] [--variants 5] [--seconds 30] [--rate 0] [--inflight 1] [--max-requests 10000000]
 *
 * `--rate 0` (default): closed loop, each client keeps `--inflight` requests outstanding (saturation).
 * `--rate R`: open loop at R points/s in total; a client whose `--inflight` requests are all outstanding when its next
 * slot comes skips that slot (counted as `missed`: the gateway was not keeping up).
 * Counts per gRPC status: OK, refused (RESOURCE_EXHAUSTED, UNAVAILABLE: the gateway pushed back) and failed (others).
 */
import * as grpc from '@grpc/grpc-js';
import { Latencies, parseArgs, sleep, toolIo } from './common.ts';
import { buildRequest, encodeRequest, type RequestShape } from './otlp-requests.ts';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const identity = (b: Buffer): Buffer => b;

/** One OTLP/gRPC client on its own connection, sending raw request bytes. */
export class OtlpGrpcClient {
  private readonly client: grpc.Client;

  constructor(endpoint: string) {
    // A local subchannel pool gives each client its own HTTP/2 connection (grpc-js shares them otherwise).
    this.client = new grpc.Client(endpoint, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
  }

  /** Sends one request; resolves with the gRPC status code (0 = OK). Never rejects. */
  send(body: Buffer, timeoutMs = 10_000): Promise<number> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(EXPORT_PATH, identity, identity, body, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err) =>
        resolve(err ? (err.code ?? grpc.status.UNKNOWN) : 0),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

export interface LoadOptions {
  endpoint: string;
  clients: number;
  shape: RequestShape;
  variants: number;
  seconds: number;
  /** Points/s in total; 0 = closed loop. */
  rate: number;
  inflight: number;
  maxRequests: number;
}

export interface LoadResult {
  options: LoadOptions;
  wallSeconds: number;
  requests: number;
  okRequests: number;
  okPoints: number;
  refused: number;
  failed: number;
  missed: number;
  byStatus: Record<string, number>;
  pointsPerSecond: number;
  offeredPointsPerSecond: number;
  latencyMs: ReturnType<Latencies['summary']>;
}

/** Pre-encodes every client's variants (not timed). */
export function prepare(o: Pick<LoadOptions, 'clients' | 'variants' | 'shape'>): Buffer[][] {
  const now = BigInt(Date.now()) * 1_000_000n;
  return Array.from({ length: o.clients }, (_, c) => Array.from({ length: o.variants }, (_, v) => encodeRequest(buildRequest(c, v, o.shape, 0, now))));
}

/** Runs the load; `progress` sees the running counters about every second. */
export async function runLoad(o: LoadOptions, bodies: Buffer[][] = prepare(o), progress?: (r: LoadResult) => void, stopSignal?: { stopped: boolean }): Promise<LoadResult> {
  const points = o.shape.sums + o.shape.histograms;
  const lat = new Latencies();
  const r: LoadResult = {
    options: o,
    wallSeconds: 0,
    requests: 0,
    okRequests: 0,
    okPoints: 0,
    refused: 0,
    failed: 0,
    missed: 0,
    byStatus: {},
    pointsPerSecond: 0,
    offeredPointsPerSecond: 0,
    latencyMs: lat.summary(),
  };
  const t0 = performance.now();
  const deadline = t0 + o.seconds * 1000;
  const over = (): boolean => performance.now() >= deadline || r.requests >= o.maxRequests || stopSignal?.stopped === true;
  const clients = bodies.map(() => new OtlpGrpcClient(o.endpoint));
  const fin = (r2: LoadResult): LoadResult => {
    r2.wallSeconds = (performance.now() - t0) / 1000;
    r2.pointsPerSecond = r2.okPoints / r2.wallSeconds;
    r2.offeredPointsPerSecond = o.rate > 0 ? o.rate : (r2.requests * points) / r2.wallSeconds;
    r2.latencyMs = lat.summary();
    return r2;
  };
  const tick = setInterval(() => progress?.(fin({ ...r, byStatus: { ...r.byStatus } })), 1000);
  const sendOne = async (c: number, n: number): Promise<void> => {
    const body = bodies[c]![n % bodies[c]!.length]!;
    r.requests++;
    const s = performance.now();
    const code = await clients[c]!.send(body);
    lat.add(performance.now() - s);
    const name = grpc.status[code] ?? String(code);
    r.byStatus[name] = (r.byStatus[name] ?? 0) + 1;
    if (code === 0) {
      r.okRequests++;
      r.okPoints += points;
    } else if (code === grpc.status.RESOURCE_EXHAUSTED || code === grpc.status.UNAVAILABLE) r.refused++;
    else r.failed++;
  };
  const loops = clients.map(async (_, c) => {
    let n = c; // clients start on different variants
    if (o.rate <= 0) {
      const lanes = Array.from({ length: o.inflight }, async () => {
        while (!over()) await sendOne(c, n++);
      });
      await Promise.all(lanes);
      return;
    }
    // Open loop: client c owns every K-th slot of a schedule at `rate / points` requests/s in total.
    const interval = (1000 * points * o.clients) / o.rate;
    let outstanding = 0;
    const pending = new Set<Promise<void>>();
    for (let k = 0; ; k++) {
      const at = t0 + (c / o.clients) * interval + k * interval;
      if (at >= deadline || over()) break;
      const wait = at - performance.now();
      if (wait > 1) await sleep(wait);
      if (outstanding >= o.inflight) {
        r.missed++;
        continue;
      }
      outstanding++;
      const p = sendOne(c, n++).finally(() => {
        outstanding--;
        pending.delete(p);
      });
      pending.add(p);
    }
    await Promise.all(pending);
  });
  await Promise.all(loops);
  clearInterval(tick);
  for (const c of clients) c.close();
  return fin(r);
}

async function main(): Promise<void> {
  const args = parseArgs();
  const points = args.num('points', 1000);
  const share = args.num('hist-share', 0.2);
  const histograms = Math.round(points * share);
  const o: LoadOptions = {
    endpoint: args.str('endpoint', '127.0.0.1:4317'),
    clients: args.num('clients', 20),
    shape: { sums: points - histograms, histograms, bounds: args.num('bounds', 10) },
    variants: args.num('variants', 5),
    seconds: args.num('seconds', 30),
    rate: args.num('rate', 0),
    inflight: args.num('inflight', 1),
    maxRequests: args.num('max-requests', 10_000_000),
  };
  const stopSignal = { stopped: false };
  const io = toolIo(args, () => {
    stopSignal.stopped = true;
  });
  const bodies = prepare(o);
  const bytes = bodies.flat().reduce((a, b) => a + b.length, 0);
  io.emit('ready', { requestBytes: Math.round(bytes / bodies.flat().length) }, `otlp-load: ${o.clients} clients x ${o.variants} variants, ${Math.round(bytes / bodies.flat().length)} bytes per request`);
  const res = await runLoad(o, bodies, (p) => io.emit('stats', { result: p }, `otlp-load: ${Math.round(p.pointsPerSecond)} points/s ok, ${p.refused} refused, ${p.failed} failed`), stopSignal);
  io.emit('done', { result: res }, `otlp-load: ${JSON.stringify(res)}`);
  io.stop();
}

if (import.meta.main) await main();
