/**
 * W3: /metrics re-export. The gateway holds 100k Prometheus series fed over OTLP/gRPC (40 requests of 1000 sums + 5
 * of 1000 histograms with 9 bounds = 40k + 5k x 12 lines; refreshed with new values every `--feed-every` seconds) in
 * its `prometheus` exporter, scraped every second for `--seconds` by the scraper (bench/load/scraper.ts, a separate
 * process). In the same run, prom-client holding the same series (bench/load/promclient-render.ts) renders them
 * `--renders` times: the reference.
 *
 *   npx node bench/macro/w3.ts [--seconds 30] [--feed-every 5] [--renders 10] [--sum-requests 40] [--hist-requests 5]
 *        [--profile]
 *
 * Reports the scrape time (request to last byte, client side) p50/p99, the gateway's CPU per scrape (its CPU over the
 * window, feeding included, / scrapes), peak RSS, loop lag p99, and prom-client's render time; the ratio is
 * gateway scrape p50 / prom-client render p50 (goal: at most 0.5).
 */
import { freePort, parseArgs, sleep } from '../load/common.ts';
import { OtlpGrpcClient } from '../load/otlp-load.ts';
import { buildRequest, encodeRequest, promSeriesPerRequest, type RequestShape } from '../load/otlp-requests.ts';
import type { ScrapeSummary } from '../load/scraper.ts';
import { Gateway } from './gateway.ts';
import { Tool } from './proc.ts';
import { MachineLoad, MiB, fmt, machineLine, printTable, writeResult } from './report.ts';
import { topFrames, topInclusive, type Frame } from './profile.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface W3Options {
  seconds: number;
  feedEverySeconds: number;
  renders: number;
  sumRequests: number;
  histRequests: number;
  bounds: number;
  /** Run the gateway with --cpu-prof into this folder. */
  profileDir?: string;
}

export interface W3Result {
  options: W3Options;
  seriesOffered: number;
  seriesScraped: number;
  scrapeBytes: number;
  scrapes: number;
  failedScrapes: number;
  scrapeMs: { p50: number; p99: number; max: number; mean: number };
  gatewayCpuMsPerScrape: number;
  gatewayCoreShare: number;
  peakRssMiB: number;
  loopLagP99Ms: number;
  feedMs: number;
  promClient?: { series: number; renderMs: { p50: number; p99: number; mean: number }; cpuMsPerRender: number; peakRssMiB: number };
  ratio?: number;
  machineBusyShare: number;
  loadavgEnd: number[];
  profile?: { file: string; top: Frame[]; inclusive: Frame[] };
}

/** The feed: one request per variant (client 0); sums first, then histograms. */
function feed(o: W3Options, step: number): Buffer[] {
  const sums: RequestShape = { sums: 1000, histograms: 0, bounds: o.bounds };
  const hist: RequestShape = { sums: 0, histograms: 1000, bounds: o.bounds };
  const now = BigInt(Date.now()) * 1_000_000n;
  const out: Buffer[] = [];
  for (let r = 0; r < o.sumRequests; r++) out.push(encodeRequest(buildRequest(0, r, sums, step, now)));
  for (let r = 0; r < o.histRequests; r++) out.push(encodeRequest(buildRequest(0, o.sumRequests + r, hist, step, now)));
  return out;
}

async function send(client: OtlpGrpcClient, bodies: Buffer[]): Promise<number> {
  const t0 = performance.now();
  for (const b of bodies) {
    const code = await client.send(b, 30_000);
    if (code !== 0) throw new Error(`feed refused with gRPC status ${code}`);
  }
  return performance.now() - t0;
}

