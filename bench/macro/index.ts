/**
 * Runs the macro workloads in order (each against a freshly started gateway), prints their tables, writes
 * bench/results/<workload>-latest.json. Called by bench/run.ts:
 *   short (plain `npm run bench`): W1 gateway only, W2 saturation only, W3, W4: ~20 s measured each
 *   full (`npm run bench -- --macro`): W1 side by side with vmagent and Prometheus agent, W2 with the one-core rate
 *     ladder, W3, W4, memory per active series (100k and 500k)
 * BENCH_SECONDS, when set, is the measured window of every workload (seconds).
 */
import { fmt, machineLine, writeResult } from './report.ts';
import { printW1, runW1, type Peer, type W1Result } from './w1.ts';
import { printW2, runW2 } from './w2.ts';
import { printW3, runW3 } from './w3.ts';
import { printW4, runW4 } from './w4.ts';
import { slopes } from './memory.ts';

export const WORKLOADS = ['w1', 'w2', 'w3', 'w4', 'memory'] as const;

export async function runMacro(mode: 'short' | 'full', only: string[]): Promise<void> {
  const env = process.env['BENCH_SECONDS'];
  const secs = (dflt: number): number => (env !== undefined ? Number(env) : dflt);
  const want = (w: string): boolean => (only.length === 0 || only.some((x) => w.includes(x))) && (mode === 'full' || w !== 'memory');
  console.log(`\n== macro workloads (${mode}) ==\n${machineLine()}`);
  if (want('w1')) {
    const peers: Peer[] = mode === 'full' ? ['gateway', 'vmagent', 'prometheus-agent'] : ['gateway'];
    const o = { targets: 100, series: 1000, intervalS: 2, measureS: secs(mode === 'full' ? 40 : 20) };
    console.log(`\nW1: scrape ${o.targets} targets x ${o.series} series every ${o.intervalS} s -> relabel -> remote write (${o.measureS} s each)`);
    const results: W1Result[] = [];
    for (const peer of peers) {
      try {
        results.push(await runW1({ ...o, peer }));
      } catch (err) {
        console.log(`${peer}: failed: ${(err as Error).message}`);
      }
    }
    printW1(results);
    writeResult('w1', { options: o, results });
  }
  if (want('w2')) {
    const o = { clients: 20, points: 1000, histShare: 0.2, variants: 5, compression: 'gzip', exporters: ['otlp' as const, 'prometheusremotewrite' as const] };
    console.log(`\nW2: OTLP/gRPC in (${o.clients} clients, ${o.points} points a request) -> batch -> OTLP out + remote write out`);
    try {
      const r = await runW2(o, { seconds: secs(mode === 'full' ? 30 : 15), ladder: mode === 'full' ? [25_000, 50_000, 75_000, 100_000, 150_000, 200_000, 300_000, 400_000, 500_000] : [], stepSeconds: 15, cpu: '1', profile: false });
      printW2([...(r.saturation ? [r.saturation] : []), ...r.ladder]);
      if (r.ladder.length) console.log(`max sustainable rate on one core: ${r.maxSustainablePointsPerSecond === undefined ? 'below the first step' : `${fmt(r.maxSustainablePointsPerSecond)} points/s`}`);
      writeResult('w2', r);
    } catch (err) {
      console.log(`W2 failed: ${(err as Error).message}`);
    }
  }
  if (want('w3')) {
    console.log('\nW3: /metrics re-export of 100k series scraped every second; prom-client reference');
    try {
      const r = await runW3({ seconds: secs(mode === 'full' ? 30 : 15), feedEverySeconds: 5, renders: mode === 'full' ? 10 : 5, sumRequests: 40, histRequests: 5, bounds: 9 });
      printW3(r);
      writeResult('w3', r);
    } catch (err) {
      console.log(`W3 failed: ${(err as Error).message}`);
    }
  }
  if (want('w4')) {
    console.log('\nW4: aggregate 100k series every 10 s');
    try {
      const o = { targets: 100, series: 1000, intervalS: 10, measureS: secs(mode === 'full' ? 60 : 20), warmupIntervals: mode === 'full' ? 3 : 2 };
      const r = await runW4(o);
      printW4(r);
      writeResult('w4', { options: o, ...r });
    } catch (err) {
      console.log(`W4 failed: ${(err as Error).message}`);
    }
  }
  if (want('memory')) {
    console.log('\nmemory per active series: W1 at 100k and 500k series every 10 s, gateway and vmagent');
    const results: W1Result[] = [];
    for (const size of [100_000, 500_000]) {
      for (const peer of ['gateway', 'vmagent'] as const) {
        try {
          results.push(await runW1({ peer, targets: size / 1000, series: 1000, intervalS: 10, measureS: secs(60) }));
        } catch (err) {
          console.log(`${peer} ${size}: failed: ${(err as Error).message}`);
        }
      }
    }
    printW1(results);
    const s = slopes(results);
    for (const x of s) console.log(`${x.peer}: ${fmt(x.bytesPerSeries)} bytes per active series (${x.basis})`);
    writeResult('memory', { results, slopes: s });
  }
}
