/**
 * Machine description, machine-wide CPU busy share (other engineers' load shows here), result JSON files
 * (bench/results/<workload>-latest.json) and plain tables.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  memoryGiB: number;
  loadavgStart: number[];
  date: string;
  /** The code measured: HEAD and how many files differ from it (work in progress lands between runs). */
  revision: string;
}

function revision(): string {
  try {
    const git = (...a: string[]): string => execFileSync('git', a, { cwd: join(import.meta.dirname, '..', '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter((l) => l !== '').length;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ` + ${dirty} changed/new paths under src/` : ''}`;
  } catch {
    return 'unknown';
  }
}

export function machine(): Machine {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadavgStart: loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
    revision: revision(),
  };
}

/** Machine-wide CPU time from /proc/stat: [busy, total] jiffies. */
function procStat(): [number, number] {
  const first = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (first[3] ?? 0) + (first[4] ?? 0);
  const total = first.reduce((a, b) => a + b, 0);
  return [total - idle, total];
}

/** Measures the machine's busy share (all cores, 0..1) between `start()` and `end()`. */
export class MachineLoad {
  private s: [number, number] = procStat();

  start(): void {
    this.s = procStat();
  }

  /** Busy share of all cores over the window, and the load average now. */
  end(): { busyShare: number; loadavg: number[] } {
    const e = procStat();
    const busy = e[0] - this.s[0];
    const total = e[1] - this.s[1];
    return { busyShare: total > 0 ? Math.round((busy / total) * 1000) / 1000 : NaN, loadavg: loadavg().map((x) => Math.round(x * 100) / 100) };
  }
}

export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');

/** Writes bench/results/<workload>-latest.json with the machine; returns the path. */
export function writeResult(workload: string, data: object): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${workload}-latest.json`);
  writeFileSync(path, `${JSON.stringify({ workload, machine: machine(), ...data }, null, 2)}\n`);
  return path;
}

/** Prints rows as an aligned table (first row = headers). */
export function printTable(rows: Array<Array<string | number>>): void {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const r of cells) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

/** Numbers for humans: 3 significant digits under 1000, thousands separators above. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en');
  if (n === 0) return '0';
  return Number(n.toPrecision(3)).toString();
}

export const MiB = 2 ** 20;

/** A line describing the machine for the top of a report. */
export function machineLine(m: Machine = machine()): string {
  return `machine: ${m.cores} cores, ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}, load average ${m.loadavgStart.join(' ')}`;
}
