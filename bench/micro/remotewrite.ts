/**
 * OTLP -> Prometheus translation and remote-write encoding micro-benchmarks. The input is one batch of 10k series
 * (10 metrics x 1000 points, counters and gauges, 5 attributes per point, job/instance from the resource): one
 * sample per series per run. "prom" inputs carry a `prom` identity per point that survives across batches, as the
 * Prometheus receiver provides; "OTLP" inputs have none and hit the translator's content-keyed series cache from the
 * second batch on. Either way the encoders then reuse their per-series label memos (the steady state). "no cache"
 * translates every point from scratch (first sight of every series). Each run returns samples.
 * Goal: RW 1.0 encode + snappy >= 2M samples/s per core.
 */
import type { MicroBench } from '../harness.ts';
import { RemoteWriteV1Encoder, RemoteWriteV2Encoder } from '../../src/codec/remotewrite/index.ts';
import type { Attributes, Metric, MetricsData } from '../../src/model/types.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/index.ts';
import type { PromExemplar, PromSink, SeriesKind, SeriesRef } from '../../src/translate/prometheus/index.ts';

const T0 = 1_700_000_000_000_000_000n;
const SERIES = 10_000;

/** A flat string, as a protobuf decoder produces (template literals would give V8 cons strings). */
const flat = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');

function attrs(m: number, i: number): Attributes {
  return [
    { key: 'http.request.method', value: i % 3 === 0 ? 'GET' : 'POST' },
    { key: 'http.response.status_code', value: BigInt(200 + (i % 5)) },
    { key: 'http.route', value: flat(`/api/v1/items/${i}`) },
    { key: 'server.address', value: flat(`backend-${m}.svc.cluster.local`) },
    { key: 'k8s.pod.name', value: flat(`pod-${i % 37}`) },
  ];
}

/** 10k number points; `cached` attaches a persistent PromSeries per point. */
export function batch(cached: boolean): MetricsData {
  const metrics: Metric[] = [];
  const per = SERIES / 10;
  for (let m = 0; m < 10; m++) {
    const base = { name: `app.metric_${m}`, description: 'bench metric', unit: m % 2 ? 'ms' : '{request}', metadata: [] };
    const points = Array.from({ length: per }, (_, i) => ({
      attributes: attrs(m, i),
      startTimeUnixNano: T0,
      timeUnixNano: T0 + 15_000_000_000n,
      flags: 0,
      value: m % 2 ? 12.5 + i : BigInt(1000 + i),
      exemplars: [],
      prom: cached ? { name: base.name, labels: [] } : undefined,
    }));
    metrics.push(
      m % 2 ? { ...base, type: 'gauge', points } : { ...base, type: 'sum', temporality: 2, isMonotonic: true, points },
    );
  }
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: 'checkout' },
            { key: 'service.instance.id', value: '10.0.0.7:9090' },
          ],
          droppedAttributesCount: 0,
        },
        schemaUrl: '',
        scopeMetrics: [
          { scope: { name: 'bench', version: '1.0', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', metrics },
        ],
      },
    ],
  };
}

const noop: PromSink = { family() {}, series() {} };
const options = { targetInfo: false } as const;

/** Records one translated batch so the encoders can be timed alone (values kept in a Float64Array). */
function record(data: MetricsData): (sink: PromSink) => number {
  const refs: SeriesRef[] = [];
  const ts: number[] = [];
  const kinds: SeriesKind[] = [];
  const values = new Float64Array(SERIES * 2);
  const t = new PrometheusTranslator(options);
  t.translate(data, {
    family() {},
    series(ref: SeriesRef, v: number, tsMs: number, kind: SeriesKind, _s: number, _e: readonly PromExemplar[] | undefined) {
      values[refs.length] = v;
      refs.push(ref);
      ts.push(tsMs);
      kinds.push(kind);
    },
  });
  return (sink) => {
    sink.family('x', 'gauge', '', '');
    for (let i = 0; i < refs.length; i++) sink.series(refs[i]!, values[i]!, ts[i]!, kinds[i]!, 0, undefined);
    return refs.length;
  };
}

const benches: MicroBench[] = [
  {
    name: 'remotewrite: translate 10k series (prom identity)',
    items: 'samples',
    prepare() {
      const t = new PrometheusTranslator(options);
      const data = batch(true);
      t.translate(data, noop); // first batch fills the caches
      return () => t.translate(data, noop).samples;
    },
  },
  {
    name: 'remotewrite: translate 10k series (OTLP points, content cache)',
    items: 'samples',
    prepare() {
      const t = new PrometheusTranslator(options);
      const data = batch(false);
      t.translate(data, noop);
      return () => t.translate(data, noop).samples;
    },
  },
  {
    name: 'remotewrite: translate 10k series (no cache: first sight)',
    items: 'samples',
    prepare() {
      const t = new PrometheusTranslator({ ...options, seriesCacheSize: 0 });
      const data = batch(false);
      return () => t.translate(data, noop).samples;
    },
  },
  {
    name: 'remotewrite: RW1 encode + snappy 10k samples (labels memoised)',
    items: 'samples',
    prepare() {
      const replay = record(batch(true));
      const enc = new RemoteWriteV1Encoder();
      replay(enc);
      return () => {
        enc.reset();
        const n = replay(enc);
        enc.finishSnappy();
        return n;
      };
    },
  },
  {
    name: 'remotewrite: translate + RW1 encode + snappy 10k series (prom identity, 2nd batch on)',
    items: 'samples',
    prepare() {
      const t = new PrometheusTranslator(options);
      const data = batch(true);
      const enc = new RemoteWriteV1Encoder();
      t.translate(data, enc);
      return () => {
        enc.reset();
        const n = t.translate(data, enc).samples;
        enc.finishSnappy();
        return n;
      };
    },
  },
  {
    name: 'remotewrite: translate + RW1 encode + snappy 10k series (OTLP points, content cache)',
    items: 'samples',
    prepare() {
      const t = new PrometheusTranslator(options);
      const data = batch(false);
      const enc = new RemoteWriteV1Encoder();
      t.translate(data, enc);
      return () => {
        enc.reset();
        const n = t.translate(data, enc).samples;
        enc.finishSnappy();
        return n;
      };
    },
  },
  {
    name: 'remotewrite: translate + RW1 encode + snappy 10k series (no cache: first sight)',
    items: 'samples',
    prepare() {
      const t = new PrometheusTranslator({ ...options, seriesCacheSize: 0 });
      const data = batch(false);
      const enc = new RemoteWriteV1Encoder();
      return () => {
        enc.reset();
        const n = t.translate(data, enc).samples;
        enc.finishSnappy();
        return n;
      };
    },
  },
  {
    name: 'remotewrite: translate + RW2 encode + snappy 10k series (prom identity, 2nd batch on)',
    items: 'samples',
    prepare() {
      const t = new PrometheusTranslator(options);
      const data = batch(true);
      const enc = new RemoteWriteV2Encoder();
      t.translate(data, enc);
      return () => {
        enc.reset();
        const n = t.translate(data, enc).samples;
        enc.finishSnappy();
        return n;
      };
    },
  },
];

export default benches;
