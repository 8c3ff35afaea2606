/**
 * `aggregate` by input type (issue 6 follow-up): histogram_bucket over plain samples (VictoriaMetrics `vmrange`
 * buckets, cumulative as vmagent), exponential histograms merged bucket-wise at the lowest common scale, summaries
 * as `_sum`/`_count` counters with their quantiles counted as ignored, unusable inputs counted (never silently), the
 * series identity cache (prom identity, attribute order, expiry), and checkpoints of the new state (plus files
 * written before it).
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { ExponentialHistogramDataPoint, Label, MetricsData, SummaryDataPoint } from '../../src/model/types.ts';
import { restore, snapshot, type Checkpoint } from '../../src/processors/aggregate/checkpoint.ts';
import { aggregateSchema } from '../../src/processors/aggregate/config.ts';
import { AggregateCore } from '../../src/processors/aggregate/core.ts';
import { diffExp, mergeExp, MAX_EXP_BUCKETS, type ExpHist } from '../../src/processors/aggregate/exphist.ts';
import type { OutputSeries } from '../../src/processors/aggregate/state.ts';
import { vmBucket, vmrange, VM_BUCKETS, VM_LOWER, VM_UPPER } from '../../src/processors/aggregate/vmrange.ts';
import { batch, pipeline, rows, type Run } from './helpers.ts';

let run: Run | undefined;
afterEach(async () => {
  await run?.stop();
  run = undefined;
});

const MIN = 60_000;
const T = 1_700_000_040_000; // a multiple of 1m
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const core = (yaml: string, startMs = T - MIN) => new AggregateCore(aggregateSchema.parse(parse(yaml)), startMs);
const show = (outs: OutputSeries[]) => outs.map((o) => `${o.metric}{${o.labels.map((l) => `${l.name}=${l.value}`).join(',')}} ${o.value}`).sort();

const gauge = (name: string, pts: { a?: Record<string, string>; v: number; t: number }[], resource: Record<string, string> = {}) =>
  batch({ resource, metrics: [{ name, points: pts.map((p) => ({ attrs: p.a ?? {}, value: p.v, time: ns(p.t) })) }] });
const counter = (name: string, pts: { a?: Record<string, string>; v: number; t: number }[]) => batch({ metrics: [{ name, type: 'sum', temporality: 2, points: pts.map((p) => ({ attrs: p.a ?? {}, value: p.v, time: ns(p.t) })) }] });

// ---- vmrange buckets -------------------------------------------------------------------------------------------

// Literal bucket names as VictoriaMetrics exposes them (its documentation's vm_rows_read_per_query example), the
// edges, and Prometheus `le` semantics at a power of ten.
const vmCases: [number, string][] = [
  [450, '4.084e+02...4.642e+02'],
  [550, '5.275e+02...5.995e+02'],
  [1000, '8.799e+02...1.000e+03'],
  [1500, '1.468e+03...1.668e+03'],
  [0, '0...1.000e-09'],
  [1e-10, '0...1.000e-09'],
  [1e-9, '1.000e-09...1.136e-09'], // as VictoriaMetrics: the first bound itself opens the first bucket
  [1e18, '1.000e+18...+Inf'], // as VictoriaMetrics: the last bound itself is in the upper bucket
  [2e18, '1.000e+18...+Inf'],
  [Infinity, '1.000e+18...+Inf'],
];
for (const [v, want] of vmCases) {
  test(`vmrange: ${v} -> ${want}`, () => {
    assert.equal(vmrange(vmBucket(v)), want);
  });
}

test('vmrange: 18 contiguous buckets per decade; every value lies in (start, end] of its bucket', () => {
  assert.equal(VM_BUCKETS, 27 * 18);
  for (let i = 1; i < VM_BUCKETS; i++) assert.equal(vmrange(i).split('...')[0], vmrange(i - 1).split('...')[1], `bucket ${i} starts where ${i - 1} ends`);
  assert.equal(vmrange(VM_LOWER).split('...')[1], vmrange(0).split('...')[0]);
  assert.equal(vmrange(VM_UPPER).split('...')[0], vmrange(VM_BUCKETS - 1).split('...')[1]);
  for (let e = -9; e < 18; e++) assert.equal(vmrange((e + 9) * 18 + 17).split('...')[1], `1.000e${e + 1 < 0 ? '-' : '+'}${String(Math.abs(e + 1)).padStart(2, '0')}`, `decade ${e} ends at a power of ten`);
  for (const v of [3e-9, 0.0123, 0.5, 1, 1.0001, 7.77, 42, 99.99, 100, 123456, 3.3e17]) {
    const [lo, hi] = vmrange(vmBucket(v)).split('...').map(Number) as [number, number];
    // bounds are printed with 4 significant digits: compare with that tolerance
    assert.ok(lo < v * (1 + 5e-4) && v <= hi * (1 + 5e-4), `${v} in ${vmrange(vmBucket(v))}`);
  }
});

test('histogram_bucket on gauges: vmrange buckets by label, cumulative across intervals, negatives counted as ignored', () => {
  const c = core(`rules: [{match: rows, interval: 1m, by: [db], outputs: [histogram_bucket, count_samples]}]`);
  const r = c.rules[0]!;
  c.ingest(gauge('rows', [{ a: { db: 'a', pod: '1' }, v: 450, t: T + 1000 }, { a: { db: 'a', pod: '2' }, v: 460, t: T + 1000 }, { a: { db: 'a', pod: '1' }, v: 550, t: T + 2000 }, { a: { db: 'b' }, v: 1500, t: T + 1000 }, { a: { db: 'b' }, v: -3, t: T + 2000 }]), T + 3000);
  const first = r.flush(T + MIN, T + MIN);
  assert.deepEqual(show(first), [
    'rows:1m_by_db_count_samples{db=a} 3',
    'rows:1m_by_db_count_samples{db=b} 2',
    'rows:1m_by_db_histogram_bucket{db=a,vmrange=4.084e+02...4.642e+02} 2',
    'rows:1m_by_db_histogram_bucket{db=a,vmrange=5.275e+02...5.995e+02} 1',
    'rows:1m_by_db_histogram_bucket{db=b,vmrange=1.468e+03...1.668e+03} 1',
  ]);
  for (const o of first.filter((x) => x.metric.endsWith('histogram_bucket'))) assert.deepEqual([o.kind, o.start], ['gauge', ns(T)]);
  assert.deepEqual(r.ignored(), [['histogram_bucket', 'negative_value', 1]]);
  // Next interval: one new sample; the counts keep growing (vmagent's histogram_bucket is cumulative).
  c.ingest(gauge('rows', [{ a: { db: 'a', pod: '1' }, v: 1000, t: T + MIN + 1000 }]), T + MIN + 1000);
  assert.deepEqual(show(r.flush(T + 2 * MIN, T + 2 * MIN)), [
    'rows:1m_by_db_count_samples{db=a} 1',
    'rows:1m_by_db_histogram_bucket{db=a,vmrange=4.084e+02...4.642e+02} 2',
    'rows:1m_by_db_histogram_bucket{db=a,vmrange=5.275e+02...5.995e+02} 1',
    'rows:1m_by_db_histogram_bucket{db=a,vmrange=8.799e+02...1.000e+03} 1',
    'rows:1m_by_db_histogram_bucket{db=b,vmrange=1.468e+03...1.668e+03} 1',
  ]);
  // As OTLP: gauges named <metric>:<interval>_by_<labels>_histogram_bucket with a vmrange attribute. db=b has been
  // idle for the staleness interval (2m): its group and buckets are gone, as vmagent forgets idle histograms.
  const md = c.toMetrics(r.flush(T + 3 * MIN, T + 3 * MIN));
  const out = rows(md).filter((x) => x.name === 'rows:1m_by_db_histogram_bucket');
  for (const x of out) assert.deepEqual([x.type, x.attrs['db']], ['gauge', 'a']);
  assert.deepEqual(out.map((x) => `${x.attrs['vmrange']} ${String(x.value)}`).sort(), ['4.084e+02...4.642e+02 2', '5.275e+02...5.995e+02 1', '8.799e+02...1.000e+03 1']);
});

// ---- exponential histograms ------------------------------------------------------------------------------------

const eh = (scale: number, pos: [number, number[]], o: Partial<ExpHist> = {}): ExpHist => {
  const count = pos[1].reduce((a, b) => a + b, 0) + (o.zeroCount ?? 0);
  return { scale, zeroCount: 0, zeroThreshold: 0, positive: { offset: pos[0], counts: pos[1] }, negative: { offset: 0, counts: [] }, count, sum: 0, min: Infinity, max: -Infinity, ...o };
};
const shape = (h: ExpHist | undefined) => (h === undefined ? undefined : { scale: h.scale, zero: h.zeroCount, pos: [h.positive.offset, h.positive.counts], count: h.count });

// Bucket i at scale s is (2^(i/2^s), 2^((i+1)/2^s)]: one scale lower, buckets 2k and 2k+1 become bucket k.
const mergeCases: { name: string; a: ExpHist; b: ExpHist; want: ReturnType<typeof shape> }[] = [
  { name: 'same scale: bucket-wise sum', a: eh(0, [1, [1, 2]]), b: eh(0, [2, [5, 1]]), want: { scale: 0, zero: 0, pos: [1, [1, 7, 1]], count: 9 } },
  { name: 'scale 1 + scale 0 -> scale 0', a: eh(1, [0, [1, 2]]), b: eh(0, [0, [3]]), want: { scale: 0, zero: 0, pos: [0, [6]], count: 6 } },
  { name: 'negative indices floor when downscaled', a: eh(2, [-3, [1, 1, 1, 1]]), b: eh(0, [0, []]), want: { scale: 0, zero: 0, pos: [-1, [3, 1]], count: 4 } },
  { name: 'wider zero threshold folds the buckets under it', a: eh(0, [0, [5, 1]], { zeroCount: 1 }), b: eh(0, [0, []], { zeroCount: 2, zeroThreshold: 2 }), want: { scale: 0, zero: 8, pos: [1, [1]], count: 9 } },
  { name: `wider than ${MAX_EXP_BUCKETS} buckets: downscaled until it fits`, a: eh(0, [0, [1]]), b: eh(0, [200, [1]]), want: { scale: -1, zero: 0, pos: [0, [1, ...new Array<number>(99).fill(0), 1]], count: 2 } },
];
for (const c of mergeCases) {
  test(`exphist merge: ${c.name}`, () => {
    assert.deepEqual(shape(mergeExp(c.a, c.b)), c.want);
  });
}

test('exphist diff: cumulative increase at the common scale; a count that went down is a reset', () => {
  assert.deepEqual(shape(diffExp(eh(0, [0, [4, 4]]), eh(1, [0, [1, 1, 2]]))), { scale: 0, zero: 0, pos: [0, [2, 2]], count: 4 });
  assert.equal(diffExp(eh(0, [0, [4, 0]]), eh(0, [0, [1, 1]])), undefined, 'bucket 1 went down');
  assert.equal(diffExp(eh(0, [0, [1]]), eh(0, [0, [3]])), undefined, 'count went down');
});

function expBatch(name: string, pts: { a: Record<string, string>; scale: number; pos: [number, number[]]; zero?: number; sum: number; min?: number; max?: number; t: number; s?: number }[], temporality: 1 | 2 = 2): MetricsData {
  const md = batch({ metrics: [] });
  const points: ExponentialHistogramDataPoint[] = pts.map((p) => ({
    attributes: Object.entries(p.a).map(([key, value]) => ({ key, value })),
    startTimeUnixNano: p.s === undefined ? 0n : ns(p.s),
    timeUnixNano: ns(p.t),
    flags: 0,
    count: p.pos[1].reduce((x, y) => x + y, 0) + (p.zero ?? 0),
    sum: p.sum,
    scale: p.scale,
    zeroCount: p.zero ?? 0,
    zeroThreshold: 0,
    positive: { offset: p.pos[0], bucketCounts: p.pos[1] },
    negative: { offset: 0, bucketCounts: [] },
    exemplars: [],
    min: p.min,
    max: p.max,
  }));
  md.resourceMetrics[0]!.scopeMetrics[0]!.metrics.push({ type: 'exponential_histogram', name, description: '', unit: 's', metadata: [], temporality, points });
  return md;
}

test('exponential histograms: histogram_bucket merges series at the lowest scale, reset-aware; other outputs count them as ignored', () => {
  const c = core(`rules: [{match: lat, interval: 1m, by: [code], outputs: [histogram_bucket, count_series, sum_samples]}]`);
  const r = c.rules[0]!;
  // Baselines (cumulative series seen for the first time, started before the processor).
  c.ingest(expBatch('lat', [{ a: { code: '200', pod: 'a' }, scale: 1, pos: [0, [1, 1]], sum: 3, t: T }, { a: { code: '200', pod: 'b' }, scale: 0, pos: [0, [2]], sum: 3, t: T }]), T);
  // +2 in bucket 1 (scale 1) for a, +1 in bucket 0 (scale 0) and +1 zero for b.
  c.ingest(expBatch('lat', [{ a: { code: '200', pod: 'a' }, scale: 1, pos: [0, [1, 3]], sum: 6, min: 1.1, max: 2, t: T + 10_000 }, { a: { code: '200', pod: 'b' }, scale: 0, pos: [0, [3]], zero: 1, sum: 4.5, min: 0, max: 1.8, t: T + 10_000 }]), T + 10_000);
  let out = r.flush(T + MIN, T + MIN);
  const h = out.find((o) => o.kind === 'exphistogram')!;
  assert.equal(h.metric, 'lat:1m_by_code_histogram_bucket');
  assert.deepEqual(shape(h.ehist), { scale: 0, zero: 1, pos: [0, [3]], count: 4 });
  assert.deepEqual([h.ehist!.sum, h.ehist!.min, h.ehist!.max], [4.5, 0, 2]);
  assert.equal(out.find((o) => o.metric.endsWith('count_series'))!.value, 2);
  assert.equal(out.find((o) => o.metric.endsWith('sum_samples')), undefined);
  assert.deepEqual(r.ignored(), [['sum_samples', 'exponential_histogram_input', 4]]);
  // pod a restarts (count went down): its new counts are added whole.
  c.ingest(expBatch('lat', [{ a: { code: '200', pod: 'a' }, scale: 2, pos: [4, [1]], sum: 2.1, t: T + 70_000 }]), T + 70_000);
  out = r.flush(T + 2 * MIN, T + 2 * MIN);
  assert.deepEqual(shape(out.find((o) => o.kind === 'exphistogram')!.ehist), { scale: 0, zero: 1, pos: [0, [3, 1]], count: 5 });
  // As OTLP: a cumulative exponential histogram.
  const m = c.toMetrics(out).resourceMetrics[0]!.scopeMetrics[0]!.metrics.find((x) => x.type === 'exponential_histogram')!;
  assert.equal(m.type === 'exponential_histogram' && m.temporality, 2);
  const p = m.points[0] as ExponentialHistogramDataPoint;
  assert.deepEqual([p.scale, p.zeroCount, p.positive.offset, p.positive.bucketCounts, p.count, p.min, p.max], [0, 1, 0, [3, 1], 5, 0, 2]);
});

test('exponential histograms: delta inputs add whole', () => {
  const c = core(`rules: [{match: lat, interval: 1m, outputs: [histogram_bucket]}]`);
  c.ingest(expBatch('lat', [{ a: {}, scale: 0, pos: [0, [1]], sum: 1.5, t: T + 1000, s: T }, { a: {}, scale: 1, pos: [0, [0, 2]], sum: 3.8, t: T + 2000, s: T + 1000 }], 1), T + 2000);
  assert.deepEqual(shape(c.rules[0]!.flush(T + MIN, T + MIN)[0]!.ehist), { scale: 0, zero: 0, pos: [0, [3]], count: 3 });
});

// ---- summaries and unusable inputs -------------------------------------------------------------------------------

function summaryBatch(name: string, pts: { a: Record<string, string>; count: number; sum: number; t: number }[]): MetricsData {
  const md = batch({ metrics: [] });
  const points: SummaryDataPoint[] = pts.map((p) => ({ attributes: Object.entries(p.a).map(([key, value]) => ({ key, value })), startTimeUnixNano: 0n, timeUnixNano: ns(p.t), flags: 0, count: p.count, sum: p.sum, quantileValues: [{ quantile: 0.5, value: 0.1 }, { quantile: 0.99, value: 0.9 }] }));
  md.resourceMetrics[0]!.scopeMetrics[0]!.metrics.push({ type: 'summary', name, description: '', unit: 's', metadata: [], points });
  return md;
}

test('summaries: _sum and _count aggregate as reset-aware counters; quantiles are counted as ignored', () => {
  const c = core(`rules: [{match: rpc, interval: 1m, by: [code], outputs: [total, increase]}]`);
  const r = c.rules[0]!;
  c.ingest(summaryBatch('rpc', [{ a: { code: '0', pod: 'a' }, count: 10, sum: 2, t: T }, { a: { code: '0', pod: 'b' }, count: 5, sum: 1, t: T }]), T);
  c.ingest(summaryBatch('rpc', [{ a: { code: '0', pod: 'a' }, count: 14, sum: 2.5, t: T + 10_000 }, { a: { code: '0', pod: 'b' }, count: 2, sum: 0.25, t: T + 10_000 }]), T + 10_000); // b restarted
  assert.deepEqual(show(r.flush(T + MIN, T + MIN)), [
    'rpc_count:1m_by_code_increase{code=0} 6',
    'rpc_count:1m_by_code_total{code=0} 6',
    'rpc_sum:1m_by_code_increase{code=0} 0.75',
    'rpc_sum:1m_by_code_total{code=0} 0.75',
  ]);
  assert.deepEqual(r.ignored(), [['*', 'summary_quantiles', 4]]);
});

test('a removed point no output can use is counted as dropped, not aggregated; outputs that skip a type are counted', () => {
  const c = core(`rules:
  - {match: lat, interval: 1m, outputs: [sum_samples]}
  - {match: lat, interval: 1m, outputs: [count_series], keep_input: true}`);
  const md = expBatch('lat', [{ a: {}, scale: 0, pos: [0, [1]], sum: 1, t: T }]);
  assert.equal(c.ingest(md, T), 1, 'removed (rule 0 has keep_input: false)');
  assert.equal(c.dropped, 0, 'rule 1 used it (count_series)');
  assert.deepEqual(c.rules[0]!.ignored(), [['sum_samples', 'exponential_histogram_input', 1]]);
  const alone = core(`rules: [{match: lat, interval: 1m, outputs: [sum_samples, max]}]`);
  alone.ingest(expBatch('lat', [{ a: {}, scale: 0, pos: [0, [1]], sum: 1, t: T }]), T);
  assert.equal(alone.dropped, 1);
  assert.deepEqual(alone.rules[0]!.ignored(), [['sum_samples', 'exponential_histogram_input', 1], ['max', 'exponential_histogram_input', 1]]);
  assert.deepEqual(alone.rules[0]!.flush(T + MIN, T + MIN), [], 'no state was created for it');
});

test('gateway: unusable inputs in otelbridge_processor_dropped_items{reason}, ignored parts by rule/output/reason', async () => {
  run = await pipeline(`  aggregate:\n    rules:\n      - {match: '{__name__=~"lat|rpc"}', interval: 1m, outputs: [total]}\n`, ['aggregate']);
  await run.push(expBatch('lat', [{ a: {}, scale: 0, pos: [0, [1]], sum: 1, t: Date.now() }]));
  await run.push(summaryBatch('rpc', [{ a: {}, count: 1, sum: 1, t: Date.now() }]));
  const cnt = run.counters('aggregate');
  const ignored = Object.entries(cnt).filter(([k]) => k.startsWith('otelbridge_processor_aggregate_ignored_items{'));
  assert.deepEqual(ignored.map(([k, v]) => [JSON.parse(k.slice(k.indexOf('{'))) as Record<string, string>, v]).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)), [
    [{ rule: '0', output: '*', reason: 'summary_quantiles' }, 1],
    [{ rule: '0', output: 'total', reason: 'exponential_histogram_input' }, 1],
  ]);
  assert.equal(cnt['otelbridge_processor_dropped_items{"reason":"unsupported_input"}'], 1);
  assert.equal(cnt['otelbridge_processor_aggregated_items'], 1, 'the summary');
  assert.deepEqual(rows(...run.record()).filter((x) => x.name === 'lat' || x.name === 'rpc'), [], 'both were matched and removed');
});

// ---- series identity cache ---------------------------------------------------------------------------------------

test('series identity: attribute order and prom identity do not split a series; an expired series starts again', () => {
  const c = core(`rules: [{match: c_total, interval: 1m, staleness_interval: 1m, outputs: [total, count_series]}]`);
  const r = c.rules[0]!;
  const prom = { name: 'c_total', labels: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }] as Label[] };
  const withProm = (md: MetricsData) => {
    for (const p of md.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points) p.prom = prom;
    return md;
  };
  c.ingest(counter('c_total', [{ a: { a: '1', b: '2' }, v: 10, t: T }]), T);
  c.ingest(counter('c_total', [{ a: { b: '2', a: '1' }, v: 15, t: T + 1000 }]), T + 1000);
  c.ingest(withProm(counter('c_total', [{ a: { a: '1', b: '2' }, v: 18, t: T + 2000 }])), T + 2000);
  c.ingest(withProm(counter('c_total', [{ a: { a: '1', b: '2' }, v: 20, t: T + 3000 }])), T + 3000);
  assert.deepEqual(show(r.flush(T + MIN, T + MIN)), ['c_total:1m_count_series{a=1,b=2} 1', 'c_total:1m_total{a=1,b=2} 10']);
  // Idle past staleness: the group goes away; the series comes back as a new one (a baseline) and is emitted again.
  assert.deepEqual(show(r.flush(T + 3 * MIN, T + 3 * MIN)), []);
  c.ingest(withProm(counter('c_total', [{ a: { a: '1', b: '2' }, v: 30, t: T + 3 * MIN + 1000 }])), T + 3 * MIN + 1000);
  c.ingest(counter('c_total', [{ a: { b: '2', a: '1' }, v: 34, t: T + 3 * MIN + 2000 }]), T + 3 * MIN + 2000);
  assert.deepEqual(show(r.flush(T + 4 * MIN, T + 4 * MIN)), ['c_total:1m_count_series{a=1,b=2} 1', 'c_total:1m_total{a=1,b=2} 4']);
});

test('series identity: a prom identity reused under another job is not taken for the first series', () => {
  const c = core(`rules: [{match: g, interval: 1m, by: [job], outputs: [sum_samples]}]`);
  const prom = { name: 'g', labels: [] as Label[] };
  for (const job of ['a', 'b']) {
    const md = gauge('g', [{ v: job === 'a' ? 1 : 10, t: T }], { 'service.name': job });
    md.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0]!.prom = prom;
    c.ingest(md, T);
  }
  assert.deepEqual(show(c.rules[0]!.flush(T + MIN, T + MIN)), ['g:1m_by_job_sum_samples{job=a} 1', 'g:1m_by_job_sum_samples{job=b} 10']);
});

test('series identity: the string form of a value identifies the series ("1" and int 1 are one), others stay apart', () => {
  const c = core(`rules: [{interval: 1m, outputs: [count_series]}]`);
  const md = batch({ metrics: [{ name: 'g', points: [{ attrs: { k: 'x' }, value: 1, time: ns(T) }, { attrs: { k: 'y' }, value: 1, time: ns(T) }, { attrs: { k: '1' }, value: 1, time: ns(T) }, { attrs: { k: 1n }, value: 1, time: ns(T) }] }] });
  c.ingest(md, T);
  assert.deepEqual(show(c.rules[0]!.flush(T + MIN, T + MIN)), ['g:1m_count_series{k=1} 1', 'g:1m_count_series{k=x} 1', 'g:1m_count_series{k=y} 1']);
});

// ---- checkpoints -------------------------------------------------------------------------------------------------

test('checkpoint: vmrange and exponential histogram state continue across a restore', () => {
  const rules = `rules: [{match: '{__name__=~"rows|lat"}', interval: 1m, outputs: [histogram_bucket]}]`;
  const a = core(rules);
  a.ingest(gauge('rows', [{ v: 450, t: T }]), T);
  a.ingest(expBatch('lat', [{ a: {}, scale: 0, pos: [0, [1]], sum: 1.5, t: T }]), T); // baseline
  a.ingest(expBatch('lat', [{ a: {}, scale: 0, pos: [0, [2]], sum: 3, min: 1.2, max: 1.9, t: T + 1000 }]), T + 1000);
  a.rules[0]!.flush(T + MIN, T + MIN);
  const cp = JSON.parse(JSON.stringify(snapshot('aggregate', a.startMs, a.rules, T + MIN))) as Checkpoint;
  const b = core(rules, T + 70_000);
  assert.equal(restore(cp, b.rules), 1);
  b.ingest(gauge('rows', [{ v: 460, t: T + 80_000 }]), T + 80_000);
  b.ingest(expBatch('lat', [{ a: {}, scale: 0, pos: [0, [5]], sum: 7.5, min: 1.2, max: 1.9, t: T + 80_000 }]), T + 80_000);
  const out = b.rules[0]!.flush(T + 2 * MIN, T + 2 * MIN);
  assert.deepEqual(show(out.filter((o) => o.kind === 'gauge')), ['rows:1m_histogram_bucket{vmrange=4.084e+02...4.642e+02} 2']);
  const e = out.find((o) => o.kind === 'exphistogram')!.ehist!;
  assert.deepEqual([shape(e), e.sum, e.min, e.max], [{ scale: 0, zero: 0, pos: [0, [4]], count: 4 }, 6, 1.2, 1.9]);
});

test('checkpoint: a file written before the new fields restores (total continues)', () => {
  // The shape the processor wrote before vmrange/exponential state existed (version 1, no vmh/eh/e fields).
  const rules = `rules: [{match: c_total, interval: 1m, by: [code], outputs: [total]}]`;
  const fingerprint = core(rules).rules[0]!.rule.fingerprint;
  const old = {
    version: 1,
    processor: 'aggregate',
    writtenAt: T + MIN,
    startMs: T - MIN,
    rules: [{ fingerprint, groups: [{ labels: [['__name__', 'c_total'], ['code', '200']], total: 50, start: String(ns(T)), lastSeen: T + 30_000, series: [{ k: '__name__\u0001c_total\u0002code\u0001200\u0002', last: 150, lastTs: T + 30_000, start: '0', seen: T + 30_000 }] }] }],
  } as unknown as Checkpoint;
  const b = core(rules, T + MIN);
  assert.equal(restore(old, b.rules), 1);
  b.ingest(counter('c_total', [{ a: { code: '200' }, v: 170, t: T + 70_000 }]), T + 70_000);
  assert.deepEqual(show(b.rules[0]!.flush(T + 2 * MIN, T + 2 * MIN)), ['c_total:1m_by_code_total{code=200} 70']);
});
