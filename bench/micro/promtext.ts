/**
 * Prometheus text / OpenMetrics codec micro-benchmarks on a generated ~1000-series scrape target (counters, gauges,
 * histograms, a summary; 3-5 realistic labels per series):
 * - parse text 0.0.4 from a Buffer (UTF-8 check + decode included), reading what a scraper with a warm series cache
 *   reads per sample: raw series key, value, timestamp;
 * - the same with full label extraction (a cold cache);
 * - parse OpenMetrics with family validation;
 * - render 1000 families (text and OpenMetrics).
 * Each run returns the samples processed.
 */
import type { MicroBench } from '../harness.ts';
import { EntryType, createParser, writeOpenMetrics, writeText } from '../../src/codec/promtext/index.ts';
import type { WriteFamily, WriteSample } from '../../src/codec/promtext/index.ts';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const CODES = ['200', '201', '404', '500', '503'];
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, Infinity];

function lbls(f: number, i: number): string[] {
  return [
    'handler', `/api/v1/${['query', 'series', 'labels', 'targets', 'rules'][(f + i) % 5]}`,
    'method', METHODS[i % 4] as string,
    'code', CODES[(i + f) % 5] as string,
    'instance', `10.0.${f % 7}.${i}:9100`,
  ];
}

/** About `series` samples spread over counter, gauge, histogram and summary families. */
export function benchFamilies(series: number): WriteFamily[] {
  const fams: WriteFamily[] = [];
  let n = 0;
  for (let f = 0; n < series; f++) {
    const kind = f % 4;
    const samples: WriteSample[] = [];
    if (kind === 0) {
      for (let i = 0; i < 10; i++) samples.push({ labels: lbls(f, i), value: 1000 * f + i * 17 });
      fams.push({ name: `app_requests_${f}_total`, type: 'counter', help: `Requests handled (family ${f}).`, samples });
    } else if (kind === 1 || kind === 3) {
      for (let i = 0; i < 10; i++) samples.push({ labels: lbls(f, i).slice(0, 6), value: (f * 31 + i) / 7 });
      fams.push({ name: `app_queue_depth_${f}`, type: 'gauge', help: 'Items waiting in the queue.', samples });
    } else if (f % 8 === 2) {
      for (let i = 0; i < 5; i++) {
        const l = lbls(f, i).slice(0, 4);
        let c = 0;
        for (const le of BOUNDS) samples.push({ suffix: '_bucket', labels: l, le, value: (c += i + 1) });
        samples.push({ suffix: '_sum', labels: l, value: c * 0.137 }, { suffix: '_count', labels: l, value: c });
      }
      fams.push({ name: `app_request_duration_seconds_${f}`, type: 'histogram', help: 'Request latency.', unit: 'seconds', samples });
    } else {
      for (let i = 0; i < 3; i++) {
        const l = lbls(f, i).slice(0, 2);
        for (const q of [0, 0.25, 0.5, 0.75, 1]) samples.push({ labels: l, quantile: q, value: q * 0.01 + i * 1e-5 });
        samples.push({ suffix: '_sum', labels: l, value: 12.5 + i }, { suffix: '_count', labels: l, value: 1000 + i });
      }
      fams.push({ name: `go_gc_duration_seconds_${f}`, type: 'summary', help: 'GC pause durations.', samples });
    }
    n += samples.length;
  }
  return fams;
}

function countSamples(fams: WriteFamily[]): number {
  return fams.reduce((a, f) => a + f.samples.length, 0);
}

const benches: MicroBench[] = [
  {
    name: 'promtext: parse text 0.0.4 (~1000 series, key + value; lazy labels, as a scrape-cache hit)',
    items: 'samples',
    prepare() {
      const body = Buffer.from(writeText(benchFamilies(1000)));
      return () => {
        const p = createParser('text', body, { lazyLabels: true });
        let n = 0;
        let acc = 0;
        for (let t = p.next(); t !== EntryType.EOF; t = p.next()) {
          if (t !== EntryType.Series) continue;
          acc += p.series().length + p.value() + (p.hasTimestamp() ? p.timestamp() : 0);
          n++;
        }
        if (acc === -1) throw new Error('unreachable');
        return n;
      };
    },
  },
  {
    name: 'promtext: parse text 0.0.4 (~1000 series, all labels)',
    items: 'samples',
    prepare() {
      const body = Buffer.from(writeText(benchFamilies(1000)));
      const out: string[] = [];
      return () => {
        const p = createParser('text', body);
        let n = 0;
        for (let t = p.next(); t !== EntryType.EOF; t = p.next()) {
          if (t !== EntryType.Series) continue;
          out.length = 0;
          p.labels(out);
          out.push(p.metricName());
          n++;
        }
        return n;
      };
    },
  },
  {
    name: 'promtext: parse OpenMetrics + validation (~1000 series)',
    items: 'samples',
    prepare() {
      const body = Buffer.from(writeOpenMetrics(benchFamilies(1000)));
      return () => {
        const p = createParser('openmetrics', body, { validate: true });
        let n = 0;
        let acc = 0;
        for (let t = p.next(); t !== EntryType.EOF; t = p.next()) {
          if (t !== EntryType.Series) continue;
          acc += p.series().length + p.value();
          n++;
        }
        if (acc === -1) throw new Error('unreachable');
        return n;
      };
    },
  },
  {
    name: 'promtext: render 1000 families (text)',
    items: 'samples',
    prepare() {
      const fams = benchFamilies(25000).slice(0, 1000);
      const n = countSamples(fams);
      return () => (writeText(fams).length > 0 ? n : 0);
    },
  },
  {
    name: 'promtext: render 1000 families (OpenMetrics)',
    items: 'samples',
    prepare() {
      const fams = benchFamilies(25000).slice(0, 1000);
      const n = countSamples(fams);
      return () => (writeOpenMetrics(fams).length > 0 ? n : 0);
    },
  },
];

export default benches;
