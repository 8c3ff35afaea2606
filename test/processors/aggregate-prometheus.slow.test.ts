/**
 * The aggregate processor against real Prometheus 2.42: the same samples go to Prometheus through remote write and,
 * as OTLP points, into the aggregator (manual clock: every sample arrives in one aligned 1m interval).
 * - sum_samples / count_samples / count_series / min / max / avg by (zone) equal
 *   sum/count/min/max of sum_over_time / count_over_time / min_over_time / max_over_time over the same window.
 * - increase by (zone) across a counter reset equals Prometheus' `increase(c_total[1m])` once Prometheus'
 *   extrapolation (extrapolatedRate in promql/functions.go, v2.42) is applied to our exact per-series increase:
 *   the difference is by design (the aggregator reports what was counted; Prometheus extrapolates to the window).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressBlock, encodeWriteRequest, type WriteRequestV1 } from '../../src/codec/remotewrite/index.ts';
import { aggregateSchema } from '../../src/processors/aggregate/config.ts';
import { AggregateCore } from '../../src/processors/aggregate/core.ts';
import type { OutputSeries } from '../../src/processors/aggregate/state.ts';
import { prometheus } from '../helpers/peers.ts';
import { freePort } from '../helpers/ports.ts';
import { batch } from './helpers.ts';

const MIN = 60_000;
const W = Math.floor((Date.now() - 10 * MIN) / MIN) * MIN; // window [W, W+1m), 10 minutes ago
const STEP = 5_000;
const N = 12; // samples per series at W+1s, W+6s, ... W+56s

interface Src {
  job: string;
  instance: string;
  zone: string;
}
const SOURCES: Src[] = [
  { job: 'j1', instance: 'i1', zone: 'a' },
  { job: 'j1', instance: 'i2', zone: 'a' },
  { job: 'j2', instance: 'i3', zone: 'a' },
  { job: 'j1', instance: 'i4', zone: 'b' },
  { job: 'j2', instance: 'i5', zone: 'b' },
];

let seed = 42;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

const ts = (k: number) => W + 1000 + k * STEP;
const gaugeVals = SOURCES.map(() => Array.from({ length: N }, () => Math.round((rnd() * 100 - 20) * 1000) / 1000));
const counterVals = SOURCES.map((_, si) => {
  let v = Math.round(rnd() * 1000);
  return Array.from({ length: N }, (_, k) => {
    if (si === 1 && k === 6) v = Math.round(rnd() * 5); // source i2 restarts mid-window
    else v += Math.round(rnd() * 50);
    return v;
  });
});

let proc: ChildProcess | undefined;
let base = '';

before(async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-prom-'));
  writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\n');
  proc = spawn(prometheus(), [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver'], { stdio: 'ignore' });
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 200) throw new Error('prometheus did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  const req: WriteRequestV1 = { timeseries: [] };
  SOURCES.forEach((s, si) => {
    for (const [name, vals] of [['cpu_temp', gaugeVals[si]!], ['c_total', counterVals[si]!]] as const) {
      const labels = [
        { name: '__name__', value: name },
        { name: 'instance', value: s.instance },
        { name: 'job', value: s.job },
        { name: 'zone', value: s.zone },
      ];
      req.timeseries.push({ labels, samples: vals.map((value, k) => ({ value, timestamp: ts(k) })) });
    }
  });
  const res = await fetch(`${base}/api/v1/write`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
    body: compressBlock(encodeWriteRequest(req)),
  });
  assert.equal(res.status, 204, await res.text());
});

after(() => {
  proc?.kill('SIGTERM');
});

async function query(q: string, atMs: number): Promise<Map<string, number>> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}&time=${atMs / 1000}`);
  const j = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  assert.equal(j.status, 'success', JSON.stringify(j));
  return new Map(j.data.result.map((r) => [r.metric['zone']!, Number(r.value[1])]));
}

function aggregate(): OutputSeries[] {
  const cfg = aggregateSchema.parse({
    rules: [
      { match: 'cpu_temp', interval: '1m', by: ['zone'], outputs: ['sum_samples', 'count_samples', 'count_series', 'min', 'max', 'avg'] },
      { match: 'c_total', interval: '1m', by: ['zone'], outputs: ['increase', 'total'] },
    ],
  });
  const core = new AggregateCore(cfg, W - MIN);
  for (let k = 0; k < N; k++) {
    SOURCES.forEach((s, si) => {
      const resource = { 'service.name': s.job, 'service.instance.id': s.instance };
      const time = BigInt(ts(k)) * 1_000_000n;
      core.ingest(batch({ resource, metrics: [{ name: 'cpu_temp', points: [{ attrs: { zone: s.zone }, value: gaugeVals[si]![k]!, time }] }, { name: 'c_total', type: 'sum', points: [{ attrs: { zone: s.zone }, value: counterVals[si]![k]!, time }] }] }), W + 30_000);
    });
  }
  return core.rules.flatMap((r) => r.flush(W + MIN, W + MIN));
}

function ours(outs: OutputSeries[], metric: string): Map<string, number> {
  return new Map(outs.filter((o) => o.metric === metric).map((o) => [o.labels.find((l) => l.name === 'zone')!.value, o.value]));
}

function close(a: Map<string, number>, b: Map<string, number>, what: string): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), what);
  for (const [k, v] of a) {
    const w = b.get(k)!;
    assert.ok(Math.abs(v - w) <= 1e-9 * Math.max(1, Math.abs(w)), `${what} zone=${k}: ours ${v}, prometheus ${w}`);
  }
}

test('sum/count/count_series/min/max/avg by (zone) equal Prometheus over the same window', async () => {
  const outs = aggregate();
  const at = W + MIN; // (W, W+1m] holds every sample
  const r = '[1m]';
  close(ours(outs, 'cpu_temp:1m_by_zone_sum_samples'), await query(`sum by (zone) (sum_over_time(cpu_temp${r}))`, at), 'sum');
  close(ours(outs, 'cpu_temp:1m_by_zone_count_samples'), await query(`sum by (zone) (count_over_time(cpu_temp${r}))`, at), 'count');
  close(ours(outs, 'cpu_temp:1m_by_zone_count_series'), await query(`count by (zone) (count_over_time(cpu_temp${r}))`, at), 'count_series');
  close(ours(outs, 'cpu_temp:1m_by_zone_min'), await query(`min by (zone) (min_over_time(cpu_temp${r}))`, at), 'min');
  close(ours(outs, 'cpu_temp:1m_by_zone_max'), await query(`max by (zone) (max_over_time(cpu_temp${r}))`, at), 'max');
  close(ours(outs, 'cpu_temp:1m_by_zone_avg'), await query(`sum by (zone) (sum_over_time(cpu_temp${r})) / sum by (zone) (count_over_time(cpu_temp${r}))`, at), 'avg');
});

/** Prometheus v2.42 extrapolatedRate(isCounter, isRate=false) for one series' samples in (start, end]. */
function promIncrease(vals: number[], times: number[], start: number, end: number): { raw: number; extrapolated: number } {
  let raw = vals.at(-1)! - vals[0]!;
  for (let i = 1; i < vals.length; i++) if (vals[i]! < vals[i - 1]!) raw += vals[i - 1]!;
  const sampled = (times.at(-1)! - times[0]!) / 1000;
  const avg = sampled / (vals.length - 1);
  let toStart = (times[0]! - start) / 1000;
  const toEnd = (end - times.at(-1)!) / 1000;
  if (raw > 0 && vals[0]! >= 0) {
    const toZero = sampled * (vals[0]! / raw);
    if (toZero < toStart) toStart = toZero;
  }
  const threshold = avg * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : avg / 2;
  interval += toEnd < threshold ? toEnd : avg / 2;
  return { raw, extrapolated: raw * (interval / sampled) };
}

test('increase by (zone) across a counter reset: exact, and equal to Prometheus increase() after its extrapolation', async () => {
  const outs = aggregate();
  const times = Array.from({ length: N }, (_, k) => ts(k));
  const raw = new Map<string, number>();
  const extrapolated = new Map<string, number>();
  SOURCES.forEach((s, si) => {
    const r = promIncrease(counterVals[si]!, times, W, W + MIN);
    raw.set(s.zone, (raw.get(s.zone) ?? 0) + r.raw);
    extrapolated.set(s.zone, (extrapolated.get(s.zone) ?? 0) + r.extrapolated);
  });
  close(ours(outs, 'c_total:1m_by_zone_increase'), raw, 'increase (exact)');
  close(ours(outs, 'c_total:1m_by_zone_total'), raw, 'total (first interval = increase)');
  close(extrapolated, await query('sum by (zone) (increase(c_total[1m]))', W + MIN), 'prometheus increase()');
  assert.ok(counterVals[1]![6]! < counterVals[1]![5]!, 'the fixture has a reset');
});
