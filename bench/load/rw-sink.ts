/**
 * Remote-write sink on 127.0.0.1: decodes snappy-compressed protobuf (RW 1.0 `prometheus.WriteRequest`) and counts
 * requests, series, samples, native histograms and bytes, without building objects (a protobuf walk).
 * Samples are also split by what they are, so a workload can compare what it offered with what arrived:
 * `appSamples` (metric name starting with `--app-prefix`, default "app_", value not a stale marker), `staleSamples`
 * (Prometheus StaleNaN), and the rest (synthetic series: up, scrape_*; target_info).
 * RW 2.0 requests are answered 415 so the sender falls back to 1.0.
 *
 *   npx node bench/load/rw-sink.ts [--port 0] [--max-seconds 900] [--delay-ms 0]
 *   POST http://127.0.0.1:<port>/api/v1/write
 *
 * `--delay-ms` holds every answer that long (a slow backend).
 */
import http from 'node:http';
import snappy from 'snappy';
import { parseArgs, toolIo, Wire } from './common.ts';

export interface RwTotals {
  requests: number;
  bad: number;
  series: number;
  samples: number;
  appSamples: number;
  staleSamples: number;
  histograms: number;
  bytes: number;
  uncompressedBytes: number;
}

export function newRwTotals(): RwTotals {
  return { requests: 0, bad: 0, series: 0, samples: 0, appSamples: 0, staleSamples: 0, histograms: 0, bytes: 0, uncompressedBytes: 0 };
}

const NAME = Buffer.from('__name__');
const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;

function equalsAt(buf: Uint8Array, start: number, end: number, want: Uint8Array): boolean {
  if (end - start !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (buf[start + i] !== want[i]) return false;
  return true;
}

function startsWithAt(buf: Uint8Array, start: number, end: number, prefix: Uint8Array): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}

/** Label{1: name, 2: value}: true when it is __name__ with a value starting with `prefix`. */
function isAppName(buf: Uint8Array, start: number, end: number, prefix: Uint8Array): boolean {
  const w = new Wire(buf, start, end);
  let isName = false;
  let value: [number, number] | undefined;
  while (w.pos < end) {
    const key = w.varint();
    const f = key >>> 3;
    if (f === 1 && (key & 7) === 2) {
      const [s, e] = w.bytes();
      isName = equalsAt(buf, s, e, NAME);
    } else if (f === 2 && (key & 7) === 2) value = w.bytes();
    else w.skip(key & 7);
  }
  return isName && value !== undefined && startsWithAt(buf, value[0], value[1], prefix);
}

/** Sample{1: double value, 2: int64 timestamp}: true when the value is Prometheus' StaleNaN. */
function isStale(buf: Uint8Array, start: number, end: number): boolean {
  const w = new Wire(buf, start, end);
  while (w.pos < end) {
    const key = w.varint();
    if (key === 0x09) {
      const dv = new DataView(buf.buffer, buf.byteOffset + w.pos, 8);
      return dv.getUint32(4, true) === STALE_HI && dv.getUint32(0, true) === STALE_LO;
    }
    w.skip(key & 7);
  }
  return false;
}

/** Counts one decoded WriteRequest{1: TimeSeries{1: Label, 2: Sample, 4: Histogram}} into `t`. */
export function countWriteRequest(buf: Uint8Array, t: RwTotals, appPrefix: Uint8Array): void {
  const w = new Wire(buf);
  while (w.pos < w.end) {
    const key = w.varint();
    if (key >>> 3 !== 1 || (key & 7) !== 2) {
      w.skip(key & 7);
      continue;
    }
    const [s, e] = w.bytes();
    t.series++;
    const ts = new Wire(buf, s, e);
    let app = false;
    while (ts.pos < e) {
      const k2 = ts.varint();
      const f2 = k2 >>> 3;
      if (f2 === 1 && (k2 & 7) === 2) {
        const [ls, le] = ts.bytes();
        if (!app && isAppName(buf, ls, le, appPrefix)) app = true;
      } else if (f2 === 2 && (k2 & 7) === 2) {
        const [ss, se] = ts.bytes();
        t.samples++;
        // Labels come before samples in every encoder we know of (the spec orders fields).
        if (isStale(buf, ss, se)) t.staleSamples++;
        else if (app) t.appSamples++;
      } else if (f2 === 4) {
        t.histograms++;
        ts.skip(k2 & 7);
      } else ts.skip(k2 & 7);
    }
  }
}

async function main(): Promise<void> {
  const args = parseArgs();
  const port = args.num('port', 0);
  const delayMs = args.num('delay-ms', 0);
  const statsMs = args.num('stats-ms', 1000);
  const appPrefix = Buffer.from(args.str('app-prefix', 'app_'));
  const totals = newRwTotals();
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    if (String(req.headers['content-type'] ?? '').includes('io.prometheus.write.v2')) {
      req.resume();
      res.writeHead(415).end('remote write 2.0 not supported by this sink');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      totals.requests++;
      totals.bytes += body.length;
      let status = 204;
      try {
        const raw = snappy.uncompressSync(body, { asBuffer: true }) as Buffer;
        totals.uncompressedBytes += raw.length;
        countWriteRequest(raw, totals, appPrefix);
      } catch (err) {
        totals.bad++;
        status = 400;
        process.stderr.write(`rw-sink: bad request: ${(err as Error).message}\n`);
      }
      const answer = (): void => void res.writeHead(status).end();
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  const io = toolIo(args, async () => {
    clearInterval(timer);
    io.emit('done', { totals }, `rw-sink: ${JSON.stringify(totals)}`);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  io.onCommand('stats', () => io.emit('stats', { totals }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const a = server.address();
  const bound = typeof a === 'object' && a ? a.port : 0;
  const timer = setInterval(() => io.emit('stats', { totals }, `rw-sink: ${totals.samples} samples, ${totals.series} series, ${totals.requests} requests`), statsMs);
  timer.unref();
  io.emit('ready', { port: bound, url: `http://127.0.0.1:${bound}/api/v1/write` }, `rw-sink on http://127.0.0.1:${bound}/api/v1/write`);
}

if (import.meta.main) await main();
