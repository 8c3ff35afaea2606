/**
 * /metrics scraper: GETs a URL every `--interval-ms` for `--seconds` (one scrape at a time, as Prometheus; a scrape
 * still running when the next is due delays it), and measures each response: time to the first byte, time to the
 * whole body, bytes, and series (non-comment, non-empty lines).
 *
 *   npx node bench/load/scraper.ts --url http://127.0.0.1:9464/metrics [--interval-ms 1000] [--seconds 30]
 *        [--timeout-ms 10000] [--accept text/plain;version=0.0.4]
 */
import http from 'node:http';
import { Latencies, parseArgs, sleep, toolIo } from './common.ts';

export interface ScrapeResult {
  status: number;
  ttfbMs: number;
  totalMs: number;
  bytes: number;
  series: number;
  error?: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function countSeries(body: Buffer): number {
  let n = 0;
  let lineStart = true;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (lineStart && c !== 0x23 /* # */ && c !== 0x0a) n++;
    lineStart = c === 0x0a;
  }
  return n;
}

/** One scrape, timed from the request start. Never rejects. */
export function scrapeOnce(url: string, timeoutMs = 10_000, accept = 'text/plain;version=0.0.4'): Promise<ScrapeResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let ttfb = NaN;
    const req = http.get(url, { agent, timeout: timeoutMs, headers: { Accept: accept } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (Number.isNaN(ttfb)) ttfb = performance.now() - t0;
        chunks.push(c);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, ttfbMs: ttfb, totalMs: performance.now() - t0, bytes: body.length, series: countSeries(body) });
      });
      res.on('error', (err) => resolve({ status: 0, ttfbMs: ttfb, totalMs: performance.now() - t0, bytes: 0, series: 0, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, ttfbMs: NaN, totalMs: performance.now() - t0, bytes: 0, series: 0, error: err.message }));
  });
}

export interface ScrapeSummary {
  scrapes: number;
  ok: number;
  failed: number;
  lastSeries: number;
  lastBytes: number;
  totalMs: ReturnType<Latencies['summary']>;
  ttfbMs: ReturnType<Latencies['summary']>;
  errors: string[];
}

/** Scrapes `url` every `intervalMs` until `seconds` pass, `maxScrapes` are done, or `stop.stopped`. */
export async function scrapeLoop(url: string, intervalMs: number, seconds: number, opts: { timeoutMs?: number; maxScrapes?: number; stop?: { stopped: boolean }; accept?: string } = {}): Promise<ScrapeSummary> {
  const total = new Latencies();
  const ttfb = new Latencies();
  const s: ScrapeSummary = { scrapes: 0, ok: 0, failed: 0, lastSeries: 0, lastBytes: 0, totalMs: total.summary(), ttfbMs: ttfb.summary(), errors: [] };
  const end = performance.now() + seconds * 1000;
  const max = opts.maxScrapes ?? 1_000_000;
  let next = performance.now();
  while (performance.now() < end && s.scrapes < max && !opts.stop?.stopped) {
    const r = await scrapeOnce(url, opts.timeoutMs, opts.accept);
    s.scrapes++;
    if (r.status === 200) {
      s.ok++;
      total.add(r.totalMs);
      ttfb.add(r.ttfbMs);
      s.lastSeries = r.series;
      s.lastBytes = r.bytes;
    } else {
      s.failed++;
      if (s.errors.length < 5) s.errors.push(r.error ?? `HTTP ${r.status}`);
    }
    next += intervalMs;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    else next = performance.now();
  }
  s.totalMs = total.summary();
  s.ttfbMs = ttfb.summary();
  return s;
}

async function main(): Promise<void> {
  const args = parseArgs();
  const url = args.str('url', 'http://127.0.0.1:9464/metrics');
  const stop = { stopped: false };
  const io = toolIo(args, () => {
    stop.stopped = true;
  });
  io.emit('ready', { url }, `scraper: ${url}`);
  const res = await scrapeLoop(url, args.num('interval-ms', 1000), args.num('seconds', 30), {
    timeoutMs: args.num('timeout-ms', 10_000),
    stop,
    accept: args.str('accept', 'text/plain;version=0.0.4'),
  });
  io.emit('done', { result: res }, `scraper: ${JSON.stringify(res)}`);
  agent.destroy();
  io.stop();
}

if (import.meta.main) await main();
