/** Series produced per metric type: gauge, counter, sums, histogram, summary, exemplars, _created, drops. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Temporality } from '../../src/model/types.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/translator.ts';
import { SeriesKind } from '../../src/translate/prometheus/types.ts';
import { base, exemplar, hist, md, num, RecordingSink, SEC, summ } from './helpers.ts';

const run = (t: PrometheusTranslator, data = md([])) => {
  const sink = new RecordingSink();
  const stats = t.translate(data, sink);
  return { sink, stats };
};
const noTarget = { targetInfo: false, promoteScopeMetadata: false } as const;

describe('gauge', () => {
  test('name escaping, unit suffix, value, ms timestamp, job label, family metadata', () => {
    const t = new PrometheusTranslator(noTarget);
    const { sink, stats } = run(
      t,
      md([{ ...base('process.memory.usage', 'By', 'Memory'), type: 'gauge', points: [num(5n, { attrs: { 'k.a': 'v' }, t: 1_700_000_000_123_456_789n })] }]),
    );
    assert.deepEqual(sink.families, [{ name: 'process_memory_usage_bytes', type: 'gauge', help: 'Memory', unit: 'bytes' }]);
    assert.deepEqual(sink.lines(), ['process_memory_usage_bytes{job="svc",k_a="v"} 5']);
    assert.equal(sink.samples[0]!.ts, 1_700_000_000_123);
    assert.equal(sink.samples[0]!.kind, SeriesKind.GAUGE);
    assert.equal(typeof sink.samples[0]!.value, 'number');
    assert.equal(stats.points, 1);
    assert.equal(stats.samples, 1);
  });

  test('unit "1" gauge gets _ratio; prometheus.type=unknown metadata gives an unknown family; exemplars dropped', () => {
    const t = new PrometheusTranslator(noTarget);
    const m = { ...base('cpu.utilization', '1'), type: 'gauge' as const, points: [num(0.5, { exemplars: [exemplar(1, { trace: 1 })] })] };
    m.metadata = [{ key: 'prometheus.type', value: 'unknown' }];
    const { sink } = run(t, md([m]));
    assert.deepEqual(sink.families[0], { name: 'cpu_utilization_ratio', type: 'unknown', help: '', unit: '' });
    assert.equal(sink.samples[0]!.exemplars, undefined);
  });

  test('addMetricSuffixes=false keeps the bare escaped name; namespace prefixes', () => {
    const t = new PrometheusTranslator({ ...noTarget, addMetricSuffixes: false, namespace: 'app' });
    const { sink } = run(t, md([{ ...base('a.b', 's'), type: 'gauge', points: [num(1)] }]));
    assert.equal(sink.samples[0]!.name, 'app_a_b');
  });
});

describe('sum', () => {
  test('cumulative monotonic -> counter with _total, start ms, exemplars with trace/span ids', () => {
    const t = new PrometheusTranslator(noTarget);
    const ex = exemplar(3, { trace: 0xab, span: 0x01, attrs: { 'user.id': 'u1', trace_id: 'shadowed' } });
    const { sink } = run(
      t,
      md([{ ...base('http.requests', '{request}'), type: 'sum', temporality: Temporality.CUMULATIVE, isMonotonic: true, points: [num(7, { start: 2n * SEC, exemplars: [ex] })] }]),
    );
    assert.deepEqual(sink.families[0], { name: 'http_requests_total', type: 'counter', help: '', unit: '' });
    assert.deepEqual(sink.lines(), ['http_requests_total{job="svc"} 7']);
    const s = sink.samples[0]!;
    assert.equal(s.kind, SeriesKind.COUNTER);
    assert.equal(s.startMs, 2000);
    assert.deepEqual(s.exemplars, [
      {
        labels: [
          { name: 'span_id', value: '0101010101010101' },
          { name: 'trace_id', value: 'ab'.repeat(16) },
          { name: 'user_id', value: 'u1' },
        ],
        value: 3,
        timestampMs: 9000,
      },
    ]);
  });

  test('exemplar filtered attributes are dropped past 128 runes, trace id kept', () => {
    const t = new PrometheusTranslator(noTarget);
    const ex = exemplar(1, { trace: 1, attrs: { big: 'x'.repeat(100) } });
    const { sink } = run(t, md([{ ...base('c'), type: 'sum', temporality: 2, isMonotonic: true, points: [num(1, { exemplars: [ex] })] }]));
    assert.deepEqual(sink.samples[0]!.exemplars![0]!.labels.map((l) => l.name), ['trace_id']);
  });

  test('exportCreatedMetric adds <name>_created (without _total) = start ms; not without a start time', () => {
    const t = new PrometheusTranslator({ ...noTarget, exportCreatedMetric: true });
    const { sink } = run(
      t,
      md([{ ...base('jobs'), type: 'sum', temporality: 2, isMonotonic: true, points: [num(1, { start: 5n * SEC }), num(2, { attrs: { a: 'b' } })] }]),
    );
    assert.deepEqual(sink.lines(), ['jobs_total{job="svc"} 1', 'jobs_created{job="svc"} 5000', 'jobs_total{a="b",job="svc"} 2']);
    assert.equal(sink.samples[1]!.kind, SeriesKind.CREATED);
  });

  test('cumulative non-monotonic -> gauge without _total', () => {
    const t = new PrometheusTranslator(noTarget);
    const { sink } = run(t, md([{ ...base('queue.size', '{item}'), type: 'sum', temporality: 2, isMonotonic: false, points: [num(-3)] }]));
    assert.deepEqual(sink.families[0]!.type, 'gauge');
    assert.deepEqual(sink.lines(), ['queue_size{job="svc"} -3']);
  });

  test('unspecified temporality and delta non-monotonic sums are counted as unsupported_temporality', () => {
    const t = new PrometheusTranslator({ ...noTarget, deltaToCumulative: true });
    const { sink, stats } = run(
      t,
      md([
        { ...base('a'), type: 'sum', temporality: Temporality.UNSPECIFIED, isMonotonic: true, points: [num(1)] },
        { ...base('b'), type: 'sum', temporality: Temporality.DELTA, isMonotonic: false, points: [num(1), num(2)] },
      ]),
    );
    assert.equal(sink.samples.length, 0);
    assert.equal(sink.families.length, 0, 'no metadata for metrics with nothing emitted');
    assert.equal(stats.droppedByReason.unsupported_temporality, 3);
    assert.equal(stats.dropped, 3);
  });
});

describe('histogram', () => {
  test('cumulative buckets ascending with +Inf = count, _sum, _count; exemplars on the right bucket', () => {
    const t = new PrometheusTranslator(noTarget);
    const ex = [exemplar(0.7, { trace: 1 }), exemplar(100, { trace: 2 }), exemplar(0.5, { trace: 3 })];
    const { sink } = run(
      t,
      md([{ ...base('http.server.duration', 'ms'), type: 'histogram', temporality: 2, points: [hist([0.5, 1, 2.5], [1, 2, 3, 4], { exemplars: ex })] }]),
    );
    assert.deepEqual(sink.families[0], { name: 'http_server_duration_milliseconds', type: 'histogram', help: '', unit: 'milliseconds' });
    const n = 'http_server_duration_milliseconds';
    assert.deepEqual(sink.lines(), [
      `${n}_bucket{job="svc",le="0.5"} 1`,
      `${n}_bucket{job="svc",le="1"} 3`,
      `${n}_bucket{job="svc",le="2.5"} 6`,
      `${n}_bucket{job="svc",le="+Inf"} 10`,
      `${n}_sum{job="svc"} 42`,
      `${n}_count{job="svc"} 10`,
    ]);
    const exOf = (i: number) => sink.samples[i]!.exemplars?.map((e) => e.value);
    assert.deepEqual([exOf(0), exOf(1), exOf(2), exOf(3)], [[0.5], [0.7], undefined, [100]]);
    assert.deepEqual(sink.samples.map((s) => s.kind), [2, 2, 2, 2, 3, 4]);
  });

  test('no sum -> no _sum series; no buckets -> only le="+Inf"', () => {
    const t = new PrometheusTranslator(noTarget);
    const { sink, stats } = run(t, md([{ ...base('h'), type: 'histogram', temporality: 2, points: [hist([1, 2], [], { sum: undefined })] }]));
    assert.deepEqual(sink.lines(), ['h_bucket{job="svc",le="+Inf"} 0', 'h_count{job="svc"} 0']);
    assert.equal(stats.samples, 2);
  });

  test('le values use Go FormatFloat(f, -1): no exponent', () => {
    const t = new PrometheusTranslator(noTarget);
    const { sink } = run(t, md([{ ...base('h'), type: 'histogram', temporality: 2, points: [hist([1e-7, 0.25, 1e21], [0, 0, 0, 0])] }]));
    assert.deepEqual(sink.samples.slice(0, 4).map((s) => s.labels.le), ['0.0000001', '0.25', '1000000000000000000000', '+Inf']);
  });

  test('bucket count / bound mismatch and unsorted bounds are counted as invalid_histogram', () => {
    const t = new PrometheusTranslator(noTarget);
    const { sink, stats } = run(
      t,
      md([{ ...base('h'), type: 'histogram', temporality: 2, points: [hist([1, 2], [1, 2]), hist([2, 1], [1, 2, 3])] }]),
    );
    assert.equal(sink.samples.length, 0);
    assert.equal(stats.droppedByReason.invalid_histogram, 2);
  });

  test('exponential histograms are counted, not silently dropped', () => {
    const t = new PrometheusTranslator(noTarget);
    const p = { attributes: [], startTimeUnixNano: 0n, timeUnixNano: SEC, flags: 0, count: 1, sum: 1, scale: 0, zeroCount: 0, positive: { offset: 0, bucketCounts: [1] }, negative: { offset: 0, bucketCounts: [] }, exemplars: [], min: undefined, max: undefined, zeroThreshold: 0 };
    const { sink, stats } = run(t, md([{ ...base('e'), type: 'exponential_histogram', temporality: 2, points: [p, p] }]));
    assert.equal(sink.samples.length, 0);
    assert.equal(stats.droppedByReason.unsupported_exponential_histogram, 2);
  });
});

describe('summary', () => {
  test('quantiles ascending with stringified labels, then _sum and _count', () => {
    const t = new PrometheusTranslator(noTarget);
    const { sink } = run(t, md([{ ...base('rpc.latency', 's'), type: 'summary', points: [summ([[0.99, 9], [0.5, 5], [0, 1]])] }]));
    assert.deepEqual(sink.families[0]!.type, 'summary');
    assert.deepEqual(sink.lines(), [
      'rpc_latency_seconds{job="svc",quantile="0"} 1',
      'rpc_latency_seconds{job="svc",quantile="0.5"} 5',
      'rpc_latency_seconds{job="svc",quantile="0.99"} 9',
      'rpc_latency_seconds_sum{job="svc"} 3.5',
      'rpc_latency_seconds_count{job="svc"} 7',
    ]);
  });
});

describe('invalid names and labels', () => {
  test('a metric whose name normalises to nothing is counted as invalid_name', () => {
    const t = new PrometheusTranslator(noTarget);
    const { sink, stats } = run(t, md([{ ...base('@#$'), type: 'gauge', points: [num(1), num(2)] }]));
    assert.equal(sink.samples.length, 0);
    assert.equal(stats.droppedByReason.invalid_name, 2);
  });

  test('a point with an attribute key that cannot become a label is counted as invalid_label', () => {
    const t = new PrometheusTranslator(noTarget);
    const { sink, stats } = run(t, md([{ ...base('g'), type: 'gauge', points: [num(1, { attrs: { __: 'x' } }), num(2)] }]));
    assert.deepEqual(sink.lines(), ['g{job="svc"} 2']);
    assert.equal(stats.droppedByReason.invalid_label, 1);
  });

  test('external labels fill but never override; point attribute __name__ is never a label', () => {
    const t = new PrometheusTranslator({ ...noTarget, externalLabels: { region: 'eu', job: 'ext', cluster: 'c1' } });
    const { sink } = run(t, md([{ ...base('g'), type: 'gauge', points: [num(1, { attrs: { cluster: 'mine', __name__: 'x' } })] }]));
    assert.deepEqual(sink.lines(), ['g{cluster="mine",job="svc",region="eu"} 1']);
    assert.throws(() => new PrometheusTranslator({ externalLabels: { 'bad-name': 'x' } }), /invalid external label/);
  });

  test('scope labels: otel_scope_* added, colliding scope attributes dropped, empty version omitted', () => {
    const t = new PrometheusTranslator({ targetInfo: false });
    const data = md([{ ...base('g'), type: 'gauge', points: [num(1)] }], { 'service.name': 'svc' }, 'lib');
    data.resourceMetrics[0]!.scopeMetrics[0]!.scope.attributes = [
      { key: 'name', value: 'evil' },
      { key: 'team', value: 'core' },
    ];
    const { sink } = run(t, data);
    assert.deepEqual(sink.lines(), ['g{job="svc",otel_scope_name="lib",otel_scope_team="core"} 1']);
  });
});