export async function runW3(o: W3Options): Promise<W3Result> {
  const grpcPort = await freePort();
  const promPort = await freePort();
  const gw = await Gateway.start({
    config: {
      receivers: { otlp: { protocols: { grpc: { endpoint: `127.0.0.1:${grpcPort}`, max_recv_msg_size_mib: 16 } } } },
      exporters: { prometheus: { endpoint: `127.0.0.1:${promPort}` } },
      service: { pipelines: { metrics: { receivers: ['otlp'], exporters: ['prometheus'] } } },
    },
    ...(o.profileDir ? { cpuProfDir: o.profileDir } : {}),
  });
  let result: W3Result | undefined;
  const client = new OtlpGrpcClient(`127.0.0.1:${grpcPort}`);
  const url = `http://127.0.0.1:${promPort}/metrics`;
  let scraper: Tool | undefined;
  try {
    let step = 0;
    const feedMs = await send(client, feed(o, step++));
    // Warm-up: a few scrapes (JIT, caches).
    const warm = new Tool('scraper.ts', ['--url', url, '--interval-ms', '1000', '--seconds', '3'], { maxSeconds: 120 });
    await warm.next('done');
    await warm.stop();
    const load = new MachineLoad();
    const stop = { stopped: false };
    const feeding = (async () => {
      while (!stop.stopped) {
        await sleep(o.feedEverySeconds * 1000);
        if (!stop.stopped) await send(client, feed(o, step++));
      }
    })();
    scraper = new Tool('scraper.ts', ['--url', url, '--interval-ms', '1000', '--seconds', String(o.seconds)], { maxSeconds: o.seconds + 120 });
    await scraper.ready;
    const done = scraper.next('done');
    load.start();
    gw.startLagSampling(5000);
    const c0 = gw.proc.cpu();
    const t0 = performance.now();
    const s = (await done)['result'] as ScrapeSummary;
    const cpu = gw.proc.cpu() - c0;
    const wall = (performance.now() - t0) / 1000;
    const lag = gw.stopLagSampling();
    const busy = load.end();
    stop.stopped = true;
    await feeding;
    const r: W3Result = {
      options: o,
      seriesOffered: o.sumRequests * promSeriesPerRequest({ sums: 1000, histograms: 0, bounds: o.bounds }) + o.histRequests * promSeriesPerRequest({ sums: 0, histograms: 1000, bounds: o.bounds }),
      seriesScraped: s.lastSeries,
      scrapeBytes: s.lastBytes,
      scrapes: s.scrapes,
      failedScrapes: s.failed,
      scrapeMs: { p50: s.totalMs.p50, p99: s.totalMs.p99, max: s.totalMs.max, mean: s.totalMs.mean },
      gatewayCpuMsPerScrape: (cpu * 1000) / Math.max(1, s.ok),
      gatewayCoreShare: cpu / wall,
      peakRssMiB: gw.proc.memory().peakRss / MiB,
      loopLagP99Ms: lag.p99Max * 1000,
      feedMs,
      machineBusyShare: busy.busyShare,
      loadavgEnd: busy.loadavg,
    };
    // The reference, same run, while the gateway sits idle.
    const pc = new Tool('promclient-render.ts', ['--sum-requests', String(o.sumRequests), '--hist-requests', String(o.histRequests), '--bounds', String(o.bounds), '--renders', String(o.renders)], { maxSeconds: 600 });
    const pcReady = await pc.ready;
    const pcDone = (await pc.next('done'))['result'] as { renderMs: { p50: number; p99: number; mean: number }; cpuMsPerRender: number; peakRssMiB: number };
    await pc.stop();
    r.promClient = { series: pcReady['series'] as number, renderMs: { p50: pcDone.renderMs.p50, p99: pcDone.renderMs.p99, mean: pcDone.renderMs.mean }, cpuMsPerRender: pcDone.cpuMsPerRender, peakRssMiB: pcDone.peakRssMiB };
    r.ratio = r.scrapeMs.p50 / pcDone.renderMs.p50;
    result = r;
  } finally {
    await scraper?.stop();
    client.close();
    const files = await gw.stop(o.profileDir);
    const f = files.at(-1);
    if (f && result) result.profile = { file: f, top: topFrames(f, 15), inclusive: topInclusive(f, 15) };
  }
  return result;
}

export function printW3(r: W3Result): void {
  printTable([
    ['', 'series', 'time p50 ms', 'time p99 ms', 'CPU ms each', 'peak RSS MiB', 'lag p99 ms'],
    ['gateway scrape (HTTP, client side)', r.seriesScraped, r.scrapeMs.p50, r.scrapeMs.p99, r.gatewayCpuMsPerScrape, r.peakRssMiB, r.loopLagP99Ms],
    ...(r.promClient ? [['prom-client Registry.metrics()', r.promClient.series, r.promClient.renderMs.p50, r.promClient.renderMs.p99, r.promClient.cpuMsPerRender, r.promClient.peakRssMiB, '-']] : []),
  ]);
  if (r.ratio !== undefined) console.log(`\ngateway scrape / prom-client render (p50): ${fmt(r.ratio)} (goal <= 0.5); ${r.scrapes} scrapes, ${r.failedScrapes} failed, ${fmt(r.scrapeBytes / MiB)} MiB each`);
}

async function main(): Promise<void> {
  const args = parseArgs();
  const o: W3Options = {
    seconds: args.num('seconds', Number(process.env['BENCH_SECONDS'] ?? 30)),
    feedEverySeconds: args.num('feed-every', 5),
    renders: args.num('renders', 10),
    sumRequests: args.num('sum-requests', 40),
    histRequests: args.num('hist-requests', 5),
    bounds: args.num('bounds', 9),
    ...(args.bool('profile') ? { profileDir: mkdtempSync(join(tmpdir(), 'otel-bridge-w3-prof-')) } : {}),
  };
  console.log(machineLine());
  console.log(`W3: /metrics re-export of ${o.sumRequests + o.histRequests} x 1000 OTLP points (~100k series) scraped every second for ${o.seconds} s; prom-client reference in the same run\n`);
  const r = await runW3(o);
  printW3(r);
  if (r.profile) console.log(`\nprofile ${r.profile.file}, top self time:\n${r.profile.top.map((f) => `  ${fmt(f.selfShare * 100)}%  ${f.name}  ${f.where}`).join('\n')}`);
  console.log(`\n${writeResult('w3', r)}`);
}

if (import.meta.main) await main();
