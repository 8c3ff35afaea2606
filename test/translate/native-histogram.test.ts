/**
 * OTLP exponential histograms -> Prometheus native histograms: the bucket layout table (scales, downscaling, zero
 * bucket, negative buckets, empty buckets, stale) and the translator's use of it (names, labels, drops by reason).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExponentialHistogramDataPoint, Metric } from '../../src/model/types.ts';
import { FLAG_NO_RECORDED_VALUE, Temporality } from '../../src/model/types.ts';
import type { BucketSpan, NativeHistogram } from '../../src/translate/prometheus/native-histogram.ts';
import { DEFAULT_ZERO_THRESHOLD, toNativeHistogram } from '../../src/translate/prometheus/native-histogram.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/translator.ts';
import type { PromExemplar, SeriesKind, SeriesRef } from '../../src/translate/prometheus/types.ts';
import { SeriesKind as Kind } from '../../src/translate/prometheus/types.ts';
import { isStaleNaN } from '../../src/translate/prometheus/values.ts';
import { attrs, base, exemplar, md, RecordingSink, SEC } from './helpers.ts';

interface PtOpts {
  scale?: number;
  pos?: [number, number[]];
  neg?: [number, number[]];
  zeroCount?: number;
  zeroThreshold?: number;
  sum?: number | undefined;
  flags?: number;
  t?: bigint;
  start?: bigint;
  attrs?: Record<string, string>;
}

function ehp(o: PtOpts = {}): ExponentialHistogramDataPoint {
  const pos = o.pos ?? [0, []];
  const neg = o.neg ?? [0, []];
  const zeroCount = o.zeroCount ?? 0;
  const count = zeroCount + pos[1].reduce((a, b) => a + b, 0) + neg[1].reduce((a, b) => a + b, 0);
  return {
    attributes: attrs(o.attrs),
    startTimeUnixNano: o.start ?? 0n,
    timeUnixNano: o.t ?? 10n * SEC,
    flags: o.flags ?? 0,
    count,
    sum: 'sum' in o ? o.sum : 12.5,
    scale: o.scale ?? 0,
    zeroCount,
    positive: { offset: pos[0], bucketCounts: pos[1] },
    negative: { offset: neg[0], bucketCounts: neg[1] },
    exemplars: [],
    min: undefined,
    max: undefined,
    zeroThreshold: o.zeroThreshold ?? 0,
  };
}

/** Absolute counts by Prometheus bucket index, from spans + deltas (the receiver's view). */
function expand(spans: readonly BucketSpan[], deltas: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  let idx = 0;
  let d = 0;
  let c = 0;
  spans.forEach((s) => {
    idx += s.offset; // the first span: its start; later ones: the gap after the previous span
    for (let j = 0; j < s.length; j++) {
      c += deltas[d++]!;
      out.set(idx, c);
      idx++;
    }
  });
  assert.equal(d, deltas.length, 'every delta belongs to a span');
  return out;
}

/** Reference mapping, bucket by bucket: OTLP index k at scale s -> Prometheus index (k >> (s - schema)) + 1. */
function reference(offset: number, counts: number[], scaleDown: number): Map<number, number> {
  const out = new Map<number, number>();
  counts.forEach((c, i) => {
    const k = Math.floor((offset + i) / 2 ** scaleDown) + 1;
    out.set(k, (out.get(k) ?? 0) + c);
  });
  for (const [k, v] of out) if (v === 0) out.delete(k);
  return out;
}

const nonZero = (m: Map<number, number>) => new Map([...m].filter(([, v]) => v !== 0));

function nh(o: PtOpts): NativeHistogram {
  const h = toNativeHistogram(ehp(o), 10_000);
  assert.notEqual(typeof h, 'string');
  return h as NativeHistogram;
}

