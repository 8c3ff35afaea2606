/**
 * `aggregate`: outputs against hand-computed expectations (driven through AggregateCore with a manual clock),
 * reset-aware counters incl. a restart of one source, delta inputs, histograms bucket-wise, naming, staleness,
 * config errors, and through a running gateway: aligned flushes, keep_input, output resources, and checkpoint
 * restore across a processor restart (graceful) and from the last flush (crash).
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { HistogramDataPoint, MetricsData } from '../../src/model/types.ts';
import { aggregateSchema } from '../../src/processors/aggregate/config.ts';
import { AggregateCore } from '../../src/processors/aggregate/core.ts';
import { restore, snapshot, type Checkpoint } from '../../src/processors/aggregate/checkpoint.ts';
import type { OutputSeries } from '../../src/processors/aggregate/state.ts';
import { batch, pipeline, rows, series, type Run } from './helpers.ts';

let run: Run | undefined;
afterEach(async () => {
  await run?.stop();
  run = undefined;
});

const MIN = 60_000;
const T = 1_700_000_040_000; // a multiple of 1m
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

function core(yaml: string, startMs = T - MIN): AggregateCore {
  return new AggregateCore(aggregateSchema.parse(parse(yaml)), startMs);
}

/** "name{k=v} value" for the outputs of one flush (labels sorted), sorted. */
function show(outs: OutputSeries[]): string[] {
  return outs.map((o) => `${o.metric}{${o.labels.map((l) => `${l.name}=${l.value}`).join(',')}} ${Number(o.value.toFixed(6))}`).sort();
}

const gauge = (name: string, pts: { a: Record<string, string>; v: number; t: number }[], resource: Record<string, string> = {}) =>
  batch({ resource, metrics: [{ name, points: pts.map((p) => ({ attrs: p.a, value: p.v, time: ns(p.t) })) }] });
const counter = (name: string, pts: { a?: Record<string, string>; v: number; t: number; s?: number }[], resource: Record<string, string> = {}, temporality: 1 | 2 = 2) =>
  batch({ resource, metrics: [{ name, type: 'sum', temporality, points: pts.map((p) => ({ attrs: p.a ?? {}, value: p.v, time: ns(p.t), start: p.s === undefined ? 0n : ns(p.s) })) }] });

test('gauge outputs by label: sum/count/count_series/min/max/avg/last/quantiles', () => {
  const c = core(`rules: [{match: '{__name__="temp"}', interval: 1m, by: [room], outputs: [sum_samples, count_samples, count_series, min, max, avg, last, "quantiles(0.5, 0.9)"]}]`);
  c.ingest(gauge('temp', [{ a: { room: 'a', sensor: '1' }, v: 1, t: T + 1000 }, { a: { room: 'a', sensor: '2' }, v: 5, t: T + 2000 }, { a: { room: 'b', sensor: '1' }, v: 10, t: T + 1000 }]), T + 5000);
  c.ingest(gauge('temp', [{ a: { room: 'a', sensor: '1' }, v: 3, t: T + 3000 }]), T + 6000);
  c.ingest(gauge('other', [{ a: { room: 'a' }, v: 99, t: T }]), T + 6000);
  const out = c.rules[0]!.flush(T + MIN, T + MIN);
  assert.deepEqual(show(out), [
    'temp:1m_by_room_avg{room=a} 3',
    'temp:1m_by_room_avg{room=b} 10',
    'temp:1m_by_room_count_samples{room=a} 3',
    'temp:1m_by_room_count_samples{room=b} 1',
    'temp:1m_by_room_count_series{room=a} 2',
    'temp:1m_by_room_count_series{room=b} 1',
    'temp:1m_by_room_last{room=a} 3',
    'temp:1m_by_room_last{room=b} 10',
    'temp:1m_by_room_max{room=a} 5',
    'temp:1m_by_room_max{room=b} 10',
    'temp:1m_by_room_min{room=a} 1',
    'temp:1m_by_room_min{room=b} 10',
    'temp:1m_by_room_quantiles{quantile=0.5,room=a} 3',
    'temp:1m_by_room_quantiles{quantile=0.5,room=b} 10',
    'temp:1m_by_room_quantiles{quantile=0.9,room=a} 4.6',
    'temp:1m_by_room_quantiles{quantile=0.9,room=b} 10',
    'temp:1m_by_room_sum_samples{room=a} 9',
    'temp:1m_by_room_sum_samples{room=b} 10',
  ]);
  for (const o of out) assert.deepEqual([o.kind, o.start, o.time], ['gauge', ns(T), ns(T + MIN)]);
  // Nothing arrived in the next interval: no gauge outputs.
  assert.deepEqual(c.rules[0]!.flush(T + 2 * MIN, T + 2 * MIN), []);
});

