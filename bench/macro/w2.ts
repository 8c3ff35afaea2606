/**
 * W2: OTLP/gRPC in from K concurrent clients (P points a request, sums + histograms) -> batch -> OTLP/gRPC out (to the
 * OTLP sink) and remote write out (to the RW sink).
 *
 *   npx node bench/macro/w2.ts [--clients 20] [--points 1000] [--hist-share 0.2] [--seconds 30]
 *        [--ladder 100000,200000,...] [--step-seconds 15] [--cpu 1] [--compression gzip] [--profile] [--no-ladder]
 *        [--exporters otlp,prometheusremotewrite]
 *
 * Phase 1, saturation: every client keeps one request outstanding (closed loop) for `--seconds`; the gateway runs
 * unpinned. Reports points/s accepted, CPU-seconds per 1M points, refusals, peak RSS, loop lag, what reached sinks.
 * Phase 2, max sustainable rate on one core: a fresh gateway pinned to one CPU (`taskset -c <cpu>`), offered a
 * ladder of open-loop rates for `--step-seconds` each; a step passes when nothing is refused or failed, clients
 * missed under 1% of their slots, and both sinks got at least 97% of what was offered over the step. The max
 * sustainable rate is the highest passing step before the first failure.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, parseArgs, sleep } from '../load/common.ts';
import type { LoadResult } from '../load/otlp-load.ts';
import type { OtlpTotals } from '../load/otlp-sink.ts';
import type { RwTotals } from '../load/rw-sink.ts';
import { Gateway, sumOf } from './gateway.ts';
import { Tool, cpuSeconds } from './proc.ts';
import { MachineLoad, MiB, fmt, machineLine, printTable, writeResult } from './report.ts';
import { topFrames, topInclusive, type Frame } from './profile.ts';

export interface W2Options {
  clients: number;
  points: number;
  histShare: number;
  variants: number;
  compression: string;
  /** Exporters of the pipeline: both (default), or one of them to split the cost. */
  exporters: Array<'otlp' | 'prometheusremotewrite'>;
}

export interface W2Step {
  mode: 'saturation' | 'rate';
  offeredPointsPerSecond: number;
  seconds: number;
  acceptedPointsPerSecond: number;
  refused: number;
  failed: number;
  missedShare: number;
  cpuSeconds: number;
  cpuSecondsPerMillion: number;
  coreShare: number;
  peakRssMiB: number;
  loopLagP99Ms: number;
  otlpSinkPointsPerSecond: number;
  rwSinkSamplesPerSecond: number;
  sinkShareOtlp: number;
  latencyMsP99: number;
  toolsCpuShare: number;
  machineBusyShare: number;
  pass?: boolean;
  counters?: Record<string, number>;
}

function gatewayConfig(grpcPort: number, otlpSink: string, rwSink: string, o: W2Options): Record<string, unknown> {
  const all: Record<string, unknown> = {
    otlp: { endpoint: otlpSink, tls: { insecure: true }, compression: o.compression },
    prometheusremotewrite: { endpoint: rwSink },
  };
  return {
    receivers: { otlp: { protocols: { grpc: { endpoint: `127.0.0.1:${grpcPort}`, max_recv_msg_size_mib: 16 } } } },
    processors: { batch: {} },
    exporters: Object.fromEntries(o.exporters.map((e) => [e, all[e]])),
    service: { pipelines: { metrics: { receivers: ['otlp'], processors: ['batch'], exporters: o.exporters } } },
  };
}

interface Rig {
  gw: Gateway;
  otlpSink: Tool;
  rwSink: Tool;
  endpoint: string;
}

async function startRig(o: W2Options, extra: { cpus?: string; cpuProfDir?: string }): Promise<Rig> {
  const otlpSink = new Tool('otlp-sink.ts', [], { maxSeconds: 3600 });
  const rwSink = new Tool('rw-sink.ts', [], { maxSeconds: 3600 });
  const sinkGrpc = (await otlpSink.ready)['grpc'] as string;
  const rwUrl = (await rwSink.ready)['url'] as string;
  const port = await freePort();
  const gw = await Gateway.start({ config: gatewayConfig(port, sinkGrpc, rwUrl, o), ...extra });
  return { gw, otlpSink, rwSink, endpoint: `127.0.0.1:${port}` };
}

async function stopRig(r: Rig, cpuProfDir?: string): Promise<string[]> {
  const files = await r.gw.stop(cpuProfDir);
  await Promise.all([r.otlpSink.stop(), r.rwSink.stop()]);
  return files;
}

