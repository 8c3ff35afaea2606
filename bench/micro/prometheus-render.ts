/**
 * `prometheus` exporter /metrics render for 100k series: 800 families (400 counters, 400 gauges) x 125 series,
 * 4 labels each plus job/instance, as an OTLP batch translated into the exporter's store.
 * - "render text, values changed": every sample gets a new value before each render (the steady state of a gateway
 *   whose inputs update between scrapes: every line is re-rendered, only the series text is cached);
 * - "render text, unchanged": a second scrape with no update in between (cached lines);
 * - "render OpenMetrics, values changed";
 * - "consume 100k points": translate + store update of the same batch (the cost paid per incoming batch).
 * Each run returns the series rendered (or points consumed). Renders go through `renderTo` into the pooled 64 KiB
 * chunks the /metrics server streams (each chunk handed to a no-op sink and given back), not into one string.
 *
 * prom-client's `Registry.metrics()` is async, which the synchronous harness cannot time; run this file directly
 * (`npx node bench/micro/prometheus-render.ts`) for the side-by-side with prom-client rendering the same 100k series
 * (same names, labels and values) in the same process.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { MicroBench } from '../harness.ts';
import type { Metric, MetricsData } from '../../src/model/types.ts';
import { PrometheusTranslator } from '../../src/translate/prometheus/index.ts';
import { SeriesStore } from '../../src/exporters/prometheus/store.ts';
import { renderAll, renderTo } from '../../src/exporters/prometheus/render.ts';

const FAMILIES = 800;
const PER = 125;
const SERIES = FAMILIES * PER;
const T0 = 1_700_000_000_000_000_000n;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];

function labelsOf(f: number, i: number): Record<string, string> {
  return { handler: `/api/v1/items/${i}`, method: METHODS[i % 4]!, code: String(200 + (i % 5)), pod: `pod-${(f + i) % 50}` };
}

export function batch(round: number): MetricsData {
  const metrics: Metric[] = [];
  for (let f = 0; f < FAMILIES; f++) {
    const counter = f % 2 === 0;
    const points = Array.from({ length: PER }, (_, i) => ({
      attributes: Object.entries(labelsOf(f, i)).map(([key, value]) => ({ key, value })),
      startTimeUnixNano: T0,
      timeUnixNano: T0 + BigInt(round + 1) * 15_000_000_000n,
      flags: 0,
      value: counter ? 1000 * f + i + round : (f * 31 + i + round) / 7,
      exemplars: [],
    }));
    const base = { name: `app_metric_${f}`, description: `Bench metric ${f}.`, unit: '', metadata: [] };
    metrics.push(counter ? { ...base, type: 'sum', temporality: 2, isMonotonic: true, points } : { ...base, type: 'gauge', points });
  }
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'bench' }, { key: 'service.instance.id', value: 'host-1:9000' }], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeMetrics: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', metrics }],
      },
    ],
  };
}

const noSink = (): void => undefined;
const render = (store: SeriesStore, format: 'text' | 'openmetrics'): number => renderTo(store, { format, timestamps: false }, noSink);

function filledStore(): { store: SeriesStore; translator: PrometheusTranslator } {
  const store = new SeriesStore(300_000, true);
  const translator = new PrometheusTranslator({ targetInfo: false, deltaToCumulative: true });
  store.begin(Date.now());
  translator.translate(batch(0), store);
  store.end();
  return { store, translator };
}

/** Bumps every value (what a consume between two scrapes does to the cached lines). */
function touchAll(store: SeriesStore, round: number): void {
  for (const f of store.families.values()) {
    for (const p of f.points.values()) {
      for (const s of p.samples) {
        s.value += round;
        s.text = s.om = undefined;
      }
    }
  }
}