test('counters: total/increase/rate_* are reset-aware across a restart of one source', () => {
  const c = core(`rules: [{match: req_total, interval: 1m, by: [code], outputs: [total, increase, rate_sum, rate_avg]}]`);
  const r = c.rules[0]!;
  const i1 = { 'service.name': 'api', 'service.instance.id': 'i1' };
  const i2 = { 'service.name': 'api', 'service.instance.id': 'i2' };
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 100, t: T }], i1), T);
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 50, t: T }], i2), T);
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 110, t: T + 30_000 }], i1), T + 30_000);
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 60, t: T + 30_000 }], i2), T + 30_000);
  assert.deepEqual(show(r.flush(T + MIN, T + MIN)), [
    'req_total:1m_by_code_increase{code=200} 20',
    'req_total:1m_by_code_rate_avg{code=200} 0.333333',
    'req_total:1m_by_code_rate_sum{code=200} 0.666667',
    'req_total:1m_by_code_total{code=200} 20',
  ]);
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 130, t: T + 60_000 }], i1), T + 61_000);
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 70, t: T + 60_000 }], i2), T + 61_000);
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 5, t: T + 90_000 }], i1), T + 91_000); // i1 restarted
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 80, t: T + 90_000 }], i2), T + 91_000);
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 75, t: T + 80_000 }], i2), T + 92_000); // out of order: ignored
  assert.deepEqual(show(r.flush(T + 2 * MIN, T + 2 * MIN)), [
    'req_total:1m_by_code_increase{code=200} 45',
    'req_total:1m_by_code_rate_avg{code=200} 0.375',
    'req_total:1m_by_code_rate_sum{code=200} 0.75',
    'req_total:1m_by_code_total{code=200} 65',
  ]);
  // A changed start time is a restart even when the value did not go down (i3: its first point is a baseline).
  const i3 = { 'service.name': 'api', 'service.instance.id': 'i3' };
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 10, t: T + 121_000, s: T - 30_000 }], i3), T + 121_000);
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 20, t: T + 130_000, s: T - 30_000 }], i3), T + 130_000);
  c.ingest(counter('req_total', [{ a: { code: '200' }, v: 25, t: T + 150_000, s: T + 140_000 }], i3), T + 150_000);
  const third = r.flush(T + 3 * MIN, T + 3 * MIN);
  assert.deepEqual(show(third).filter((x) => /_(total|increase)\{/.test(x)), ['req_total:1m_by_code_increase{code=200} 35', 'req_total:1m_by_code_total{code=200} 100']);
  const total = third.find((o) => o.metric.endsWith('_total'))!;
  assert.deepEqual([total.kind, total.start, total.time], ['sum', ns(T), ns(T + 3 * MIN)]);
});

test('counters: delta inputs add their values; a new counter started after the processor counts whole', () => {
  const c = core(`rules: [{match: '{__name__=~"d_total|n_total"}', interval: 1m, outputs: [total, increase]}]`, T - 1000);
  c.ingest(counter('d_total', [{ v: 5, t: T + 10_000, s: T }], {}, 1), T + 10_000);
  c.ingest(counter('d_total', [{ v: 7, t: T + 20_000, s: T + 10_000 }], {}, 1), T + 20_000);
  c.ingest(counter('n_total', [{ v: 42, t: T + 20_000, s: T + 5_000 }]), T + 20_000); // started after the processor
  c.ingest(counter('n_total', [{ a: { old: 'y' }, v: 1000, t: T + 20_000, s: T - 3_600_000 }]), T + 20_000); // older: baseline
  assert.deepEqual(show(c.rules[0]!.flush(T + MIN, T + MIN)), ['d_total:1m_increase{} 12', 'd_total:1m_total{} 12', 'n_total:1m_increase{old=y} 0', 'n_total:1m_increase{} 42', 'n_total:1m_total{old=y} 0', 'n_total:1m_total{} 42']);
});

