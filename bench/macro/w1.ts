/**
 * W1: scrape N targets x M series every I seconds -> metric relabel (drop one slice, add a label) -> remote write, the
 * workload of ../shared/bench/peers.sh, run for the gateway and, back to back on the same farm and sink, for vmagent
 * and Prometheus in agent mode (Debian's binaries, via test/helpers/peers.ts).
 *
 *   npx node bench/macro/w1.ts [--peers gateway,vmagent,prometheus-agent] [--targets 100] [--series 1000]
 *        [--interval 2] [--seconds 40] [--repeat 1] [--profile] [--heap-snapshot]
 *
 * `--repeat N` runs N rounds of all programs back to back (interleaved) and prints the median and range.
 * The gateway's exporter runs with `without_scope_info: true`: every program then writes the same label sets (those
 * Prometheus writes). Peer `gateway-scope` keeps the exporter's default otel_scope_name/version labels (+44% request
 * bytes before compression, 211 vs 147 per sample in session 6); `gateway-relabel20` adds a relabel processor of 20 rules.
 * `--profile` / `--heap-snapshot`: the gateway's first run with --cpu-prof (top frames printed) / a heap snapshot after
 * the window (summarise it with bench/macro/heap.ts).
 * Per program: samples/s delivered, CPU-seconds (user + sys of the measured process) per 1M samples delivered, share
 * of a core, peak RSS (VmHWM), event-loop lag p99 (gateway), and delivery: after the window the targets are paused
 * (they answer 503) and once the sink is quiet the app samples it received (stale markers excluded) are compared
 * with what the targets served (scrapes x series kept by the relabel rule).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, sleep, freePort } from '../load/common.ts';
import type { FarmStats } from '../load/targets.ts';
import { newRwTotals, type RwTotals } from '../load/rw-sink.ts';
import { prometheus, vmagent } from '../../test/helpers/peers.ts';
import { Gateway, sumOf } from './gateway.ts';
import { Measured, Tool, waitHttp } from './proc.ts';
import { MachineLoad, MiB, fmt, machineLine, printTable, writeResult } from './report.ts';
import { topFrames, type Frame } from './profile.ts';

export type Peer = 'gateway' | 'vmagent' | 'prometheus-agent';

export interface W1Options {
  peer: Peer;
  targets: number;
  series: number;
  intervalS: number;
  measureS: number;
  profileDir?: string;
  /** Scrape intervals before the window (default 5, as peers.sh). */
  warmupIntervals?: number;
  /** Pause the farm after the window and compare totals (default true; W4 turns it off: it drops its inputs). */
  deliveryCheck?: boolean;
  /** Gateway only: take a heap snapshot after the window into this folder. */
  heapSnapshotDir?: string;
  /** Gateway only: processors put between the receiver and the exporter, in order (W4 uses this). */
  processors?: Record<string, unknown>;
  /**
   * Gateway only: keep the exporter's default otel_scope_name/otel_scope_version labels (the `gateway-scope` peer).
   * Off by default (`without_scope_info: true`), so the gateway writes the label sets vmagent and Prometheus write.
   */
  scopeLabels?: boolean;
}

export interface W1Result {
  peer: Peer;
  targets: number;
  seriesPerTarget: number;
  activeSeries: number;
  intervalS: number;
  measureS: number;
  scrapedSamplesPerSecond: number;
  /** Samples/s the sink received over the window (as peers.sh measures; moves with send bursts at the edges). */
  samplesPerSecond: number;
  cpuSeconds: number;
  /**
   * CPU-seconds per 1M samples, counted at the farm: scrapes answered in the window x series kept by the relabel
   * rule (synthetic series left out, so every program has the same basis; send bursts do not move it).
   */
  cpuSecondsPerMillion: number;
  /** CPU-seconds per 1M samples the sink received in the window (peers.sh's figure). */
  cpuSecondsPerMillionDelivered: number;
  coreShare: number;
  peakRssMiB: number;
  rssEndMiB: number;
  /** Gateway: V8 heap in use / reserved at the end of the window (self-metrics). */
  heapUsedMiB?: number;
  heapTotalMiB?: number;
  loopLagP99Ms?: { max: number; median: number; windows: number };
  delivery: { offeredAppSamples: number; deliveredAppSamples: number; ratio: number; staleMarkers: number; badRequests: number };
  /** Remote-write requests and compressed bytes the sink received over the window. */
  sinkWindow: { requests: number; bytes: number; uncompressedBytes: number; samplesPerRequest: number };
  gatewayCounters?: Record<string, number>;
  machineBusyShare: number;
  loadavgEnd: number[];
  profile?: { file: string; top: Frame[] };
  heapSnapshot?: string;
  error?: string;
}