describe('bucket layout table', () => {
  const cases: Array<{ name: string; o: PtOpts; schema: number; pSpans: BucketSpan[]; pDeltas: number[]; nSpans?: BucketSpan[]; nDeltas?: number[] }> = [
    { name: 'scale 0, contiguous', o: { pos: [0, [1, 2, 3]] }, schema: 0, pSpans: [{ offset: 1, length: 3 }], pDeltas: [1, 1, 1] },
    { name: 'scale 3, negative offset', o: { scale: 3, pos: [-5, [4, 1]] }, schema: 3, pSpans: [{ offset: -4, length: 2 }], pDeltas: [4, -3] },
    { name: 'gap of 3 empty buckets: new span', o: { pos: [-2, [4, 0, 0, 0, 5]] }, schema: 0, pSpans: [{ offset: -1, length: 1 }, { offset: 3, length: 1 }], pDeltas: [4, 1] },
    { name: 'gap of 2 empty buckets: filled with zeros', o: { pos: [0, [2, 0, 0, 7]] }, schema: 0, pSpans: [{ offset: 1, length: 4 }], pDeltas: [2, -2, 0, 7] },
    { name: 'leading and trailing empty buckets trimmed', o: { pos: [5, [0, 0, 3, 0]] }, schema: 0, pSpans: [{ offset: 8, length: 1 }], pDeltas: [3] },
    { name: 'all buckets empty', o: { pos: [0, [0, 0]], zeroCount: 2 }, schema: 0, pSpans: [], pDeltas: [] },
    { name: 'scale 10 -> 8: four buckets merge into one', o: { scale: 10, pos: [0, [1, 2, 3, 4, 5, 6]] }, schema: 8, pSpans: [{ offset: 1, length: 2 }], pDeltas: [10, 1] },
    { name: 'scale 9 -> 8 with a negative offset (arithmetic shift)', o: { scale: 9, pos: [-3, [1, 1, 1, 1]] }, schema: 8, pSpans: [{ offset: -1, length: 3 }], pDeltas: [1, 1, -1] },
    { name: 'scale 20 -> 8', o: { scale: 20, pos: [4096, [1, 0, 2]] }, schema: 8, pSpans: [{ offset: 2, length: 1 }], pDeltas: [3] },
    { name: 'scale -4 (smallest schema) kept', o: { scale: -4, pos: [-1, [6]] }, schema: -4, pSpans: [{ offset: 0, length: 1 }], pDeltas: [6] },
    {
      name: 'negative buckets',
      o: { pos: [0, [1]], neg: [1, [2, 1, 0, 0, 0, 4]] },
      schema: 0,
      pSpans: [{ offset: 1, length: 1 }],
      pDeltas: [1],
      nSpans: [{ offset: 2, length: 2 }, { offset: 3, length: 1 }],
      nDeltas: [2, -1, 3],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const h = nh(c.o);
      assert.equal(h.schema, c.schema);
      assert.deepEqual(h.positiveSpans, c.pSpans);
      assert.deepEqual(h.positiveDeltas, c.pDeltas);
      assert.deepEqual(h.negativeSpans, c.nSpans ?? []);
      assert.deepEqual(h.negativeDeltas, c.nDeltas ?? []);
      // The same buckets as mapping each OTLP bucket on its own.
      const scaleDown = (c.o.scale ?? 0) - c.schema;
      const pos = c.o.pos ?? [0, []];
      assert.deepEqual(nonZero(expand(h.positiveSpans, h.positiveDeltas)), reference(pos[0], pos[1], scaleDown));
      const neg = c.o.neg ?? [0, []];
      assert.deepEqual(nonZero(expand(h.negativeSpans, h.negativeDeltas)), reference(neg[0], neg[1], scaleDown));
      assert.equal(h.count, ehp(c.o).count);
      assert.equal(h.resetHint, 0);
      assert.equal(h.timestampMs, 10_000);
    });
  }

  test('randomised layouts expand to the same buckets as the reference mapping', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let k = 0; k < 500; k++) {
      const scale = rnd(16) - 4;
      const counts = Array.from({ length: rnd(40) }, () => (rnd(3) === 0 ? rnd(50) : 0));
      const offset = rnd(200) - 100;
      const h = nh({ scale, pos: [offset, counts], neg: [offset + 7, counts.slice().reverse()] });
      const scaleDown = Math.max(0, scale - 8);
      assert.deepEqual(nonZero(expand(h.positiveSpans, h.positiveDeltas)), reference(offset, counts, scaleDown), `case ${k}`);
      assert.deepEqual(nonZero(expand(h.negativeSpans, h.negativeDeltas)), reference(offset + 7, counts.slice().reverse(), scaleDown));
      for (const s of h.positiveSpans.slice(1)) assert.ok(s.offset > 2, 'gaps of up to 2 are filled, not split');
    }
  });

  test('zero bucket: count and threshold (the point\'s, else the Collector\'s 1e-128); sum; sum absent -> 0', () => {
    const a = nh({ zeroCount: 3, pos: [0, [1]] });
    assert.equal(a.zeroCount, 3);
    assert.equal(a.zeroThreshold, DEFAULT_ZERO_THRESHOLD);
    assert.equal(a.count, 4);
    assert.equal(a.sum, 12.5);
    const b = nh({ zeroCount: 1, zeroThreshold: 0.001, sum: undefined });
    assert.equal(b.zeroThreshold, 0.001);
    assert.equal(b.sum, 0);
  });

  test('scale below -4 is refused; a count below zero count + bucket counts is invalid (more is allowed: NaNs)', () => {
    assert.equal(toNativeHistogram(ehp({ scale: -5, pos: [0, [1]] }), 0), 'unsupported_scale');
    const short = ehp({ pos: [0, [1, 2]], neg: [0, [3]], zeroCount: 1 });
    short.count = 6;
    assert.equal(toNativeHistogram(short, 0), 'invalid_histogram');
    short.count = 8;
    assert.equal((toNativeHistogram(short, 0) as NativeHistogram).count, 8);
  });

  test('stale point: the Prometheus stale histogram (StaleNaN sum, nothing else)', () => {
    const h = nh({ flags: FLAG_NO_RECORDED_VALUE, scale: 3, pos: [0, [1, 2]], zeroCount: 4 });
    assert.ok(isStaleNaN(h.sum));
    assert.equal(h.count, 0);
    assert.equal(h.zeroCount, 0);
    assert.deepEqual([h.positiveSpans, h.negativeSpans], [[], []]);
  });
});