async function sinkCounts(r: Rig): Promise<{ points: number; samples: number }> {
  const [o, w] = await Promise.all([r.otlpSink.stats(), r.rwSink.stats()]);
  return { points: (o?.['totals'] as OtlpTotals | undefined)?.points ?? 0, samples: (w?.['totals'] as RwTotals | undefined)?.samples ?? 0 };
}

/** One load phase against a running rig. `rate` 0 = closed loop. */
async function phase(r: Rig, o: W2Options, rate: number, seconds: number): Promise<W2Step> {
  const histograms = Math.round(o.points * o.histShare);
  const load = new Tool(
    'otlp-load.ts',
    ['--endpoint', r.endpoint, '--clients', String(o.clients), '--points', String(o.points), '--hist-share', String(o.histShare), '--variants', String(o.variants), '--seconds', String(seconds), '--rate', String(rate), '--inflight', rate > 0 ? '4' : '1'],
    { maxSeconds: seconds + 120 },
  );
  await load.ready;
  const done = load.next('done');
  const machineLoad = new MachineLoad();
  machineLoad.start();
  r.gw.startLagSampling(5000);
  const pids = [load.child.pid!, r.otlpSink.child.pid!, r.rwSink.child.pid!];
  const tools0 = pids.reduce((a, p) => a + cpuSeconds(p), 0);
  const c0 = r.gw.proc.cpu();
  const s0 = await sinkCounts(r);
  const t0 = performance.now();
  const res = (await done)['result'] as LoadResult;
  const c1 = r.gw.proc.cpu();
  const wall = (performance.now() - t0) / 1000;
  const tools1 = pids.reduce((a, p) => a + cpuSeconds(p), 0);
  const lag = r.gw.stopLagSampling();
  await sleep(1500); // let the last batches reach the sinks
  const s1 = await sinkCounts(r);
  const busy = machineLoad.end();
  await load.stop();
  const m = await r.gw.selfMetrics();
  const cpu = c1 - c0;
  const rwPerPoint = (o.points - histograms + histograms * 13) / o.points; // RW samples per OTLP point (10 bounds)
  const offered = rate > 0 ? rate : (res.requests * o.points) / res.wallSeconds;
  return {
    mode: rate > 0 ? 'rate' : 'saturation',
    offeredPointsPerSecond: offered,
    seconds: res.wallSeconds,
    acceptedPointsPerSecond: res.pointsPerSecond,
    refused: res.refused,
    failed: res.failed,
    missedShare: res.missed / Math.max(1, res.missed + res.requests),
    cpuSeconds: cpu,
    cpuSecondsPerMillion: res.okPoints > 0 ? cpu / (res.okPoints / 1e6) : Infinity,
    coreShare: cpu / wall,
    peakRssMiB: r.gw.proc.memory().peakRss / MiB,
    loopLagP99Ms: lag.p99Max * 1000,
    otlpSinkPointsPerSecond: (s1.points - s0.points) / wall,
    rwSinkSamplesPerSecond: (s1.samples - s0.samples) / wall,
    sinkShareOtlp: res.okPoints > 0 ? (s1.points - s0.points) / res.okPoints : NaN,
    latencyMsP99: res.latencyMs.p99,
    toolsCpuShare: (tools1 - tools0) / wall,
    machineBusyShare: busy.busyShare,
    counters: {
      receiverAccepted: sumOf(m, 'otelcol_receiver_accepted_metric_points_total'),
      receiverRefused: sumOf(m, 'otelcol_receiver_refused_metric_points_total'),
      otlpSent: sumOf(m, 'otelcol_exporter_sent_metric_points_total', 'exporter="otlp"'),
      rwSent: sumOf(m, 'otelcol_exporter_sent_metric_points_total', 'exporter="prometheusremotewrite"'),
      exporterFailed: sumOf(m, 'otelcol_exporter_send_failed_metric_points_total'),
      rwSamplesPerPointExpected: rwPerPoint,
    },
  };
}