function histBatch(name: string, pts: { a: Record<string, string>; counts: number[]; bounds?: number[]; sum: number; t: number }[]): MetricsData {
  const md = batch({ metrics: [] });
  const points: HistogramDataPoint[] = pts.map((p) => ({ attributes: Object.entries(p.a).map(([key, value]) => ({ key, value })), startTimeUnixNano: 0n, timeUnixNano: ns(p.t), flags: 0, count: p.counts.reduce((a, b) => a + b, 0), sum: p.sum, bucketCounts: p.counts, explicitBounds: p.bounds ?? [1, 5], exemplars: [], min: undefined, max: undefined }));
  md.resourceMetrics[0]!.scopeMetrics[0]!.metrics.push({ type: 'histogram', name, description: '', unit: 's', metadata: [], temporality: 2, points });
  return md;
}

test('histogram_bucket aggregates cumulative histograms bucket-wise and reset-aware', () => {
  const c = core(`rules: [{match: lat, interval: 1m, by: [code], outputs: [histogram_bucket, count_series]}]`);
  c.ingest(histBatch('lat', [{ a: { code: '200', pod: 'a' }, counts: [1, 2, 0], sum: 6, t: T }, { a: { code: '200', pod: 'b' }, counts: [0, 0, 0], sum: 0, t: T }]), T);
  c.ingest(histBatch('lat', [{ a: { code: '200', pod: 'a' }, counts: [2, 3, 1], sum: 16, t: T + 10_000 }, { a: { code: '200', pod: 'b' }, counts: [0, 1, 0], sum: 2, t: T + 10_000 }]), T + 10_000);
  c.ingest(histBatch('lat', [{ a: { code: '200', pod: 'c' }, counts: [1, 1], bounds: [3], sum: 2, t: T + 10_000 }]), T + 10_000);
  let out = c.rules[0]!.flush(T + MIN, T + MIN);
  const h = out.find((o) => o.kind === 'histogram')!;
  assert.equal(h.metric, 'lat:1m_by_code_histogram_bucket');
  assert.deepEqual(h.hist, { bounds: [1, 5], counts: [1, 2, 1], count: 4, sum: 12 });
  assert.equal(out.find((o) => o.metric.endsWith('count_series'))!.value, 3);
  assert.equal(c.rules[0]!.boundsMismatch, 1);
  // pod a restarts: its new counts are added whole.
  c.ingest(histBatch('lat', [{ a: { code: '200', pod: 'a' }, counts: [1, 0, 0], sum: 0.5, t: T + 70_000 }]), T + 70_000);
  out = c.rules[0]!.flush(T + 2 * MIN, T + 2 * MIN);
  assert.deepEqual(out.find((o) => o.kind === 'histogram')!.hist, { bounds: [1, 5], counts: [2, 2, 1], count: 5, sum: 12.5 });
});

test('naming: by/without labels sorted and joined; neither = per input series; __name__ kept', () => {
  const c = core(`rules:
  - {interval: 1m, by: [job, code], outputs: [count_samples]}
  - {interval: 30s, without: [pod, instance], outputs: [sum_samples]}
  - {interval: 1m, outputs: [max]}
  - {match: [nope, '{code="200"}'], interval: 1m, by: [code], outputs: [last]}`);
  c.ingest(gauge('m', [{ a: { code: '200', pod: 'p1' }, v: 2, t: T }], { 'service.name': 'api', 'service.instance.id': 'i1' }), T);
  assert.deepEqual(show(c.rules[0]!.flush(T + MIN, T + MIN)), ['m:1m_by_code_job_count_samples{code=200,job=api} 1']);
  assert.deepEqual(show(c.rules[1]!.flush(T + MIN, T + MIN)), ['m:30s_without_instance_pod_sum_samples{code=200,job=api} 2']);
  assert.deepEqual(show(c.rules[2]!.flush(T + MIN, T + MIN)), ['m:1m_max{code=200,instance=i1,job=api,pod=p1} 2']);
  assert.deepEqual(show(c.rules[3]!.flush(T + MIN, T + MIN)), ['m:1m_by_code_last{code=200} 2'], 'a list of selectors: any matches');
});