/** The scrape job of peers.sh (Prometheus syntax), for `targets` addresses. */
export function scrapeJob(addresses: string[], intervalS: number): Record<string, unknown> {
  return {
    job_name: 'bench',
    scrape_interval: `${intervalS}s`,
    scrape_timeout: `${intervalS}s`,
    static_configs: [{ targets: addresses, labels: { cluster: 'bench' } }],
    metric_relabel_configs: [
      { source_labels: ['__name__', 'shard'], regex: 'app_queue_depth_.*;0', action: 'drop' },
      { target_label: 'region', replacement: 'eu-1' },
    ],
  };
}

async function startPeer(o: W1Options, addresses: string[], sinkUrl: string, dir: string): Promise<{ proc: Measured; gw?: Gateway }> {
  const job = scrapeJob(addresses, o.intervalS);
  if (o.peer === 'gateway') {
    const processors = o.processors ?? {};
    const gw = await Gateway.start({
      config: {
        receivers: { prometheus: { config: { scrape_configs: [job] } } },
        ...(Object.keys(processors).length > 0 ? { processors } : {}),
        exporters: { prometheusremotewrite: { endpoint: sinkUrl, without_scope_info: !o.scopeLabels } },
        service: { pipelines: { metrics: { receivers: ['prometheus'], processors: Object.keys(processors), exporters: ['prometheusremotewrite'] } } },
      },
      ...(o.profileDir ? { cpuProfDir: o.profileDir } : {}),
      ...(o.heapSnapshotDir ? { heapSnapshotDir: o.heapSnapshotDir } : {}),
    });
    return { proc: gw.proc, gw };
  }
  const port = await freePort();
  const promYml = join(dir, 'prom.yml');
  const { stringify } = await import('yaml');
  if (o.peer === 'vmagent') {
    writeFileSync(promYml, stringify({ scrape_configs: [job] }));
    const proc = new Measured(
      vmagent(),
      [`-promscrape.config=${promYml}`, `-remoteWrite.url=${sinkUrl}`, `-remoteWrite.tmpDataPath=${join(dir, 'vmagent')}`, `-httpListenAddr=127.0.0.1:${port}`, '-loggerLevel=ERROR'],
      join(dir, 'peer.log'),
    );
    await waitHttp(`http://127.0.0.1:${port}/metrics`, 30_000, () => proc.running);
    return { proc };
  }
  writeFileSync(promYml, stringify({ scrape_configs: [job], remote_write: [{ url: sinkUrl }] }));
  const proc = new Measured(
    prometheus(),
    ['--enable-feature=agent', `--config.file=${promYml}`, `--storage.agent.path=${join(dir, 'prom')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'],
    join(dir, 'peer.log'),
  );
  await waitHttp(`http://127.0.0.1:${port}/-/ready`, 30_000, () => proc.running);
  return { proc };
}

async function sinkTotals(sink: Tool): Promise<RwTotals> {
  return ((await sink.stats())?.['totals'] as RwTotals | undefined) ?? newRwTotals();
}

async function farmStats(farm: Tool): Promise<FarmStats> {
  return (await farm.stats())?.['stats'] as FarmStats;
}

/** Runs W1 once for one program. Starts and stops its own farm and sink. */
export async function runW1(o: W1Options): Promise<W1Result> {
  const dir = mkdtempSync(join(tmpdir(), `otel-bridge-w1-${o.peer}-`));
  const maxSeconds = o.measureS + o.intervalS * 10 + 300;
  // BENCH_BASE_PORT: the farm on fixed ports (scrape offsets come from the target labels, so from the ports).
  const basePort = process.env['BENCH_BASE_PORT'];
  const farm = new Tool('targets.ts', ['--count', String(o.targets), '--series', String(o.series), ...(basePort ? ['--base-port', basePort] : [])], { maxSeconds });
  const sink = new Tool('rw-sink.ts', [], { maxSeconds });
  let peer: { proc: Measured; gw?: Gateway } | undefined;
  try {
    const ready = await farm.ready;
    const ports = ready['ports'] as number[];
    const sinkUrl = (await sink.ready)['url'] as string;
    peer = await startPeer(o, ports.map((p) => `127.0.0.1:${p}`), sinkUrl, dir);
    const { proc, gw } = peer;
    await sleep(o.intervalS * (o.warmupIntervals ?? 5) * 1000); // warm-up: five intervals, as peers.sh
    if (!proc.running) throw new Error(`${o.peer} exited during warm-up (log in ${dir})`);
    const load = new MachineLoad();
    gw?.startLagSampling(5000);
    const [c0, s0, f0] = [proc.cpu(), await sinkTotals(sink), await farmStats(farm)];
    const t0 = performance.now();
    load.start();
    await sleep(o.measureS * 1000);
    const [c1, s1, f1] = [proc.cpu(), await sinkTotals(sink), await farmStats(farm)];
    const t1 = performance.now();
    const busy = load.end();
    const lag = gw?.stopLagSampling();
    const mem = proc.memory();
    const counters = gw ? await gw.selfMetrics() : undefined;
    // Delivery: stop offering, let the pipeline drain, compare totals since the start.
    let last = -1;
    let end: RwTotals = s1;
    if (o.deliveryCheck !== false) farm.command('pause');
    for (let i = 0; i < (o.deliveryCheck === false ? 0 : 60); i++) {
      await sleep(Math.max(1000, o.intervalS * 1000));
      end = await sinkTotals(sink);
      if (end.appSamples === last) break;
      last = end.appSamples;
    }
    const farmEnd = await farmStats(farm);
    const wall = (t1 - t0) / 1000;
    const cpu = c1 - c0;
    const delivered = s1.samples - s0.samples;
    const kept = farmEnd.seriesPerTarget - farmEnd.droppedByRelabelPerTarget;
    const offeredApp = farmEnd.scrapes * kept;
    const windowSamples = (f1.scrapes - f0.scrapes) * kept;
    const r: W1Result = {
      peer: o.peer,
      targets: o.targets,
      seriesPerTarget: farmEnd.seriesPerTarget,
      activeSeries: o.targets * farmEnd.seriesPerTarget,
      intervalS: o.intervalS,
      measureS: Math.round(wall * 10) / 10,
      scrapedSamplesPerSecond: ((f1.scrapes - f0.scrapes) * farmEnd.seriesPerTarget) / wall,
      samplesPerSecond: delivered / wall,
      cpuSeconds: cpu,
      cpuSecondsPerMillion: windowSamples > 0 ? cpu / (windowSamples / 1e6) : Infinity,
      cpuSecondsPerMillionDelivered: delivered > 0 ? cpu / (delivered / 1e6) : Infinity,
      coreShare: cpu / wall,
      peakRssMiB: mem.peakRss / MiB,
      rssEndMiB: mem.rss / MiB,
      delivery: { offeredAppSamples: offeredApp, deliveredAppSamples: end.appSamples, ratio: offeredApp > 0 && o.deliveryCheck !== false ? end.appSamples / offeredApp : NaN, staleMarkers: end.staleSamples, badRequests: end.bad },
      sinkWindow: { requests: s1.requests - s0.requests, bytes: s1.bytes - s0.bytes, uncompressedBytes: s1.uncompressedBytes - s0.uncompressedBytes, samplesPerRequest: delivered / Math.max(1, s1.requests - s0.requests) },
      machineBusyShare: busy.busyShare,
      loadavgEnd: busy.loadavg,
    };
    if (lag) r.loopLagP99Ms = { max: lag.p99Max * 1000, median: lag.p99Median * 1000, windows: lag.windows };
    if (counters) {
      r.heapUsedMiB = sumOf(counters, 'otelcol_process_runtime_heap_alloc_bytes') / MiB;
      r.heapTotalMiB = sumOf(counters, 'otelcol_process_runtime_total_sys_memory_bytes') / MiB;
      r.gatewayCounters = {
        receiverAccepted: sumOf(counters, 'otelcol_receiver_accepted_metric_points_total'),
        receiverRefused: sumOf(counters, 'otelcol_receiver_refused_metric_points_total'),
        exporterSent: sumOf(counters, 'otelcol_exporter_sent_metric_points_total'),
        exporterFailed: sumOf(counters, 'otelcol_exporter_send_failed_metric_points_total'),
        scrapesCompleted: sumOf(counters, 'otelcol_receiver_prometheus_scrapes_completed_total'),
        scrapesFailed: sumOf(counters, 'otelcol_receiver_prometheus_scrapes_failed_total'),
        pushesSkipped: sumOf(counters, 'otelcol_receiver_prometheus_pushes_skipped_total'),
      };
    }
    if (gw && o.heapSnapshotDir) r.heapSnapshot = await gw.heapSnapshot(o.heapSnapshotDir);
    if (gw && o.profileDir) {
      const files = await gw.stop(o.profileDir);
      const file = files.at(-1);
      if (file) r.profile = { file, top: topFrames(file, 15) };
    }
    return r;
  } finally {
    if (peer?.gw) await peer.gw.stop();
    else await peer?.proc.stop(10_000);
    await Promise.all([farm.stop(), sink.stop()]);
    rmSync(dir, { recursive: true, force: true }); // peer configs, vmagent's / Prometheus' data
  }
}

export function printW1(results: W1Result[]): void {
  printTable([
    ['program', 'series', 'samples/s', 'CPU-s/1M', '% core', 'peak RSS MiB', 'lag p99 ms', 'delivered/offered', 'machine busy'],
    ...results.map((r) => [
      r.peer,
      r.activeSeries,
      r.samplesPerSecond,
      r.cpuSecondsPerMillion,
      r.coreShare * 100,
      r.peakRssMiB,
      r.loopLagP99Ms ? `${fmt(r.loopLagP99Ms.median)} (max ${fmt(r.loopLagP99Ms.max)})` : '-',
      `${fmt(r.delivery.ratio * 100)}%`,
      `${fmt(r.machineBusyShare * 100)}%`,
    ]),
  ]);
}

/** Median of each program's runs (by CPU-s/1M), with the range, for repeated back-to-back rounds. */
export function summarize(results: W1Result[]): Array<{ peer: Peer; runs: number; cpuPerMillion: number[]; peakRssMiB: number[]; median: W1Result }> {
  const out = [];
  for (const peer of new Set(results.map((r) => r.peer))) {
    const rs = results.filter((r) => r.peer === peer).sort((a, b) => a.cpuSecondsPerMillion - b.cpuSecondsPerMillion);
    out.push({ peer, runs: rs.length, cpuPerMillion: rs.map((r) => r.cpuSecondsPerMillion), peakRssMiB: rs.map((r) => r.peakRssMiB).sort((a, b) => a - b), median: rs[Math.floor((rs.length - 1) / 2)]! });
  }
  return out;
}

/**
 * 20 relabel rules for W1's series (every action kind; every series kept, so the samples compared are the same):
 * the relabel processor's cost per sample on this workload is W1(gateway-relabel20) - W1(gateway).
 */
const W1_TWENTY_RULES = [
  { action: 'drop', source_labels: ['__name__'], regex: 'go_gc_.*' },
  { action: 'keep', source_labels: ['__name__'], regex: 'app_.*|up|scrape_.*' },
  { action: 'labelmap', regex: 'pod', replacement: 'k8s_pod' },
  { action: 'labeldrop', regex: 'k8s_pod' },
  { source_labels: ['instance'], regex: '([^:]+):\\d+', target_label: 'host' },
  { source_labels: ['job', 'pod'], separator: '/', target_label: 'workload' },
  { action: 'hashmod', source_labels: ['instance'], modulus: 8, target_label: '__tmp_shard' },
  { action: 'drop', source_labels: ['__tmp_shard'], regex: '9' },
  { action: 'labeldrop', regex: '__tmp_.*' },
  { source_labels: ['code'], regex: '5..', target_label: 'error', replacement: 'true' },
  { action: 'drop', source_labels: ['route'], regex: '/debug/.*|/metrics' },
  { action: 'lowercase', source_labels: ['method'], target_label: 'method' },
  { action: 'uppercase', source_labels: ['queue'], target_label: 'queue_id' },
  { target_label: 'cluster', replacement: 'eu-west-1' },
  { source_labels: ['__name__'], regex: 'app_(.*)_\\d+(_total)?', target_label: 'family', replacement: '$1' },
  { action: 'keepequal', source_labels: ['cluster'], target_label: 'cluster' },
  { if: '{code="500"}', target_label: 'owner', replacement: 'payments' },
  { action: 'dropequal', source_labels: ['route'], target_label: 'host' },
  { source_labels: ['job'], target_label: 'service' },
  { action: 'drop', source_labels: ['__name__', 'code'], separator: '@', regex: 'nothing@999' },
];

async function main(): Promise<void> {
  const args = parseArgs();
  const peers = args.str('peers', 'gateway').split(',') as Peer[];
  const repeat = args.num('repeat', 1);
  const base = { targets: args.num('targets', 100), series: args.num('series', 1000), intervalS: args.num('interval', 2), measureS: args.num('seconds', Number(process.env['BENCH_SECONDS'] ?? 40)) };
  console.log(machineLine());
  console.log(`W1: ${base.targets} targets x ${base.series} series every ${base.intervalS} s -> relabel -> remote write; ${base.measureS} s measured per program, ${repeat} round(s)\n`);
  const results: W1Result[] = [];
  for (let round = 0; round < repeat; round++) {
    for (const peer of peers) {
      const first = (peer as string).startsWith('gateway') && round === 0;
      const profileDir = args.bool('profile') && first ? mkdtempSync(join(tmpdir(), 'otel-bridge-w1-prof-')) : undefined;
      const heapSnapshotDir = args.bool('heap-snapshot') && first ? mkdtempSync(join(tmpdir(), 'otel-bridge-w1-heap-')) : undefined;
      try {
        // `gateway-relabel20`: the gateway with a relabel processor of 20 rules (issue 6's speed goal: what 20 rules
        // add per sample on W1, run back to back with plain `gateway`).
        const relabel20 = (peer as string) === 'gateway-relabel20';
        const scopeLabels = (peer as string) === 'gateway-scope';
        const variant = relabel20 || scopeLabels;
        const r = await runW1({
          ...base,
          peer: variant ? 'gateway' : peer,
          ...(relabel20 ? { processors: { relabel: { relabel_configs: W1_TWENTY_RULES } } } : {}),
          ...(scopeLabels ? { scopeLabels } : {}),
          ...(profileDir ? { profileDir } : {}),
          ...(heapSnapshotDir ? { heapSnapshotDir } : {}),
        });
        if (variant) r.peer = peer;
        if (r.heapSnapshot) console.log(`heap snapshot: ${r.heapSnapshot} (summary: npx node --max-old-space-size=8192 bench/macro/heap.ts <file>)`);
        results.push(r);
        if (repeat > 1) console.log(`round ${round + 1} ${peer}: ${fmt(r.cpuSecondsPerMillion)} CPU-s/1M, peak RSS ${fmt(r.peakRssMiB)} MiB, delivered ${fmt(r.delivery.ratio * 100)}%, machine busy ${fmt(r.machineBusyShare * 100)}%`);
      } catch (err) {
        console.log(`${peer}: failed: ${(err as Error).message}`);
      }
    }
  }
  printW1(results);
  const summary = repeat > 1 ? summarize(results) : undefined;
  if (summary) {
    console.log('\nmedian of rounds (range):');
    for (const s of summary) console.log(`  ${s.peer}: ${fmt(s.median.cpuSecondsPerMillion)} CPU-s/1M (${fmt(s.cpuPerMillion[0]!)}-${fmt(s.cpuPerMillion.at(-1)!)}), peak RSS ${fmt(s.peakRssMiB[Math.floor((s.runs - 1) / 2)]!)} MiB (${fmt(s.peakRssMiB[0]!)}-${fmt(s.peakRssMiB.at(-1)!)})`);
  }
  for (const r of results) if (r.profile) console.log(`\n${r.peer} profile (${r.profile.file}), top self time:\n${r.profile.top.map((f) => `  ${fmt(f.selfShare * 100)}%  ${f.name}  ${f.where}`).join('\n')}`);
  console.log(`\n${writeResult('w1', { options: { ...base, repeat }, results, ...(summary ? { summary: summary.map((s) => ({ ...s, median: undefined, medianCpuPerMillion: s.median.cpuSecondsPerMillion })) } : {}) })}`);
}

if (import.meta.main) await main();