export function printW2(steps: W2Step[]): void {
  printTable([
    ['phase', 'offered pts/s', 'accepted pts/s', 'CPU-s/1M', '% core', 'refused', 'missed', 'OTLP sink pts/s', 'RW sink samples/s', 'peak RSS MiB', 'lag p99 ms', 'pass'],
    ...steps.map((s) => [
      s.mode === 'rate' ? `rate ${fmt(s.offeredPointsPerSecond)}` : 'saturation',
      s.offeredPointsPerSecond,
      s.acceptedPointsPerSecond,
      s.cpuSecondsPerMillion,
      s.coreShare * 100,
      s.refused + s.failed,
      `${fmt(s.missedShare * 100)}%`,
      s.otlpSinkPointsPerSecond,
      s.rwSinkSamplesPerSecond,
      s.peakRssMiB,
      s.loopLagP99Ms,
      s.pass === undefined ? '-' : s.pass ? 'yes' : 'no',
    ]),
  ]);
}

export interface W2Result {
  options: W2Options;
  saturation?: W2Step;
  ladder: W2Step[];
  maxSustainablePointsPerSecond?: number;
  pinnedCpu?: string;
  profile?: { file: string; top: Frame[]; inclusive: Frame[] };
}

export async function runW2(o: W2Options, run: { seconds: number; ladder: number[]; stepSeconds: number; cpu: string; profile: boolean }): Promise<W2Result> {
  const out: W2Result = { options: o, ladder: [] };
  if (run.seconds > 0) {
    const profDir = run.profile ? mkdtempSync(join(tmpdir(), 'otel-bridge-w2-prof-')) : undefined;
    const rig = await startRig(o, profDir ? { cpuProfDir: profDir } : {});
    try {
      await phase(rig, o, 0, Math.min(5, run.seconds)); // warm-up (JIT, connections, series caches)
      out.saturation = await phase(rig, o, 0, run.seconds);
    } finally {
      const files = await stopRig(rig, profDir);
      const f = files.at(-1);
      if (f) out.profile = { file: f, top: topFrames(f, 15), inclusive: topInclusive(f, 15) };
    }
  }
  if (run.ladder.length > 0) {
    out.pinnedCpu = run.cpu;
    const rig = await startRig(o, { cpus: run.cpu });
    try {
      await phase(rig, o, run.ladder[0]!, 5); // warm-up
      for (const rate of run.ladder) {
        const s = await phase(rig, o, rate, run.stepSeconds);
        const sinkOk = o.exporters.includes('otlp') ? s.sinkShareOtlp >= 0.97 : s.rwSinkSamplesPerSecond >= 0.97 * rate * s.counters!['rwSamplesPerPointExpected']!;
        s.pass = s.refused === 0 && s.failed === 0 && s.missedShare < 0.01 && sinkOk && s.acceptedPointsPerSecond >= 0.97 * rate;
        out.ladder.push(s);
        if (!s.pass) break;
        out.maxSustainablePointsPerSecond = rate;
        await sleep(2000); // let queues settle between steps
      }
    } finally {
      await stopRig(rig);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs();
  const o: W2Options = {
    clients: args.num('clients', 20),
    points: args.num('points', 1000),
    histShare: args.num('hist-share', 0.2),
    variants: args.num('variants', 5),
    compression: args.str('compression', 'gzip'),
    exporters: args.str('exporters', 'otlp,prometheusremotewrite').split(',') as W2Options['exporters'],
  };
  const seconds = args.num('seconds', Number(process.env['BENCH_SECONDS'] ?? 30));
  const ladder = args.bool('no-ladder') ? [] : args.str('ladder', '25000,50000,75000,100000,150000,200000,300000,400000,500000').split(',').map(Number);
  console.log(machineLine());
  console.log(`W2: OTLP/gRPC in from ${o.clients} clients (${o.points} points a request, ${o.histShare * 100}% histograms) -> batch -> ${o.exporters.join(' + ')} (OTLP compression ${o.compression})\n`);
  const r = await runW2(o, { seconds, ladder, stepSeconds: args.num('step-seconds', 15), cpu: args.str('cpu', '1'), profile: args.bool('profile') });
  printW2([...(r.saturation ? [r.saturation] : []), ...r.ladder]);
  if (r.ladder.length) console.log(`\nmax sustainable rate on one core (CPU ${r.pinnedCpu}): ${r.maxSustainablePointsPerSecond === undefined ? 'below the first step' : `${fmt(r.maxSustainablePointsPerSecond)} points/s`}`);
  if (r.profile) console.log(`\nprofile ${r.profile.file}, top self time:\n${r.profile.top.map((f) => `  ${fmt(f.selfShare * 100)}%  ${f.name}  ${f.where}`).join('\n')}`);
  console.log(`\n${writeResult('w2', r)}`);
}

if (import.meta.main) await main();