test('staleness: idle series leave count_series; an idle group stops emitting total', () => {
  const c = core(`rules: [{interval: 1m, staleness_interval: 2m, by: [code], outputs: [total, count_series]}]`);
  const r = c.rules[0]!;
  c.ingest(counter('x', [{ a: { code: '1' }, v: 1, t: T }]), T);
  c.ingest(counter('x', [{ a: { code: '1' }, v: 3, t: T + 1000 }]), T + 1000);
  assert.deepEqual(show(r.flush(T + MIN, T + MIN)), ['x:1m_by_code_count_series{code=1} 1', 'x:1m_by_code_total{code=1} 2']);
  assert.deepEqual(show(r.flush(T + 2 * MIN, T + 2 * MIN)), ['x:1m_by_code_total{code=1} 2']);
  assert.deepEqual(show(r.flush(T + 3 * MIN, T + 3 * MIN + 1)), []);
  assert.equal(r.groups.size, 0);
});

test('checkpoint from the last flush (crash after it): total continues without a drop or a double count', () => {
  const rules = `rules: [{match: c_total, interval: 1m, outputs: [total]}]`;
  const a = core(rules);
  a.ingest(counter('c_total', [{ v: 10, t: T }]), T);
  a.ingest(counter('c_total', [{ v: 15, t: T + 10_000 }]), T + 10_000);
  assert.deepEqual(show(a.rules[0]!.flush(T + MIN, T + MIN)), ['c_total:1m_total{} 5']);
  const cp = JSON.parse(JSON.stringify(snapshot('aggregate', a.startMs, a.rules, T + MIN))) as Checkpoint;
  a.ingest(counter('c_total', [{ v: 18, t: T + 70_000 }]), T + 70_000); // lost with the crash
  const b = core(rules, T + 80_000);
  assert.equal(restore(cp, b.rules), 1);
  b.ingest(counter('c_total', [{ v: 20, t: T + 90_000 }]), T + 90_000);
  assert.deepEqual(show(b.rules[0]!.flush(T + 2 * MIN, T + 2 * MIN)), ['c_total:1m_total{} 10']);
  // A changed rule does not inherit the old state.
  const changed = core(`rules: [{match: c_total, interval: 2m, outputs: [total]}]`);
  assert.equal(restore(cp, changed.rules), 0);
});

test('dedup_interval: only the latest sample per series and dedup window is aggregated', () => {
  const c = core(`rules: [{interval: 1m, dedup_interval: 30s, outputs: [count_samples, sum_samples]}]`);
  const r = c.rules[0]!;
  // Two replicas send the same series in the first window; the later sample wins.
  c.ingest(gauge('g', [{ a: {}, v: 1, t: T + 1000 }]), T + 1000);
  c.ingest(gauge('g', [{ a: {}, v: 2, t: T + 2000 }]), T + 2000);
  c.ingest(gauge('g', [{ a: {}, v: 9, t: T + 1500 }]), T + 2500); // older than the held one: ignored
  r.drain(T + 30_000);
  c.ingest(gauge('g', [{ a: {}, v: 5, t: T + 31_000 }]), T + 31_000);
  c.ingest(gauge('g', [{ a: {}, v: 6, t: T + 32_000 }]), T + 32_000);
  assert.deepEqual(show(r.flush(T + MIN, T + MIN)), ['g:1m_count_samples{} 2', 'g:1m_sum_samples{} 8']);
});