class NativeSink extends RecordingSink {
  histograms: { ref: SeriesRef; h: NativeHistogram; kind: SeriesKind; startMs: number; ex: readonly PromExemplar[] | undefined }[] = [];
  histogram(ref: SeriesRef, h: NativeHistogram, kind: SeriesKind, startMs: number, ex: readonly PromExemplar[] | undefined): void {
    this.histograms.push({ ref, h, kind, startMs, ex });
  }
}

const expMetric = (points: ExponentialHistogramDataPoint[], temporality: Temporality = Temporality.CUMULATIVE): Metric => ({
  ...base('http.server.request.duration', 's', 'Duration'),
  type: 'exponential_histogram',
  temporality,
  points,
});

describe('translator', () => {
  const opts = { targetInfo: false, promoteScopeMetadata: false } as const;

  test('one native histogram per point: family name with unit suffix, no _bucket, labels, times, exemplars', () => {
    const p = ehp({ scale: 2, pos: [1, [3, 4]], attrs: { route: '/a' }, t: 1_700_000_000_123_000_000n, start: 1_699_999_999_000_000_000n });
    p.exemplars = [exemplar(0.25, { trace: 1, span: 2 })];
    const sink = new NativeSink();
    const stats = new PrometheusTranslator(opts).translate(md([expMetric([p])]), sink);
    assert.deepEqual(sink.families, [{ name: 'http_server_request_duration_seconds', type: 'histogram', help: 'Duration', unit: 'seconds' }]);
    assert.equal(sink.samples.length, 0, 'no classic series');
    assert.equal(sink.histograms.length, 1);
    const [got] = sink.histograms;
    assert.equal(got!.ref.name, 'http_server_request_duration_seconds');
    assert.deepEqual(got!.ref.labels, [{ name: 'job', value: 'svc' }, { name: 'route', value: '/a' }]);
    assert.equal(got!.kind, Kind.NATIVE_HISTOGRAM);
    assert.equal(got!.startMs, 1_699_999_999_000);
    assert.equal(got!.h.timestampMs, 1_700_000_000_123);
    assert.deepEqual(got!.h, toNativeHistogram(p, 1_700_000_000_123));
    assert.equal(got!.ex?.[0]?.value, 0.25);
    assert.deepEqual(got!.ex?.[0]?.labels.map((l) => l.name), ['span_id', 'trace_id']);
    assert.deepEqual([stats.points, stats.samples, stats.dropped], [1, 1, 0]);
  });

  test('drops by reason: scale < -4, delta temporality (as the Collector), sinks without native histograms', () => {
    const sink = new NativeSink();
    const t = new PrometheusTranslator({ ...opts, deltaToCumulative: true });
    const bad = ehp({ pos: [0, [5]] });
    bad.count = 4;
    const stats = t.translate(md([expMetric([ehp({ scale: -5, pos: [0, [1]] }), ehp({ pos: [0, [1]] }), bad]), { ...expMetric([ehp()], Temporality.DELTA), name: 'd' }]), sink);
    assert.equal(sink.histograms.length, 1);
    assert.equal(stats.droppedByReason.unsupported_scale, 1);
    assert.equal(stats.droppedByReason.invalid_histogram, 1);
    assert.equal(stats.droppedByReason.unsupported_temporality, 1);
    assert.equal(stats.dropped, 3);
    const text = new RecordingSink(); // a text-format sink: no histogram()
    const s2 = new PrometheusTranslator(opts).translate(md([expMetric([ehp(), ehp()])]), text);
    assert.equal(s2.droppedByReason.unsupported_exponential_histogram, 2);
    assert.equal(text.families.length, 0);
  });

  test('stale points carry the StaleNaN sum and no exemplars', () => {
    const p = ehp({ flags: FLAG_NO_RECORDED_VALUE, pos: [0, [1]] });
    p.exemplars = [exemplar(1, { trace: 1 })];
    const sink = new NativeSink();
    new PrometheusTranslator(opts).translate(md([expMetric([p])]), sink);
    assert.ok(isStaleNaN(sink.histograms[0]!.h.sum));
    assert.equal(sink.histograms[0]!.ex, undefined);
  });
});
