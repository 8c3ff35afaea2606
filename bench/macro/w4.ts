/**
 * W4: streaming aggregation of 100k series every 10 s: the W1 farm (100 targets x 1000 series) scraped every 10 s ->
 * `aggregate` processor (every series `sum by (job, code)` as `sum_samples`; the gauges' values as
 * `histogram_bucket` by job) ->
 * remote write. The same scrape without the processor runs first as the baseline: the difference in CPU-seconds per
 * 1M scraped samples is what aggregating costs (or saves) against remote-writing every sample; `--profile` shows the
 * processor's own share of the aggregating gateway.
 *
 *   npx node bench/macro/w4.ts [--targets 100] [--series 1000] [--interval 10] [--seconds 60] [--profile]
 *
 * Needs the `aggregate` processor (issue 6); without it the workload prints "not available" and records that.
 * The rule shape follows issue 6 (`rules: [{match, interval, by, outputs, keep_input}]`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../load/common.ts';
import { NODE, ROOT } from './proc.ts';
import { fmt, machineLine, printTable, writeResult } from './report.ts';
import { runW1, type W1Result } from './w1.ts';

/** True when this build registers the `aggregate` processor. */
export function aggregateAvailable(): boolean {
  const r = spawnSync(NODE, [join(ROOT, 'src', 'cli', 'main.ts'), 'components'], { cwd: ROOT, encoding: 'utf8' });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('processors:')) ?? '';
  return line.split(/[:,]/).some((t) => t.trim() === 'aggregate');
}

export function aggregateConfig(intervalS: number): Record<string, unknown> {
  return {
    aggregate: {
      rules: [
        // sum by (job, code) over every series (no match = all 100k).
        { interval: `${intervalS}s`, by: ['job', 'code'], outputs: ['sum_samples'], keep_input: false },
        // The gauges' values as VictoriaMetrics histogram buckets (vmrange), per job.
        { match: '{__name__=~"app_queue_depth_.*"}', interval: `${intervalS}s`, by: ['job'], outputs: ['histogram_bucket'], keep_input: false },
      ],
    },
  };
}

export interface W4Result {
  available: boolean;
  note?: string;
  baseline?: W1Result;
  aggregated?: W1Result;
  aggregationCpuSecondsPerMillionScraped?: number;
}

export async function runW4(o: { targets: number; series: number; intervalS: number; measureS: number; warmupIntervals?: number; profileDir?: string }): Promise<W4Result> {
  if (!aggregateAvailable()) return { available: false, note: 'the aggregate processor is not registered in this build (issue 6); W4 skipped' };
  const { profileDir, ...rest } = o;
  const base = { peer: 'gateway' as const, deliveryCheck: false, ...rest };
  const baseline = await runW1(base);
  const aggregated = await runW1({ ...base, processors: aggregateConfig(o.intervalS), ...(profileDir ? { profileDir } : {}) });
  const perScraped = (r: W1Result): number => r.cpuSeconds / ((r.scrapedSamplesPerSecond * r.measureS) / 1e6);
  return { available: true, baseline, aggregated, aggregationCpuSecondsPerMillionScraped: perScraped(aggregated) - perScraped(baseline) };
}

export function printW4(r: W4Result): void {
  if (!r.available) {
    console.log(`W4: not available: ${r.note}`);
    return;
  }
  printTable([
    ['run', 'scraped samples/s', 'delivered samples/s', 'CPU-s', 'CPU-s/1M scraped', '% core', 'peak RSS MiB', 'lag p99 ms'],
    ...[r.baseline!, r.aggregated!].map((x, i) => [
      i === 0 ? 'scrape -> RW (baseline)' : 'scrape -> aggregate -> RW',
      x.scrapedSamplesPerSecond,
      x.samplesPerSecond,
      x.cpuSeconds,
      x.cpuSeconds / ((x.scrapedSamplesPerSecond * x.measureS) / 1e6),
      x.coreShare * 100,
      x.peakRssMiB,
      x.loopLagP99Ms?.max ?? NaN,
    ]),
  ]);
  const d = r.aggregationCpuSecondsPerMillionScraped!;
  console.log(
    d >= 0
      ? `aggregating costs ${fmt(d)} CPU-s per 1M scraped samples more than remote-writing every sample`
      : `aggregating saves ${fmt(-d)} CPU-s per 1M scraped samples against remote-writing every sample (outputs are few; the processor's own cost is in the profile: --profile)`,
  );
  if (r.aggregated?.profile) console.log(`\nprofile of the aggregating gateway ${r.aggregated.profile.file}, top self time:\n${r.aggregated.profile.top.map((f) => `  ${fmt(f.selfShare * 100)}%  ${f.name}  ${f.where}`).join('\n')}`);
}

async function main(): Promise<void> {
  const args = parseArgs();
  const o = {
    targets: args.num('targets', 100),
    series: args.num('series', 1000),
    intervalS: args.num('interval', 10),
    measureS: args.num('seconds', Number(process.env['BENCH_SECONDS'] ?? 60)),
    ...(args.bool('profile') ? { profileDir: mkdtempSync(join(tmpdir(), 'otel-bridge-w4-prof-')) } : {}),
  };
  console.log(machineLine());
  console.log(`W4: ${o.targets} x ${o.series} series scraped every ${o.intervalS} s -> aggregate (sum by (job, code), histogram_bucket) -> remote write\n`);
  const r = await runW4(o);
  printW4(r);
  console.log(`\n${writeResult('w4', { options: o, ...r })}`);
}

if (import.meta.main) await main();