const badRules: [string, string][] = [
  [`{interval: 500ms, outputs: [total]}`, 'interval must be at least 1s'],
  [`{interval: 1m, outputs: [total], by: [a], without: [b]}`, '`by` and `without` cannot be set together'],
  [`{interval: 1m, outputs: [total], by: [__name__]}`, '__name__ is always part of the grouping'],
  [`{interval: 1m, outputs: [stddev]}`, 'unsupported output "stddev"'],
  [`{interval: 1m, outputs: ["quantiles(1.5)"]}`, 'phi inside quantiles(1.5) must be in the range [0..1]'],
  [`{interval: 1m, outputs: ["quantiles()"]}`, 'quantiles() must contain at least one phi'],
  [`{interval: 1m, outputs: [total, total]}`, 'output total is listed twice'],
  [`{interval: 1m, outputs: []}`, 'outputs must list at least one output'],
  [`{interval: 1m, staleness_interval: 30s, outputs: [total]}`, 'staleness_interval (30s) cannot be smaller than interval (1m)'],
  [`{interval: 1m, match: '{a=~"("}', outputs: [total]}`, 'invalid series selector'],
  [`{interval: often, outputs: [total]}`, 'invalid duration "often"'],
  [`{interval: 1m, outputs: [total], dedup_interval: 2m}`, 'dedup_interval (2m) cannot exceed interval (1m)'],
  [`{interval: 1m, outputs: [total], dedup_interval: 7s}`, 'interval (1m) must be a multiple of dedup_interval (7s)'],
  [`{interval: 1m, outputs: [total], dedup: true}`, 'dedup'],
];
for (const [rule, msg] of badRules) {
  test(`aggregate config error: ${msg}`, () => {
    const r = aggregateSchema.safeParse(parse(`rules: [${rule}]`));
    assert.equal(r.success, false);
    assert.ok(JSON.stringify(r.error!.issues).includes(msg.replace(/"/g, '\\"')), JSON.stringify(r.error!.issues));
  });
}

const sleepToNextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 150));

test('gateway: flushes aligned to the interval; keep_input false drops matched inputs as aggregated; job -> service.name', async () => {
  run = await pipeline(`  aggregate:\n    rules:\n      - {match: 'x_total', interval: 1s, by: [job], outputs: [total, count_samples]}\n      - {match: 'y', interval: 1s, outputs: [max], keep_input: true}\n`, ['aggregate']);
  await sleepToNextSecond();
  await run.push(counter('x_total', [{ a: { k: '1' }, v: 1, t: Date.now() }, { a: { k: '2' }, v: 1, t: Date.now() }], { 'service.name': 'api' }));
  await run.push(gauge('y', [{ a: {}, v: 7, t: Date.now() }]));
  assert.deepEqual(series(...run.record()), ['y{} 7'], 'x_total is consumed, y passes');
  await sleepToNextSecond();
  const outs = rows(...run.record().slice(1));
  assert.deepEqual(outs.map((r) => `${r.name} ${JSON.stringify(r.resource)} ${JSON.stringify(r.attrs)} ${String(r.value)} ${r.type}`).sort(), [
    'x_total:1s_by_job_count_samples {"service.name":"api"} {} 2 gauge',
    'x_total:1s_by_job_total {"service.name":"api"} {} 0 sum',
    'y:1s_max {} {} 7 gauge',
  ]);
  for (const r of outs) {
    assert.equal(r.point.timeUnixNano % 1_000_000_000n, 0n, 'stamped at a whole second');
    assert.equal(r.scope, 'otel-bridge/aggregate');
  }
  const cnt = run.counters('aggregate');
  assert.equal(cnt['otelbridge_processor_aggregated_items'], 2);
  assert.equal(cnt['otelcol_processor_incoming_items'], 3);
});

test('gateway: checkpoint restore across a processor restart continues total exactly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-agg-'));
  const cfg = `  aggregate/t:\n    directory: ${dir}\n    rules:\n      - {match: c_total, interval: 1s, outputs: [total]}\n`;
  const totals = (r: Run) => rows(...r.record()).filter((x) => x.name === 'c_total:1s_total').map((x) => x.value as number);
  run = await pipeline(cfg, ['aggregate/t']);
  await run.push(counter('c_total', [{ v: 100, t: Date.now() }]));
  await sleepToNextSecond();
  await run.push(counter('c_total', [{ v: 150, t: Date.now() }]));
  await run.stop(); // shutdown flush + checkpoint
  const first = totals(run);
  assert.equal(first.at(-1), 50);
  const file = join(dir, 'aggregate_t-metrics.json');
  assert.ok(existsSync(file));
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as Checkpoint).rules[0]!.groups[0]!.total, 50);
  run = await pipeline(cfg, ['aggregate/t']);
  await run.push(counter('c_total', [{ v: 170, t: Date.now() }]));
  await run.push(counter('c_total', [{ v: 3, t: Date.now() + 1 }])); // the source restarted too
  await sleepToNextSecond();
  assert.deepEqual(totals(run).slice(0, 1), [73]);
});
