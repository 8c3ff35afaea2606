/** Stale markers, target_info, and the per-point identity caches (prom.cache). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FLAG_NO_RECORDED_VALUE } from '../../src/model/types.ts';
import type { MetricsData } from '../../src/model/types.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/translator.ts';
import { SeriesKind } from '../../src/translate/prometheus/types.ts';
import { float64Bits, formatLabelFloat, isStaleNaN, STALE_NAN } from '../../src/translate/prometheus/values.ts';
import { base, hist, md, num, RecordingSink, SEC, summ } from './helpers.ts';

describe('stale markers', () => {
  test('STALE_NAN has the bits 0x7ff0000000000002; ordinary NaN is not stale', () => {
    assert.equal(float64Bits(STALE_NAN), '7ff0000000000002');
    assert.ok(isStaleNaN(STALE_NAN));
    assert.ok(!isStaleNaN(NaN));
    assert.ok(!isStaleNaN(0));
    assert.ok(!isStaleNaN(Infinity));
  });

  test('FLAG_NO_RECORDED_VALUE turns every series of a point into a stale marker', () => {
    const t = new PrometheusTranslator({ targetInfo: false });
    const f = FLAG_NO_RECORDED_VALUE;
    const sink = new RecordingSink();
    t.translate(
      md([
        { ...base('g'), type: 'gauge', points: [num(1, { flags: f })] },
        { ...base('c'), type: 'sum', temporality: 2, isMonotonic: true, points: [num(1, { flags: f })] },
        { ...base('h'), type: 'histogram', temporality: 2, points: [hist([1], [1, 1], { flags: f })] },
        { ...base('s'), type: 'summary', points: [summ([[0.5, 1]], { flags: f })] },
      ]),
      sink,
    );
    assert.equal(sink.samples.length, 1 + 1 + 4 + 3);
    for (const s of sink.samples) assert.ok(isStaleNaN(s.value), `${s.name} stale (bits ${float64Bits(s.value)})`);
  });
});

describe('target_info', () => {
  const resource = {
    'service.name': 'api',
    'service.namespace': 'shop',
    'service.instance.id': 'pod-1',
    'host.name': 'h1',
    'k8s.pod.name': 'p',
  };

  test('one gauge target_info per job/instance with the non-identifying resource attributes', () => {
    const t = new PrometheusTranslator({ promoteScopeMetadata: false });
    const data = md([{ ...base('g'), type: 'gauge', points: [num(1, { t: 5n * SEC }), num(2, { t: 7n * SEC, attrs: { a: 'b' } })] }], resource);
    // A second resource with the same identity in the same batch: still one target_info.
    data.resourceMetrics.push(structuredClone(data.resourceMetrics[0]!));
    const sink = new RecordingSink();
    const stats = t.translate(data, sink);
    const ti = sink.samples.filter((s) => s.kind === SeriesKind.TARGET_INFO);
    assert.equal(ti.length, 1);
    assert.equal(stats.targetInfo, 1);
    assert.deepEqual(ti[0]!.labels, { host_name: 'h1', instance: 'pod-1', job: 'shop/api', k8s_pod_name: 'p' });
    assert.equal(ti[0]!.name, 'target_info');
    assert.equal(ti[0]!.value, 1);
    assert.equal(ti[0]!.ts, 7000, 'latest sample time of the resource');
    assert.deepEqual(sink.families.filter((f) => f.name === 'target_info'), [{ name: 'target_info', type: 'gauge', help: 'Target metadata', unit: '' }]);
    // Points themselves carry only job/instance from the resource.
    assert.deepEqual(sink.samples[0]!.labels, { instance: 'pod-1', job: 'shop/api' });
  });

  test('no target_info without non-identifying attributes, without job/instance, or when disabled', () => {
    const pts = () => [{ ...base('g'), type: 'gauge' as const, points: [num(1)] }];
    for (const [res, opts] of [
      [{ 'service.name': 'a', 'service.instance.id': 'i' }, {}],
      [{ 'host.name': 'h' }, {}],
      [resource, { targetInfo: false }],
    ] as const) {
      const sink = new RecordingSink();
      new PrometheusTranslator(opts).translate(md(pts(), res), sink);
      assert.equal(sink.samples.filter((s) => s.kind === SeriesKind.TARGET_INFO).length, 0);
    }
  });

  test('namespace prefixes target_info; keepIdentifyingResourceAttributes keeps service_* labels', () => {
    const sink = new RecordingSink();
    new PrometheusTranslator({ namespace: 'ns', keepIdentifyingResourceAttributes: true }).translate(
      md([{ ...base('g'), type: 'gauge', points: [num(1)] }], resource),
      sink,
    );
    const ti = sink.samples.find((s) => s.kind === SeriesKind.TARGET_INFO)!;
    assert.equal(ti.name, 'ns_target_info');
    assert.equal(ti.labels.service_name, 'api');
    assert.equal(ti.labels.service_instance_id, 'pod-1');
  });
});

describe('identity caches', () => {
  const scraped = (): MetricsData => {
    const data = md([
      { ...base('g'), type: 'gauge', points: [num(1, { attrs: { a: '1' } })] },
      { ...base('h'), type: 'histogram', temporality: 2, points: [hist([1, 2], [1, 1, 1], { attrs: { a: '1' } })] },
    ]);
    // As the Prometheus receiver does: a PromSeries per point, kept across scrapes.
    for (const m of data.resourceMetrics[0]!.scopeMetrics[0]!.metrics) for (const p of m.points) p.prom = { name: m.name, labels: [] };
    return data;
  };

  test('points with prom reuse the same SeriesRefs batch after batch (memo slots survive)', () => {
    const t = new PrometheusTranslator({ targetInfo: false });
    const data = scraped();
    const s1 = new RecordingSink();
    t.translate(data, s1);
    for (const s of s1.samples) s.ref.rw1 = new Uint8Array([1]); // a consumer memoises something
    // Next scrape: new values, same PromSeries objects.
    const pts = data.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    (pts[0]!.points[0] as { value: number }).value = 2;
    const s2 = new RecordingSink();
    t.translate(data, s2);
    assert.equal(s2.samples.length, s1.samples.length);
    s2.samples.forEach((s, i) => {
      assert.equal(s.ref, s1.samples[i]!.ref, `same ref for ${s.name}`);
      assert.deepEqual(s.ref.rw1, new Uint8Array([1]));
    });
    assert.equal(s2.samples[0]!.value, 2);
  });

  test('a cached entry follows a changed bucket layout; another translator has its own entry', () => {
    const t = new PrometheusTranslator({ targetInfo: false });
    const data = scraped();
    t.translate(data, new RecordingSink());
    const hp = data.resourceMetrics[0]!.scopeMetrics[0]!.metrics[1]!.points[0] as ReturnType<typeof hist>;
    hp.explicitBounds = [5];
    hp.bucketCounts = [2, 1];
    const sink = new RecordingSink();
    t.translate(data, sink);
    assert.deepEqual(sink.samples.filter((s) => s.name === 'h_bucket').map((s) => [s.labels.le, s.value]), [['5', 2], ['+Inf', 3]]);
    const other = new PrometheusTranslator({ targetInfo: false, namespace: 'x' });
    const s3 = new RecordingSink();
    other.translate(data, s3);
    assert.equal(s3.samples[0]!.name, 'x_g');
    // Two memos on one series: the first translator's inline, the other's in the map; each keeps its own result.
    assert.equal(data.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0]!.prom!.cache!.size, 1);
    const s4 = new RecordingSink();
    t.translate(data, s4);
    assert.equal(s4.samples[0]!.name, 'g');
    const s5 = new RecordingSink();
    other.translate(data, s5);
    assert.equal(s5.samples[0]!.name, 'x_g');
  });

  test('attachPromIdentity fills prom on points without one; default leaves points untouched', () => {
    const data = md([{ ...base('g'), type: 'gauge', points: [num(1, { attrs: { a: '1' } })] }]);
    new PrometheusTranslator({ targetInfo: false }).translate(data, new RecordingSink());
    const p = data.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0]!;
    assert.equal(p.prom, undefined);
    new PrometheusTranslator({ targetInfo: false, attachPromIdentity: true }).translate(data, new RecordingSink());
    assert.equal(p.prom!.name, 'g');
    assert.deepEqual(p.prom!.labels, [
      { name: 'a', value: '1' },
      { name: 'job', value: 'svc' },
    ]);
  });
});

describe('formatLabelFloat (Go FormatFloat f -1)', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [0.1, '0.1'],
    [1e-7, '0.0000001'],
    [1.5e-10, '0.00000000015'],
    [-2.5e-8, '-0.000000025'],
    [1e21, '1000000000000000000000'],
    [1.234e22, '12340000000000000000000'],
    [123456.789, '123456.789'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ];
  for (const [v, want] of cases) test(`${v} -> ${want}`, () => assert.equal(formatLabelFloat(v), want));
});

describe('label plans per attribute-key shape', () => {
  test('points sharing keys reuse the plan; other key orders/sets, empty values and collisions stay correct', () => {
    const warnings: string[] = [];
    const t = new PrometheusTranslator({ targetInfo: false, onWarning: (m) => warnings.push(m), externalLabels: { zone: 'z1' } });
    const sink = new RecordingSink();
    const stats = t.translate(
      md([
        {
          ...base('g'),
          type: 'gauge',
          points: [
            num(1, { attrs: { b: '1', a: '2' } }),
            num(2, { attrs: { b: '3', a: '4' } }),
            num(3, { attrs: { a: '5', b: '6' } }),
            num(4, { attrs: { b: '', a: '7' } }),
            num(5, { attrs: { 'x.y': 'p', x_y: 'q', zone: 'mine' } }),
            num(6, { attrs: { 'x.y': 'r', x_y: 's', zone: '' } }),
            num(7, { attrs: { b: '8', a: '9' } }),
          ],
        },
      ]),
      sink,
    );
    assert.deepEqual(sink.lines(), [
      'g{a="2",b="1",job="svc",zone="z1"} 1',
      'g{a="4",b="3",job="svc",zone="z1"} 2',
      'g{a="5",b="6",job="svc",zone="z1"} 3',
      'g{a="7",job="svc",zone="z1"} 4',
      'g{job="svc",x_y="p;q",zone="mine"} 5',
      'g{job="svc",x_y="r;s"} 6',
      'g{a="9",b="8",job="svc",zone="z1"} 7',
    ]);
    assert.equal(stats.collisions, 2, 'counted per point');
    assert.equal(warnings.length, 1, 'warned once per key shape');
  });
});

describe('content cache for points without prom (OTLP input)', () => {
  const batch = (svc: string, v: number) =>
    md([{ ...base('g'), type: 'gauge', points: [num(v, { attrs: { a: '1' } }), num(v, { attrs: { a: '2' } })] }], { 'service.name': svc });

  test('fresh point objects with the same content get the same cacheable SeriesRefs', () => {
    const t = new PrometheusTranslator({ targetInfo: false });
    const s1 = new RecordingSink();
    t.translate(batch('svc', 1), s1);
    const s2 = new RecordingSink();
    t.translate(batch('svc', 2), s2);
    assert.equal(s2.samples[0]!.ref, s1.samples[0]!.ref);
    assert.equal(s2.samples[1]!.ref, s1.samples[1]!.ref);
    assert.equal(s1.samples[0]!.ref.cacheable, true);
    assert.equal(s2.samples[0]!.value, 2);
    const s3 = new RecordingSink();
    t.translate(batch('other', 3), s3);
    assert.notEqual(s3.samples[0]!.ref, s1.samples[0]!.ref, 'different resource context, different entry');
    assert.deepEqual(s3.lines(), ['g{a="1",job="other"} 3', 'g{a="2",job="other"} 3']);
  });

  test('disabled with seriesCacheSize 0 (refs not cacheable); bounded by two generations', () => {
    const off = new PrometheusTranslator({ targetInfo: false, seriesCacheSize: 0 });
    const a = new RecordingSink();
    const b = new RecordingSink();
    off.translate(batch('svc', 1), a);
    off.translate(batch('svc', 1), b);
    assert.notEqual(a.samples[0]!.ref, b.samples[0]!.ref);
    assert.equal(a.samples[0]!.ref.cacheable, false);
    const small = new PrometheusTranslator({ targetInfo: false, seriesCacheSize: 1 });
    for (let i = 0; i < 5; i++) small.translate(batch(`svc${i}`, i), new RecordingSink());
    assert.ok(small.content!.size <= 2, `size ${small.content!.size}`);
  });

  test('entries age out after metricExpirationMs without being seen', () => {
    let now = 0;
    const t = new PrometheusTranslator({ targetInfo: false, metricExpirationMs: 1000, now: () => now });
    const s1 = new RecordingSink();
    t.translate(batch('svc', 1), s1);
    now += 1500;
    t.translate(md([]), new RecordingSink()); // rotation 1: entries become old
    now += 1500;
    t.translate(md([]), new RecordingSink()); // rotation 2: forgotten
    assert.equal(t.content!.size, 0);
  });
});
