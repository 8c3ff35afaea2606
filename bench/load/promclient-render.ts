/**
 * The W3 reference: prom-client holding the same series the gateway re-exports in W3 (same names, label names and
 * values, bucket layout), timing `Registry.metrics()` (the text rendering a prom-client app does per scrape).
 * Values change between renders, as they would between scrapes.
 *
 *   npx node bench/load/promclient-render.ts [--sum-requests 40] [--hist-requests 5] [--points 1000] [--bounds 9]
 *        [--renders 10]
 *
 * Series: `--sum-requests` x `--points` counters + `--hist-requests` x `--points` histograms x (bounds + 3) lines,
 * labelled as the gateway labels the OTLP data of bench/load/otlp-requests.ts (job, instance + 4 attributes).
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { Latencies, parseArgs, toolIo } from './common.ts';

const ALL_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250];
const LABELS = ['http_request_method', 'http_response_status_code', 'http_route', 'instance', 'job', 'server_address'];

function labels(client: number, variant: number, i: number): Record<string, string> {
  return {
    http_request_method: ['GET', 'POST', 'PUT', 'DELETE'][i % 4]!,
    http_response_status_code: String([200, 201, 404, 500][(i >> 2) % 4]),
    http_route: `/api/v${variant}/items/${i >> 4}`,
    instance: `instance-${client}`,
    job: `bench-app-${client}`,
    server_address: `backend-${client % 10}.svc.cluster.local`,
  };
}

export interface PromClientRig {
  registry: Registry;
  series: number;
  /** Changes every value (what happens between two scrapes). */
  touch(round: number): void;
}

/** Builds a registry with the W3 series. Metrics of 10 per request, as otlp-requests.ts splits them. */
export function buildRegistry(sumRequests: number, histRequests: number, points: number, bounds: number): PromClientRig {
  const registry = new Registry();
  const counters: Counter[] = [];
  const hists: Histogram[] = [];
  for (let m = 0; m < 10; m++) {
    counters.push(new Counter({ name: `app_requests_${m}_total`, help: 'Requests handled.', labelNames: LABELS, registers: [registry] }));
    hists.push(new Histogram({ name: `app_request_duration_${m}_seconds`, help: 'Request latency.', labelNames: LABELS, buckets: ALL_BOUNDS.slice(0, bounds), registers: [registry] }));
  }
  const per = points / 10;
  const sumChildren: Array<ReturnType<Counter['labels']>> = [];
  const histChildren: Array<ReturnType<Histogram['labels']>> = [];
  // Request r of the gateway feed = client 0, variant r; its points i are spread over 10 metrics of `per` points.
  for (let r = 0; r < sumRequests; r++) for (let m = 0; m < 10; m++) for (let i = 0; i < per; i++) sumChildren.push(counters[m]!.labels(labels(0, r, i)));
  for (let r = 0; r < histRequests; r++) for (let m = 0; m < 10; m++) for (let i = 0; i < per; i++) histChildren.push(hists[m]!.labels(labels(0, sumRequests + r, i)));
  const touch = (round: number): void => {
    for (let k = 0; k < sumChildren.length; k++) sumChildren[k]!.inc((k % 7) + 1);
    for (let k = 0; k < histChildren.length; k++) histChildren[k]!.observe(((k + round) % 100) / 200);
  };
  touch(0);
  return { registry, series: sumRequests * points + histRequests * points * (bounds + 3), touch };
}

async function main(): Promise<void> {
  const args = parseArgs();
  const io = toolIo(args, () => undefined);
  const t0 = performance.now();
  const rig = buildRegistry(args.num('sum-requests', 40), args.num('hist-requests', 5), args.num('points', 1000), args.num('bounds', 9));
  const buildMs = performance.now() - t0;
  io.emit('ready', { series: rig.series, buildMs }, `prom-client: ${rig.series} series built in ${buildMs.toFixed(0)} ms`);
  const lat = new Latencies();
  const renders = args.num('renders', 10);
  let bytes = 0;
  let lines = 0;
  let cpuMs = 0;
  for (let k = 1; k <= renders; k++) {
    rig.touch(k);
    const cpu0 = process.cpuUsage();
    const s = performance.now();
    const text = await rig.registry.metrics();
    lat.add(performance.now() - s);
    const c = process.cpuUsage(cpu0);
    cpuMs += (c.user + c.system) / 1000;
    bytes = text.length;
    if (k === 1) lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  }
  const result = { renders, renderMs: lat.summary(), bytes, seriesRendered: lines, cpuMsPerRender: cpuMs / renders, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
  io.emit('done', { result }, `prom-client: ${JSON.stringify(result)}`);
  io.stop();
}

if (import.meta.main) await main();
