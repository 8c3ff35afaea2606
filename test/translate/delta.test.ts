/** Delta -> cumulative: alignment, restart, overlap/out-of-order drops (counted), expiry, stale, histograms. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FLAG_NO_RECORDED_VALUE, Temporality } from '../../src/model/types.ts';
import { DeltaAccumulator } from '../../src/translate/prometheus/delta-accumulator.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/translator.ts';
import { isStaleNaN } from '../../src/translate/prometheus/values.ts';
import { base, hist, md, num, RecordingSink, SEC } from './helpers.ts';

const counter = (points: ReturnType<typeof num>[]) =>
  md([{ ...base('reqs'), type: 'sum', temporality: Temporality.DELTA, isMonotonic: true, points }]);

function setup(expirationMs = 60_000) {
  let now = 1_000_000;
  const t = new PrometheusTranslator({ targetInfo: false, deltaToCumulative: true, metricExpirationMs: expirationMs, now: () => now });
  const step = (points: ReturnType<typeof num>[]) => {
    const sink = new RecordingSink();
    const stats = t.translate(counter(points), sink);
    // NB: `values` is a number[] and would quiet a stale NaN; stale checks read `samples` (object fields keep bits).
    return { values: sink.samples.map((s) => s.value), starts: sink.samples.map((s) => s.startMs), samples: sink.samples, stats };
  };
  return { t, step, advance: (ms: number) => void (now += ms) };
}

describe('delta monotonic sums', () => {
  test('aligned deltas accumulate and keep the first start time', () => {
    const { step } = setup();
    assert.deepEqual(step([num(5, { start: 0n * SEC, t: 10n * SEC })]).values, [5]);
    const r = step([num(3, { start: 10n * SEC, t: 20n * SEC }), num(2, { start: 20n * SEC, t: 30n * SEC })]);
    assert.deepEqual(r.values, [8, 10]);
    assert.deepEqual(r.starts, [0, 0], 'start 0 = unknown, kept from the first point');
  });

  test('int deltas stay exact (bigint) beyond 2^53', () => {
    const { step } = setup();
    step([num(2n ** 60n, { start: SEC, t: 2n * SEC })]);
    assert.deepEqual(step([num(1n, { start: 2n * SEC, t: 3n * SEC })]).values, [Number(2n ** 60n + 1n)]);
  });

  test('a gap (start after the previous end) restarts the series from the new point', () => {
    const { step } = setup();
    step([num(5, { start: 1n * SEC, t: 10n * SEC })]);
    const r = step([num(4, { start: 15n * SEC, t: 20n * SEC })]);
    assert.deepEqual(r.values, [4]);
    assert.deepEqual(r.starts, [15000]);
    assert.equal(r.stats.dropped, 0);
  });

  test('overlapping (non-alignable) and out-of-order deltas are dropped and counted', () => {
    const { step } = setup();
    step([num(5, { start: 1n * SEC, t: 10n * SEC })]);
    const r = step([num(1, { start: 5n * SEC, t: 12n * SEC }), num(1, { start: 0n, t: 9n * SEC }), num(1, { start: 10n * SEC, t: 11n * SEC })]);
    assert.deepEqual(r.values, [6]);
    assert.equal(r.stats.droppedByReason.delta_not_aligned, 1);
    assert.equal(r.stats.droppedByReason.out_of_order, 1);
    assert.equal(r.stats.dropped, 2);
  });

  test('state expires after metricExpirationMs without updates', () => {
    const { t, step, advance } = setup(60_000);
    step([num(5, { start: 1n * SEC, t: 10n * SEC })]);
    assert.equal(t.accumulator!.size, 1);
    advance(61_000);
    const r = step([num(3, { start: 10n * SEC, t: 20n * SEC })]);
    assert.deepEqual(r.values, [3], 'expired state: starts over');
    assert.equal(t.accumulator!.size, 1);
  });

  test('NoRecordedValue forgets the state and emits a stale marker', () => {
    const { t, step } = setup();
    step([num(5, { start: 1n * SEC, t: 10n * SEC })]);
    const r = step([num(0, { start: 10n * SEC, t: 20n * SEC, flags: FLAG_NO_RECORDED_VALUE })]);
    assert.ok(isStaleNaN(r.samples[0]!.value));
    assert.equal(t.accumulator!.size, 0);
  });

  test('different label sets are independent series', () => {
    const { step } = setup();
    step([num(1, { start: 0n, t: SEC, attrs: { a: 'x' } }), num(10, { start: 0n, t: SEC, attrs: { a: 'y' } })]);
    const r = step([num(1, { start: SEC, t: 2n * SEC, attrs: { a: 'x' } }), num(10, { start: SEC, t: 2n * SEC, attrs: { a: 'y' } })]);
    assert.deepEqual(r.values, [2, 20]);
  });

  test('without deltaToCumulative, deltas are counted as unsupported_temporality', () => {
    const sink = new RecordingSink();
    const stats = new PrometheusTranslator({ targetInfo: false }).translate(counter([num(1), num(2)]), sink);
    assert.equal(sink.samples.length, 0);
    assert.equal(stats.droppedByReason.unsupported_temporality, 2);
  });
});

describe('delta histograms', () => {
  test('bucket-wise accumulation, cumulative buckets out; bound change restarts', () => {
    const t = new PrometheusTranslator({ targetInfo: false, deltaToCumulative: true });
    const step = (p: ReturnType<typeof hist>) => {
      const sink = new RecordingSink();
      const stats = t.translate(md([{ ...base('lat'), type: 'histogram', temporality: Temporality.DELTA, points: [p] }]), sink);
      return { lines: sink.lines(), stats };
    };
    step(hist([1, 2], [1, 0, 2], { start: 0n, t: SEC, sum: 5 }));
    assert.deepEqual(step(hist([1, 2], [0, 3, 1], { start: SEC, t: 2n * SEC, sum: 7 })).lines, [
      'lat_bucket{job="svc",le="1"} 1',
      'lat_bucket{job="svc",le="2"} 4',
      'lat_bucket{job="svc",le="+Inf"} 7',
      'lat_sum{job="svc"} 12',
      'lat_count{job="svc"} 7',
    ]);
    const misaligned = step(hist([1, 2], [1, 1, 1], { start: SEC, t: 3n * SEC }));
    assert.equal(misaligned.stats.droppedByReason.delta_not_aligned, 1);
    assert.deepEqual(step(hist([5], [1, 1], { start: 2n * SEC, t: 4n * SEC, sum: 1 })).lines, [
      'lat_bucket{job="svc",le="5"} 1',
      'lat_bucket{job="svc",le="+Inf"} 2',
      'lat_sum{job="svc"} 1',
      'lat_count{job="svc"} 2',
    ]);
  });

  test('DeltaAccumulator: a missing sum on either side makes the cumulative sum unknown', () => {
    const acc = new DeltaAccumulator();
    const out = { count: 0, sum: 0 as number | undefined, bucketCounts: [] as readonly number[], bounds: [] as readonly number[], start: 0n };
    acc.accumulateHistogram('k', hist([1], [1, 1], { start: 0n, t: SEC, sum: 2 }), 0, out);
    acc.accumulateHistogram('k', hist([1], [1, 1], { start: SEC, t: 2n * SEC, sum: undefined }), 0, out);
    assert.equal(out.sum, undefined);
    assert.equal(out.count, 4);
    assert.deepEqual(out.bucketCounts, [2, 2]);
  });
});

describe('delta idempotency', () => {
  test('translating the same delta points again (re-render, duplicate delivery) does not add them twice', () => {
    const { step } = setup();
    const p1 = num(5, { start: 0n, t: 10n * SEC });
    const p2 = num(3, { start: 10n * SEC, t: 20n * SEC });
    step([p1]);
    assert.deepEqual(step([p2]).values, [8]);
    const again = step([p2]);
    assert.deepEqual(again.values, [8]);
    assert.equal(again.stats.dropped, 0);
    assert.deepEqual(step([num(1, { start: 20n * SEC, t: 30n * SEC })]).values, [9]);
    const old = step([p1]);
    assert.equal(old.stats.droppedByReason.out_of_order, 1, 'an older point is still out of order');
  });

  test('histograms likewise', () => {
    const t = new PrometheusTranslator({ targetInfo: false, deltaToCumulative: true });
    const data = md([{ ...base('h'), type: 'histogram', temporality: Temporality.DELTA, points: [hist([1], [1, 2], { start: 0n, t: SEC })] }]);
    for (let i = 0; i < 3; i++) {
      const sink = new RecordingSink();
      t.translate(data, sink);
      assert.deepEqual(sink.lines().at(-1), 'h_count{job="svc"} 3');
    }
  });
});
