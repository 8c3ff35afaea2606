/**
 * The gateway under test: started as a child (`node src/cli/main.ts run --config <generated yaml>`), its self-metrics
 * read from its telemetry port (a Prometheus pull reader on 127.0.0.1:<free port>, added to every generated config),
 * its CPU and peak RSS read from /proc. Optional: `--cpu-prof` into a folder (written when it exits on SIGTERM), and
 * `taskset -c <cpu>` pinning (the "one core" runs). Node/V8 flags: those `npm start` and the Docker image use
 * (`--max-semi-space-size=16`), or `BENCH_NODE_FLAGS` instead when set (`BENCH_NODE_FLAGS=` for none).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, sleep } from '../load/common.ts';

/** Node/V8 flags of `npm start` (package.json) and the Docker image (NODE_OPTIONS). */
const DEFAULT_NODE_FLAGS = '--max-semi-space-size=16';
import { Measured, NODE, ROOT, waitHttp } from './proc.ts';

export interface GatewayOptions {
  /** The Collector-shaped config without `service.telemetry` (added here). */
  config: Record<string, unknown>;
  /** Write a V8 CPU profile into this folder. */
  cpuProfDir?: string;
  /** Allow heap snapshots on SIGUSR2, written into this folder (see `heapSnapshot()`). */
  heapSnapshotDir?: string;
  /** Pin to this CPU list (taskset -c). */
  cpus?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export type SelfMetrics = Map<string, number>;

/** Parses Prometheus text into `name{labels}` -> value (labels as written by the exporter). */
export function parseProm(text: string): SelfMetrics {
  const out: SelfMetrics = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    const v = Number(line.slice(sp + 1));
    out.set(line.slice(0, sp), v);
  }
  return out;
}

/** Sum of every series of `name` whose labels contain all of `has` (e.g. 'exporter="otlp"'). */
export function sumOf(m: SelfMetrics, name: string, ...has: string[]): number {
  let t = 0;
  for (const [k, v] of m) {
    const brace = k.indexOf('{');
    const n = brace < 0 ? k : k.slice(0, brace);
    if (n === name && has.every((h) => k.includes(h))) t += v;
  }
  return t;
}

export class Gateway {
  readonly proc: Measured;
  readonly telemetryUrl: string;
  readonly dir: string;
  private lagSamples: number[] = [];
  private lagTimer: NodeJS.Timeout | undefined;

  private constructor(proc: Measured, telemetryUrl: string, dir: string) {
    this.proc = proc;
    this.telemetryUrl = telemetryUrl;
    this.dir = dir;
  }

