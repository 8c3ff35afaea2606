/**
 * `npm run bench`: runs every micro benchmark in bench/micro/*.ts (each file in its own child process, so peak RSS
 * is per file) and prints CPU-seconds per million items, items/s and peak RSS, as a table and as JSON in
 * bench/results/micro-latest.json (with the machine: cores, CPU model, Node version); then short runs of the macro
 * workloads (bench/macro/: the gateway started as a separate process under load, see bench/README.md).
 * Benchmarks are not tests: nothing here asserts; figures are reported as measured.
 *   npm run bench                      micro benchmarks + short macro runs (W1 gateway only, W2 saturation, W3, W4)
 *   npm run bench -- --micro           micro benchmarks only
 *   npm run bench -- --macro           full macro workloads only (W1 side by side with vmagent and Prometheus agent,
 *                                      W2 with the one-core rate ladder, W3, W4, memory per active series)
 *   npm run bench -- relabel           only micro files / macro workloads whose name contains "relabel"
 *   npm run bench -- --macro w2        only W2
 *   BENCH_SECONDS=5 npm run bench      micro: seconds per benchmark (default 2); macro: measured window per workload
 */
// Micro benchmarks run under the gateway's own V8 tuning (allocation-site pretenuring off), so their allocation
// costs are the gateway's.
import '../src/cli/v8-flags.ts';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { MicroBench } from './harness.ts';

interface Result {
  file: string;
  name: string;
  items: string;
  count: number;
  cpuSeconds: number;
  wallSeconds: number;
  cpuSecondsPerMillion: number;
  itemsPerSecond: number;
  peakRssMiB: number;
  error?: string;
}

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 2);

async function runFile(file: string): Promise<Result[]> {
  const mod = (await import(join(import.meta.dirname, 'micro', file))) as { default: MicroBench[] };
  const out: Result[] = [];
  for (const b of mod.default) {
    try {
      const run = await b.prepare();
      const warmEnd = performance.now() + Math.min(500, SECONDS * 250);
      while (performance.now() < warmEnd) run();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let count = 0;
      while (performance.now() - t0 < SECONDS * 1000) count += run();
      const wall = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(cpu0);
      const cpu = (c.user + c.system) / 1e6;
      out.push({
        file,
        name: b.name,
        items: b.items,
        count,
        cpuSeconds: cpu,
        wallSeconds: wall,
        cpuSecondsPerMillion: (cpu / count) * 1e6,
        itemsPerSecond: count / wall,
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
      });
    } catch (err) {
      out.push({ file, name: b.name, items: b.items, count: 0, cpuSeconds: 0, wallSeconds: 0, cpuSecondsPerMillion: NaN, itemsPerSecond: 0, peakRssMiB: 0, error: (err as Error).message });
    }
  }
  return out;
}

const childFile = process.argv.indexOf('--child');
if (childFile !== -1) {
  const results = await runFile(process.argv[childFile + 1]!);
  process.stdout.write(`${JSON.stringify(results)}\n`);
} else {
  const flags = process.argv.slice(2);
  const filters = flags.filter((a) => !a.startsWith('--'));
  if (!flags.includes('--macro')) runMicro(filters);
  if (!flags.includes('--micro')) {
    const { runMacro } = await import('./macro/index.ts');
    await runMacro(flags.includes('--macro') ? 'full' : 'short', filters);
  }
}

function runMicro(filters: string[]): void {
  const files = readdirSync(join(import.meta.dirname, 'micro'))
    .filter((f) => f.endsWith('.ts') && (filters.length === 0 || filters.some((x) => f.includes(x))))
    .sort();
  if (files.length === 0) return; // a filter naming only macro workloads: leave micro-latest.json as it is
  const all: Result[] = [];
  for (const f of files) {
    try {
      const text = execFileSync(process.execPath, [import.meta.filename, '--child', f], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
      all.push(...(JSON.parse(text.trim().split('\n').at(-1)!) as Result[]));
    } catch (err) {
      all.push({ file: f, name: '(file failed)', items: '', count: 0, cpuSeconds: 0, wallSeconds: 0, cpuSecondsPerMillion: NaN, itemsPerSecond: 0, peakRssMiB: 0, error: (err as Error).message.split('\n')[0] });
    }
  }
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, date: new Date().toISOString() };
  const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
  console.log(`machine: ${machine.cores} cores, ${machine.cpu}, Node ${machine.node}\n`);
  console.log(`${pad('benchmark', 52)} ${pad('CPU-s / 1M', 12)} ${pad('items/s', 14)} peak RSS`);
  for (const r of all) {
    if (r.error) console.log(`${pad(`${r.name} [${r.file}]`, 52)} ERROR ${r.error}`);
    else console.log(`${pad(r.name, 52)} ${pad(r.cpuSecondsPerMillion.toFixed(3), 12)} ${pad(`${Math.round(r.itemsPerSecond).toLocaleString('en')} ${r.items}`, 14)} ${r.peakRssMiB.toFixed(0)} MiB`);
  }
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  const out = join(import.meta.dirname, 'results', 'micro-latest.json');
  // A filtered run replaces only the results of the files it ran; the other files' rows (and their machine) stay.
  let kept: Result[] = [];
  if (filters.length > 0 && existsSync(out)) {
    try {
      const prev = JSON.parse(readFileSync(out, 'utf8')) as { results?: (Result & { machine?: unknown })[]; machine?: unknown };
      kept = (prev.results ?? []).filter((r) => !files.includes(r.file)).map((r) => ({ ...r, machine: r.machine ?? prev.machine }));
    } catch {
      kept = [];
    }
  }
  const results = filters.length > 0 ? [...kept, ...all.map((r) => ({ ...r, machine }))] : all;
  writeFileSync(out, `${JSON.stringify({ machine, seconds: SECONDS, results }, null, 2)}\n`);
}
