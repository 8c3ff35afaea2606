/**
 * `deltatocumulative`: running totals for sums, explicit and exponential histograms (scale/offset alignment and the
 * bucket cap), stream identity, out-of-order/overlap drops, max_streams, max_stale expiry (injected clock and the
 * real sweep timer), and pass-through of everything that is not a delta.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { ExponentialHistogramDataPoint, HistogramDataPoint, MetricsData } from '../../src/model/types.ts';
import { DeltaToCumulative, deltaToCumulativeSchema } from '../../src/processors/deltatocumulative/processor.ts';
import { downscale } from '../../src/processors/deltatocumulative/accumulate.ts';
import { attrs, batch, pipeline, rows, type Run } from './helpers.ts';

let run: Run | undefined;
afterEach(async () => {
  await run?.stop();
  run = undefined;
});

const delta = (name: string, points: { a?: Record<string, string>; v: number | bigint; s: bigint; t: bigint }[], resource: Record<string, string> = {}) =>
  batch({ resource, metrics: [{ name, type: 'sum', temporality: 1, points: points.map((p) => ({ attrs: p.a ?? {}, value: p.v, start: p.s, time: p.t })) }] });

const vals = (mds: MetricsData[]) => rows(...mds).map((r) => [r.name, JSON.stringify(r.attrs), r.value, r.point.startTimeUnixNano, r.point.timeUnixNano]);

test('delta sums become running totals; start = first delta start; temporality cumulative', async () => {
  run = await pipeline(`  deltatocumulative: {}\n`, ['deltatocumulative']);
  await run.push(delta('req', [{ v: 1n, s: 0n, t: 10n }]));
  await run.push(delta('req', [{ v: 2n, s: 10n, t: 20n }]));
  await run.push(delta('req', [{ v: 3n, s: 20n, t: 30n }, { a: { k: 'x' }, v: 0.5, s: 20n, t: 30n }]));
  await run.push(delta('req', [{ v: 0.25, s: 30n, t: 40n }, { a: { k: 'x' }, v: 0.5, s: 30n, t: 40n }]));
  assert.deepEqual(vals(run.record()), [
    ['req', '{}', 1n, 0n, 10n],
    ['req', '{}', 3n, 0n, 20n],
    ['req', '{}', 6n, 0n, 30n],
    ['req', '{"k":"x"}', 0.5, 20n, 30n],
    ['req', '{}', 6.25, 0n, 40n],
    ['req', '{"k":"x"}', 1, 20n, 40n],
  ]);
  for (const b of run.record()) for (const r of rows(b)) assert.equal((r.metric as { temporality: number }).temporality, 2);
});

test('out-of-order and overlapping deltas are dropped and counted; the stream continues', async () => {
  run = await pipeline(`  deltatocumulative: {}\n`, ['deltatocumulative']);
  await run.push(delta('req', [{ v: 1, s: 0n, t: 10n }]));
  await run.push(delta('req', [{ v: 1, s: 10n, t: 20n }]));
  await run.push(delta('req', [{ v: 100, s: 5n, t: 15n }])); // older
  await run.push(delta('req', [{ v: 100, s: 10n, t: 20n }])); // same end time: duplicate
  await run.push(delta('req', [{ v: 100, s: 15n, t: 25n }])); // starts before the last one ended
  await run.push(delta('req', [{ v: 1, s: 20n, t: 30n }]));
  assert.deepEqual(rows(...run.record()).map((r) => r.value), [1, 2, 3]);
  const c = run.counters('deltatocumulative');
  assert.equal(c['otelbridge_processor_dropped_items{"reason":"out_of_order"}'], 2);
  assert.equal(c['otelbridge_processor_dropped_items{"reason":"overlapping"}'], 1);
  assert.equal(run.record().length, 3, 'batches left empty are not passed on');
});

test('stream identity: resource, scope and attribute values (not their order) separate streams', () => {
  const d = new DeltaToCumulative(deltaToCumulativeSchema.parse({}));
  const a = delta('m', [{ a: { x: '1', y: '2' }, v: 1, s: 0n, t: 1n }], { 'service.name': 'a' });
  const b = delta('m', [{ a: { y: '2', x: '1' }, v: 1, s: 1n, t: 2n }], { 'service.name': 'a' });
  const c = delta('m', [{ a: { x: '1', y: '2' }, v: 1, s: 0n, t: 1n }], { 'service.name': 'b' });
  const e = batch({ metrics: [{ name: 'm', type: 'sum', temporality: 1, points: [{ attrs: { n: 1n }, value: 1, time: 1n }, { attrs: { n: '1' }, value: 1, time: 1n }] }] });
  for (const md of [a, b, c, e]) d.apply(md);
  assert.deepEqual(rows(a, b, c, e).map((r) => r.value), [1, 2, 1, 1, 1]);
  assert.equal(d.streams.size, 4);
});

test('cumulative sums, gauges and summaries pass through untouched', async () => {
  run = await pipeline(`  deltatocumulative: {}\n`, ['deltatocumulative']);
  const md = batch({ metrics: [{ name: 'c', type: 'sum', temporality: 2, points: [{ value: 5, start: 1n, time: 2n }] }, { name: 'g', points: [{ value: 7 }] }] });
  md.resourceMetrics[0]!.scopeMetrics[0]!.metrics.push({ type: 'summary', name: 's', description: '', unit: '', metadata: [], points: [{ attributes: [], startTimeUnixNano: 0n, timeUnixNano: 1n, flags: 0, count: 1, sum: 2, quantileValues: [] }] });
  const copy = structuredClone(md);
  await run.push(md);
  assert.deepEqual(run.record()[0], copy);
});

test('max_streams: new streams beyond the limit are refused and counted; known streams continue', async () => {
  run = await pipeline(`  deltatocumulative: {max_streams: 2}\n`, ['deltatocumulative']);
  await run.push(delta('m', [{ a: { k: 'a' }, v: 1, s: 0n, t: 1n }, { a: { k: 'b' }, v: 1, s: 0n, t: 1n }, { a: { k: 'c' }, v: 1, s: 0n, t: 1n }]));
  await run.push(delta('m', [{ a: { k: 'a' }, v: 1, s: 1n, t: 2n }, { a: { k: 'c' }, v: 1, s: 1n, t: 2n }]));
  assert.deepEqual(rows(...run.record()).map((r) => `${r.attrs['k']}=${String(r.value)}`), ['a=1', 'b=1', 'a=2']);
  assert.equal(run.counters('deltatocumulative')['otelbridge_processor_dropped_items{"reason":"max_streams"}'], 2);
  assert.deepEqual(run.details('deltatocumulative')['streams'], 2);
});

test('max_stale: a stream idle longer than max_stale is forgotten and restarts from its next delta', () => {
  let now = 1_000_000;
  const d = new DeltaToCumulative(deltaToCumulativeSchema.parse({ max_stale: '1m' }));
  d.now = () => now;
  const b1 = delta('m', [{ v: 5, s: 0n, t: 10n }]);
  d.apply(b1);
  now += 59_000;
  assert.equal(d.sweep(), 0);
  const b2 = delta('m', [{ v: 5, s: 10n, t: 20n }]);
  d.apply(b2);
  now += 61_000;
  assert.equal(d.sweep(), 1);
  const b3 = delta('m', [{ v: 5, s: 20n, t: 30n }]);
  d.apply(b3);
  assert.deepEqual(rows(b1, b2, b3).map((r) => [r.value, r.point.startTimeUnixNano]), [[5, 0n], [10, 0n], [5, 20n]]);
});

test('max_stale with the real sweep timer', async () => {
  run = await pipeline(`  deltatocumulative: {max_stale: 100ms}\n`, ['deltatocumulative']);
  await run.push(delta('m', [{ v: 1, s: 0n, t: 1n }]));
  assert.equal(run.details('deltatocumulative')['streams'], 1);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(run.details('deltatocumulative')['streams'], 0);
});

function hist(p: Partial<HistogramDataPoint> & { t: bigint }): MetricsData {
  const md = batch({ metrics: [] });
  const point: HistogramDataPoint = { attributes: attrs({}), startTimeUnixNano: p.startTimeUnixNano ?? 0n, timeUnixNano: p.t, flags: 0, count: p.count ?? 0, sum: p.sum, bucketCounts: p.bucketCounts ?? [], explicitBounds: p.explicitBounds ?? [], exemplars: [], min: p.min, max: p.max };
  md.resourceMetrics[0]!.scopeMetrics[0]!.metrics.push({ type: 'histogram', name: 'h', description: '', unit: 's', metadata: [], temporality: 1, points: [point] });
  return md;
}

test('explicit histograms add bucket-wise; min/max merge; a bounds change restarts the stream', async () => {
  run = await pipeline(`  deltatocumulative: {}\n`, ['deltatocumulative']);
  await run.push(hist({ t: 10n, startTimeUnixNano: 1n, count: 3, sum: 6, bucketCounts: [1, 2, 0], explicitBounds: [1, 5], min: 0.5, max: 4 }));
  await run.push(hist({ t: 20n, startTimeUnixNano: 10n, count: 2, sum: 20, bucketCounts: [0, 1, 1], explicitBounds: [1, 5], min: 2, max: 18 }));
  await run.push(hist({ t: 30n, startTimeUnixNano: 20n, count: 1, sum: undefined, bucketCounts: [1, 0, 0], explicitBounds: [1, 5] }));
  await run.push(hist({ t: 40n, startTimeUnixNano: 30n, count: 4, sum: 4, bucketCounts: [4, 0], explicitBounds: [2] }));
  const got = rows(...run.record()).map((r) => {
    const p = r.point as HistogramDataPoint;
    return [p.startTimeUnixNano, p.count, p.sum, p.bucketCounts, p.explicitBounds, p.min, p.max];
  });
  assert.deepEqual(got, [
    [1n, 3, 6, [1, 2, 0], [1, 5], 0.5, 4],
    [1n, 5, 26, [1, 3, 1], [1, 5], 0.5, 18],
    [1n, 6, undefined, [2, 3, 1], [1, 5], undefined, undefined],
    [30n, 4, 4, [4, 0], [2], undefined, undefined],
  ]);
  assert.equal(run.details('deltatocumulative')['restarts'], 1);
  assert.equal(run.counters('deltatocumulative')['otelbridge_processor_deltatocumulative_restarts'], 1);
});

function expo(t: bigint, scale: number, pos: [number, number[]], neg: [number, number[]] = [0, []], zero = 0): MetricsData {
  const md = batch({ metrics: [] });
  const count = pos[1].reduce((a, b) => a + b, 0) + neg[1].reduce((a, b) => a + b, 0) + zero;
  const point: ExponentialHistogramDataPoint = { attributes: [], startTimeUnixNano: t - 10n, timeUnixNano: t, flags: 0, count, sum: count, scale, zeroCount: zero, positive: { offset: pos[0], bucketCounts: pos[1] }, negative: { offset: neg[0], bucketCounts: neg[1] }, exemplars: [], min: undefined, max: undefined, zeroThreshold: 0 };
  md.resourceMetrics[0]!.scopeMetrics[0]!.metrics.push({ type: 'exponential_histogram', name: 'e', description: '', unit: '', metadata: [], temporality: 1, points: [point] });
  return md;
}

test('downscale maps index i to i >> by, negative offsets included', () => {
  assert.deepEqual(downscale({ offset: -2, bucketCounts: [1, 1, 1, 1] }, 1), { offset: -1, bucketCounts: [2, 2] });
  assert.deepEqual(downscale({ offset: -3, bucketCounts: [1, 2, 3] }, 2), { offset: -1, bucketCounts: [6] });
  assert.deepEqual(downscale({ offset: 3, bucketCounts: [1, 0, 0, 0, 0, 1] }, 2), { offset: 0, bucketCounts: [1, 0, 1] });
});

test('exponential histograms: scales aligned to the smaller one, offsets merged, zero counts added', () => {
  const d = new DeltaToCumulative(deltaToCumulativeSchema.parse({}));
  const a = expo(10n, 1, [-2, [1, 1, 1, 1]], [1, [3]], 2);
  const b = expo(20n, 0, [0, [5]], [4, [1]], 1);
  d.apply(a);
  d.apply(b);
  const p = rows(b)[0]!.point as ExponentialHistogramDataPoint;
  assert.deepEqual([p.scale, p.positive, p.negative, p.zeroCount, p.count, p.startTimeUnixNano], [0, { offset: -1, bucketCounts: [2, 7] }, { offset: 0, bucketCounts: [3, 0, 0, 0, 1] }, 3, 16, 0n]);
});

test('exponential histograms: the union is capped at 160 buckets by lowering the scale', () => {
  const d = new DeltaToCumulative(deltaToCumulativeSchema.parse({}));
  const a = expo(10n, 5, [0, new Array(100).fill(1)]);
  const b = expo(20n, 5, [100, new Array(100).fill(1)]);
  d.apply(a);
  d.apply(b);
  const p = rows(b)[0]!.point as ExponentialHistogramDataPoint;
  assert.equal(p.scale, 4);
  assert.deepEqual(p.positive, { offset: 0, bucketCounts: new Array(100).fill(2) });
  assert.equal(p.count, 200);
});

test('config: defaults and validation', () => {
  assert.deepEqual(deltaToCumulativeSchema.parse({}), { max_stale: 300_000, max_streams: 0 });
  assert.equal(deltaToCumulativeSchema.safeParse({ max_streams: -1 }).success, false);
  assert.equal(deltaToCumulativeSchema.safeParse({ max_stale: 'soon' }).success, false);
  assert.equal(deltaToCumulativeSchema.safeParse({ max_streamz: 1 }).success, false);
});