  static async start(o: GatewayOptions): Promise<Gateway> {
    const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-bench-'));
    const tport = await freePort();
    const hport = await freePort();
    const service = o.config['service'] as Record<string, unknown>;
    // health_check (ops server) in every config: besides readiness, its listening socket is what keeps a gateway
    // whose only components are a prometheus receiver and a remote-write exporter alive (their timers are unref'd
    // and so is the self-metrics server; without a listening extension such a gateway exits 0 right after start).
    const config = {
      ...o.config,
      extensions: { ...(o.config['extensions'] as Record<string, unknown> | undefined), health_check: { endpoint: `127.0.0.1:${hport}` } },
      service: {
        ...service,
        extensions: [...((service['extensions'] as string[] | undefined) ?? []), 'health_check'],
        telemetry: {
          logs: { level: o.logLevel ?? 'warn' },
          metrics: { readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: tport } } } }] },
        },
      },
    };
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, stringify(config));
    // The flags users run with (npm start, the image); BENCH_NODE_FLAGS replaces them.
    const nodeArgs: string[] = (process.env['BENCH_NODE_FLAGS'] ?? DEFAULT_NODE_FLAGS).split(' ').filter((f) => f !== '');
    if (o.cpuProfDir) {
      mkdirSync(o.cpuProfDir, { recursive: true });
      nodeArgs.push('--cpu-prof', '--cpu-prof-dir', o.cpuProfDir);
    }
    if (o.heapSnapshotDir) {
      mkdirSync(o.heapSnapshotDir, { recursive: true });
      nodeArgs.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${o.heapSnapshotDir}`);
    }
    nodeArgs.push(join(ROOT, 'src', 'cli', 'main.ts'), 'run', '--config', file);
    const proc = o.cpus ? new Measured('taskset', ['-c', o.cpus, NODE, ...nodeArgs], join(dir, 'gateway.log')) : new Measured(NODE, nodeArgs, join(dir, 'gateway.log'));
    const gw = new Gateway(proc, `http://127.0.0.1:${tport}/metrics`, dir);
    await waitHttp(gw.telemetryUrl, 30_000, () => proc.running).catch((err: unknown) => {
      throw new Error(`gateway did not start: ${(err as Error).message}; log: ${join(dir, 'gateway.log')}`);
    });
    return gw;
  }

  get pid(): number {
    return this.proc.pid;
  }

  async selfMetrics(): Promise<SelfMetrics> {
    try {
      const r = await fetch(this.telemetryUrl, { signal: AbortSignal.timeout(5000) });
      return parseProm(await r.text());
    } catch {
      return new Map();
    }
  }

  /**
   * Starts sampling event-loop lag p99 every `everyMs` (the gateway's gauge covers the time since the previous
   * read, so one read every `everyMs` yields one p99 per window). Each read costs the gateway one self-metrics render.
   */
  startLagSampling(everyMs = 5000): void {
    this.lagSamples = [];
    void this.selfMetrics(); // resets the histogram: windows start now
    this.lagTimer = setInterval(() => {
      void this.selfMetrics().then((m) => {
        const v = m.get('otelbridge_process_event_loop_delay_seconds{stat="p99"}');
        if (v !== undefined && Number.isFinite(v)) this.lagSamples.push(v);
      });
    }, everyMs);
  }

  /** Stops sampling; returns the worst and the median of the windows' p99 (seconds). */
  stopLagSampling(): { p99Max: number; p99Median: number; windows: number } {
    clearInterval(this.lagTimer);
    const s = [...this.lagSamples].sort((a, b) => a - b);
    return { p99Max: s.at(-1) ?? NaN, p99Median: s[Math.floor(s.length / 2)] ?? NaN, windows: s.length };
  }

  /**
   * Takes a heap snapshot (the gateway must run with `heapSnapshotDir`): SIGUSR2, then waits until the file stops
   * growing. Blocks the gateway for seconds and doubles its memory for a while: take it after measuring.
   */
  async heapSnapshot(dir: string, timeoutMs = 120_000): Promise<string | undefined> {
    const before = new Set(readdirSync(dir));
    this.proc.child.kill('SIGUSR2');
    const end = Date.now() + timeoutMs;
    let last = -1;
    while (Date.now() < end) {
      await sleep(1000);
      const f = readdirSync(dir).find((x) => x.endsWith('.heapsnapshot') && !before.has(x));
      if (!f) continue;
      const size = statSync(join(dir, f)).size;
      if (size === last && size > 0) return join(dir, f);
      last = size;
    }
    return undefined;
  }

  /** SIGTERM (drain) and wait; returns the CPU profile files written, if any. */
  async stop(cpuProfDir?: string): Promise<string[]> {
    await this.proc.stop(40_000);
    await sleep(100);
    // config + log: kept only when the gateway failed to start, or with BENCH_KEEP_LOGS=1 (e.g. with
    // BENCH_NODE_FLAGS=--trace-gc, to read the GC trace afterwards)
    if (process.env['BENCH_KEEP_LOGS'] === '1') console.error(`gateway config and log kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
    if (!cpuProfDir) return [];
    return readdirSync(cpuProfDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(cpuProfDir, f));
  }
}