const benches: MicroBench[] = [
  {
    name: 'prometheus exporter: render text 100k series, values changed',
    items: 'series',
    prepare() {
      const { store } = filledStore();
      let round = 0;
      return () => {
        touchAll(store, ++round);
        render(store, 'text');
        return SERIES;
      };
    },
  },
  {
    name: 'prometheus exporter: render text 100k series, unchanged',
    items: 'series',
    prepare() {
      const { store } = filledStore();
      return () => {
        render(store, 'text');
        return SERIES;
      };
    },
  },
  {
    name: 'prometheus exporter: render OpenMetrics 100k series, values changed',
    items: 'series',
    prepare() {
      const { store } = filledStore();
      let round = 0;
      return () => {
        touchAll(store, ++round);
        render(store, 'openmetrics');
        return SERIES;
      };
    },
  },
  {
    name: 'prometheus exporter: consume 100k OTLP points (translate + store)',
    items: 'points',
    prepare() {
      const { store, translator } = filledStore();
      const batches = [batch(1), batch(2)];
      let round = 0;
      return () => {
        store.begin(Date.now());
        translator.translate(batches[round++ % 2]!, store);
        store.end();
        return SERIES;
      };
    },
  },
];
export default benches;

/** prom-client registry with the same series and values as `batch(0)` after translation. */
function promClientRegistry(): { reg: Registry; touch: (round: number) => void } {
  const reg = new Registry();
  const setters: ((round: number) => void)[] = [];
  for (let f = 0; f < FAMILIES; f++) {
    const counter = f % 2 === 0;
    const labelNames = ['code', 'handler', 'instance', 'job', 'method', 'pod'];
    const name = counter ? `app_metric_${f}_total` : `app_metric_${f}`;
    const m = counter ? new Counter({ name, help: `Bench metric ${f}.`, labelNames, registers: [reg] }) : new Gauge({ name, help: `Bench metric ${f}.`, labelNames, registers: [reg] });
    for (let i = 0; i < PER; i++) {
      const labels = { ...labelsOf(f, i), instance: 'host-1:9000', job: 'bench' };
      if (m instanceof Counter) {
        m.inc(labels, 1000 * f + i);
        const child = m.labels(labels);
        setters.push((round) => child.inc(round));
      } else {
        m.set(labels, (f * 31 + i) / 7);
        const child = m.labels(labels);
        setters.push((round) => child.set(round));
      }
    }
  }
  return { reg, touch: (round) => setters.forEach((s) => s(round)) };
}

async function compare(): Promise<void> {
  const N = 20;
  const { store } = filledStore();
  const ours = renderAll(store, { format: 'text', timestamps: false });
  const { reg, touch } = promClientRegistry();
  const theirs = await reg.metrics();
  const lines = (s: string) => s.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  console.log(`series: ours ${lines(ours)}, prom-client ${lines(theirs)}; bytes: ours ${ours.length}, prom-client ${theirs.length}`);
  for (let i = 0; i < 5; i++) (touchAll(store, i), render(store, 'text'), touch(1), await reg.metrics());
  const time = async (f: (i: number) => unknown): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await f(i);
      out.push(performance.now() - t);
    }
    return out.sort((a, b) => a - b);
  };
  const med = (xs: number[]) => xs[xs.length >> 1]!.toFixed(1);
  const promMs = await time(async () => (touch(1), reg.metrics()));
  const changedMs = await time((i) => (touchAll(store, i + 10), render(store, 'text')));
  const omMs = await time((i) => (touchAll(store, i + 50), render(store, 'openmetrics')));
  const cachedMs = await time(() => render(store, 'text'));
  const stringMs = await time(() => renderAll(store, { format: 'text', timestamps: false }));
  console.log(`median of ${N} renders of 100k series (otel-bridge: bytes into pooled 64 KiB chunks, as /metrics streams them):`);
  console.log(`  prom-client Registry.metrics() (values changed)  ${med(promMs)} ms`);
  console.log(`  otel-bridge text, values changed                 ${med(changedMs)} ms (${((Number(med(changedMs)) / Number(med(promMs))) * 100).toFixed(0)}% of prom-client)`);
  console.log(`  otel-bridge OpenMetrics, values changed          ${med(omMs)} ms`);
  console.log(`  otel-bridge text, unchanged (cached values)      ${med(cachedMs)} ms`);
  console.log(`  otel-bridge text, unchanged, as one string       ${med(stringMs)} ms (renderAll: tests only)`);
}

if (import.meta.main) await compare();
