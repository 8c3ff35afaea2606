/**
 * Memory per active series: W1 (scrape -> relabel -> remote write) at several sizes, for the gateway and vmagent
 * back to back; the slope of peak RSS between the smallest and the largest size is the memory each extra active
 * series costs (bytes/series), the intercept what the program costs empty.
 *
 *   npx node bench/macro/memory.ts [--sizes 100000,500000] [--series 1000] [--interval 10] [--seconds 60]
 *        [--peers gateway,vmagent]
 *
 * Sizes are active series (targets = size / --series). The interval is longer than W1's 2 s so 500k series fit on
 * a small machine; memory per series does not depend on it much (one scrape's data is in flight at a time).
 */
import { parseArgs } from '../load/common.ts';
import { fmt, machineLine, printTable, writeResult } from './report.ts';
import { runW1, type Peer, type W1Result } from './w1.ts';

export interface Slope {
  peer: Peer;
  bytesPerSeries: number;
  interceptMiB: number;
  basis: string;
}

export function slopes(results: W1Result[]): Slope[] {
  const out: Slope[] = [];
  for (const peer of new Set(results.map((r) => r.peer))) {
    const rs = results.filter((r) => r.peer === peer).sort((a, b) => a.activeSeries - b.activeSeries);
    const lo = rs[0];
    const hi = rs.at(-1);
    if (!lo || !hi || lo === hi) continue;
    const slope = ((hi.peakRssMiB - lo.peakRssMiB) * 2 ** 20) / (hi.activeSeries - lo.activeSeries);
    out.push({ peer, bytesPerSeries: slope, interceptMiB: lo.peakRssMiB - (slope * lo.activeSeries) / 2 ** 20, basis: `peak RSS at ${lo.activeSeries} and ${hi.activeSeries} series` });
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs();
  const sizes = args.str('sizes', '100000,500000').split(',').map(Number);
  const series = args.num('series', 1000);
  const intervalS = args.num('interval', 10);
  const measureS = args.num('seconds', Number(process.env['BENCH_SECONDS'] ?? 60));
  const peers = args.str('peers', 'gateway,vmagent').split(',') as Peer[];
  console.log(machineLine());
  console.log(`memory per active series: W1 at ${sizes.join(', ')} series (${series} per target) every ${intervalS} s, ${measureS} s each\n`);
  const results: W1Result[] = [];
  for (const size of sizes) {
    for (const peer of peers) {
      try {
        const r = await runW1({ peer, targets: Math.round(size / series), series, intervalS, measureS });
        results.push(r);
        console.log(`${peer} ${size}: peak RSS ${fmt(r.peakRssMiB)} MiB, ${fmt(r.cpuSecondsPerMillion)} CPU-s/1M, delivered ${fmt(r.delivery.ratio * 100)}%`);
      } catch (err) {
        console.log(`${peer} ${size}: failed: ${(err as Error).message}`);
      }
    }
  }
  console.log('');
  printTable([
    ['program', 'active series', 'peak RSS MiB', 'RSS at end MiB', 'CPU-s/1M', 'samples/s', 'delivered/offered'],
    ...results.map((r) => [r.peer, r.activeSeries, r.peakRssMiB, r.rssEndMiB, r.cpuSecondsPerMillion, r.samplesPerSecond, `${fmt(r.delivery.ratio * 100)}%`]),
  ]);
  const s = slopes(results);
  console.log('');
  for (const x of s) console.log(`${x.peer}: ${fmt(x.bytesPerSeries)} bytes per active series (${x.basis}); intercept ${fmt(x.interceptMiB)} MiB`);
  console.log(`\n${writeResult('memory', { options: { sizes, series, intervalS, measureS, peers }, results, slopes: s })}`);
}

if (import.meta.main) await main();
