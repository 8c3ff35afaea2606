/**
 * Scrape-target farm: N fake Prometheus targets x M series each, one HTTP server per port on 127.0.0.1 (the workload
 * of ../shared/bench/targets.mjs, so figures compare with peers.sh): ~40% counters (`app_requests_<f>_total`), ~20%
 * gauges (`app_queue_depth_<f>{queue, shard}`), ~40% histogram lines (`app_request_duration_seconds_<f>`, 10 buckets,
 * _sum, _count). Every scrape of a target moves its values (counters grow, gauges change).
 *
 *   npx node bench/load/targets.ts --count 100 --series 1000 [--base-port 0] [--max-seconds 900]
 *
 * `--base-port 0` (default) binds every target to a free port; otherwise ports base..base+N-1.
 * Counts what it offers: scrapes answered (200, body fully written) and, per target, the series and how many of them
 * the bench relabel rule drops (`__name__=~"app_queue_depth_.*", shard="0"`), so a workload can compute the samples
 * it should see delivered. Command `pause` answers 503 from then on (`resume` undoes it).
 */
import http from 'node:http';
import { parseArgs, toolIo } from './common.ts';

const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const CODES = [200, 404, 500];

/** One exposition line: a fixed head (`name{labels} `) and how its value moves: c(ounter), g(auge), s(um). */
type Line = string | [head: string, kind: 'c' | 'g' | 's'];

export interface TargetTemplate {
  lines: Line[];
  series: number;
  /** Series the bench metric_relabel_configs drop (gauges with shard="0"). */
  droppedByRelabel: number;
}

/** The families of target `t` with `series` series (same shapes and order as targets.mjs). */
export function makeTemplate(t: number, series: number): TargetTemplate {
  const lines: Line[] = [];
  let n = 0;
  let f = 0;
  let dropped = 0;
  while (n < series) {
    const kind = f % 5;
    if (kind === 0 || kind === 1) {
      const name = `app_requests_${f}_total`;
      lines.push(`# HELP ${name} Requests handled, family ${f}.`, `# TYPE ${name} counter`);
      for (let i = 0; i < 40 && n < series; i++, n++) {
        lines.push([`${name}{method="${METHODS[i % 4]}",route="/api/v1/item/${i}",code="${CODES[i % 3]}",pod="pod-${t}"} `, 'c']);
      }
    } else if (kind === 2) {
      const name = `app_queue_depth_${f}`;
      lines.push(`# HELP ${name} Items waiting.`, `# TYPE ${name} gauge`);
      for (let i = 0; i < 40 && n < series; i++, n++) {
        if (i % 7 === 0) dropped++;
        lines.push([`${name}{queue="q${i}",shard="${i % 7}"} `, 'g']);
      }
    } else {
      const name = `app_request_duration_seconds_${f}`;
      lines.push(`# HELP ${name} Request latency.`, `# TYPE ${name} histogram`);
      for (let r = 0; r < 3 && n < series; r++) {
        for (const le of BUCKETS) {
          if (n >= series) break;
          lines.push([`${name}_bucket{route="/r${r}",le="${le}"} `, 'c']);
          n++;
        }
        if (n < series) {
          lines.push([`${name}_sum{route="/r${r}"} `, 's']);
          n++;
        }
        if (n < series) {
          lines.push([`${name}_count{route="/r${r}"} `, 'c']);
          n++;
        }
      }
    }
    f++;
  }
  return { lines, series: n, droppedByRelabel: dropped };
}

/** Scrape number `k` (1-based) of a target: values as targets.mjs computes them. */
export function render(tpl: TargetTemplate, k: number): string {
  const out: string[] = [];
  let j = 0;
  for (const line of tpl.lines) {
    if (typeof line === 'string') {
      out.push(line);
      continue;
    }
    j++;
    const [head, kind] = line;
    const v = kind === 'g' ? (j * 7 + k * 13) % 1000 : kind === 's' ? (k * 0.731 * j).toFixed(3) : k * ((j % 17) + 1);
    out.push(head + v);
  }
  out.push('');
  return out.join('\n');
}

export interface FarmStats {
  targets: number;
  seriesPerTarget: number;
  droppedByRelabelPerTarget: number;
  scrapes: number;
  refused: number;
  bytes: number;
  renderSeconds: number;
}

async function main(): Promise<void> {
  const args = parseArgs();
  const count = args.num('count', 100);
  const series = args.num('series', 1000);
  const basePort = args.num('base-port', 0);
  const statsMs = args.num('stats-ms', 1000);
  const servers: http.Server[] = [];
  let paused = false;
  const templates: TargetTemplate[] = [];
  const scrapeNo: number[] = [];
  for (let t = 0; t < count; t++) {
    templates.push(makeTemplate(t, series));
    scrapeNo.push(0);
  }
  const stats: FarmStats = {
    targets: count,
    seriesPerTarget: templates[0]?.series ?? 0,
    droppedByRelabelPerTarget: templates[0]?.droppedByRelabel ?? 0,
    scrapes: 0,
    refused: 0,
    bytes: 0,
    renderSeconds: 0,
  };
  const io = toolIo(args, async () => {
    clearInterval(timer);
    io.emit('done', { stats }, `targets: ${stats.scrapes} scrapes answered`);
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
  io.onCommand('pause', () => (paused = true));
  io.onCommand('resume', () => (paused = false));
  io.onCommand('stats', () => io.emit('stats', { stats }));
  const ports: number[] = [];
  for (let t = 0; t < count; t++) {
    const server = http.createServer((req, res) => {
      if (paused) {
        stats.refused++;
        res.writeHead(503).end('paused');
        return;
      }
      const t0 = performance.now();
      const body = render(templates[t]!, ++scrapeNo[t]!);
      stats.renderSeconds += (performance.now() - t0) / 1000;
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(body, () => {
        stats.scrapes++;
        stats.bytes += body.length;
      });
    });
    server.keepAliveTimeout = 60_000;
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(basePort === 0 ? 0 : basePort + t, '127.0.0.1', () => resolve());
    });
    const a = server.address();
    ports.push(typeof a === 'object' && a ? a.port : 0);
  }
  const timer = setInterval(() => io.emit('stats', { stats }), statsMs);
  timer.unref();
  io.emit('ready', { ports, ...stats }, `targets: ${count} on 127.0.0.1 ports ${ports[0]}..${ports.at(-1)}, ${stats.seriesPerTarget} series each`);
}

if (import.meta.main) await main();
