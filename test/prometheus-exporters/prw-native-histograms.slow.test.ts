/**
 * OTLP exponential histograms -> `prometheusremotewrite` -> a real Prometheus 2.42 started with
 * `--web.enable-remote-write-receiver --enable-feature=native-histograms`: its query API must return, per series and
 * per round, `histogram_count`, `histogram_sum` and `histogram_quantile` matching the pushed data (quantiles chosen to
 * fall on bucket boundaries, so the expected value follows from the OTLP buckets whatever the interpolation), for a
 * scale-0 series, a scale-10 series (downscaled to schema 8) and a series with negative and zero buckets; a stale
 * point ends a series.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExponentialHistogramDataPoint, Metric } from '../../src/model/types.ts';
import { FLAG_NO_RECORDED_VALUE, Temporality } from '../../src/model/types.ts';
import { pushInto, testRegistry } from '../helpers/components.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { attrs, counters, md, pushConfig, resource, waitFor } from './helpers.ts';
import { labelKey, startPrometheus, type Peer } from './peer-procs.ts';

let prom: Peer;
let gw: TestGateway | undefined;
const NOW = Math.floor(Date.now() / 1000) * 1000;
const ROUND_MS = [NOW - 60_000, NOW - 30_000, NOW - 15_000];
const START = BigInt(NOW - 120_000) * 1_000_000n;

before(async () => {
  prom = await startPrometheus('[]', ['--web.enable-remote-write-receiver', '--enable-feature=native-histograms']);
  gw = await startGateway(
    pushConfig(`  prometheusremotewrite/prom:\n    endpoint: ${prom.url}/api/v1/write\n    retry_on_failure: {initial_interval: 20ms, max_interval: 200ms}\n`, ['prometheusremotewrite/prom']),
    { registry: testRegistry() },
  );
});

after(async () => {
  await gw?.stop();
  await prom?.stop();
});

interface Shape {
  route: string;
  scale: number;
  pos: [number, number[]];
  neg?: [number, number[]];
  zeroCount?: number;
  sum: number;
  /** Quantiles whose rank ends exactly at a (merged) bucket boundary. */
  quantiles: number[];
  stale?: boolean;
}

/** Round r of each series: cumulative, so every bucket grows by a factor (r + 1). */
function shapes(r: number): Shape[] {
  const k = r + 1;
  return [
    { route: 'scale0', scale: 0, pos: [0, [2 * k, 4 * k, 2 * k]], sum: 30 * k, quantiles: [0.25, 0.75, 1] },
    // scale 10 -> schema 8: every 4 OTLP buckets merge; ranks 4k and 16k fall on merged boundaries.
    { route: 'scale10', scale: 10, pos: [-4, [k, k, k, k, 3 * k, 3 * k, 3 * k, 3 * k]], sum: 16.5 * k, quantiles: [0.25, 1] },
    { route: 'mixed', scale: 1, pos: [2, [5 * k, 0, 0, 0, 0, 1 * k]], neg: [-1, [2 * k, 3 * k]], zeroCount: 4 * k, sum: 7.25 * k, quantiles: [], stale: r === 2 },
  ];
}

function point(s: Shape, r: number): ExponentialHistogramDataPoint {
  const sumOf = (c: number[]) => c.reduce((a, b) => a + b, 0);
  const neg = s.neg ?? [0, []];
  return {
    attributes: attrs({ route: s.route }),
    startTimeUnixNano: START,
    timeUnixNano: BigInt(ROUND_MS[r]!) * 1_000_000n,
    flags: s.stale ? FLAG_NO_RECORDED_VALUE : 0,
    count: (s.zeroCount ?? 0) + sumOf(s.pos[1]) + sumOf(neg[1]),
    sum: s.sum,
    scale: s.scale,
    zeroCount: s.zeroCount ?? 0,
    positive: { offset: s.pos[0], bucketCounts: s.pos[1] },
    negative: { offset: neg[0], bucketCounts: neg[1] },
    exemplars: [],
    min: undefined,
    max: undefined,
    zeroThreshold: 0,
  };
}

function round(r: number): Metric {
  const pts = shapes(r).map((s) => point(s, r));
  return { type: 'exponential_histogram', name: 'rpc.server.latency', description: 'RPC latency', unit: 's', metadata: [], temporality: Temporality.CUMULATIVE, points: pts };
}

/** The upper bound of the bucket where the rank q*count is reached exactly (OTLP bucket i covers (b^(o+i), b^(o+i+1)]). */
function boundaryQuantile(s: Shape, q: number): number {
  const counts = s.pos[1];
  const total = counts.reduce((a, b) => a + b, 0);
  const rank = q * total;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    cum += counts[i]!;
    if (cum === rank) {
      const index = s.pos[0] + i + 1;
      const scaleDown = Math.max(0, s.scale - 8);
      assert.equal(index % 2 ** scaleDown, 0, 'test data: the boundary survives downscaling');
      return 2 ** (index / 2 ** s.scale);
    }
    assert.ok(cum < rank, 'test data: the rank must end exactly at a bucket boundary');
  }
  throw new Error('rank not reached');
}

async function query(q: string, atMs: number): Promise<Map<string, number>> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}&time=${atMs / 1000}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`${q}: ${body.error}`);
  return new Map(body.data.result.map((x) => [labelKey(x.metric), Number(x.value[1])]));
}

const NAME = 'rpc_server_latency_seconds';
const series = (route: string) => `{instance="pod-1",job="api",route="${route}"}`;

test('Prometheus 2.42 (native histograms) answers histogram_count/_sum/_quantile as pushed, per round; stale ends a series', async () => {
  for (let r = 0; r < 3; r++) await pushInto('testpush', md(resource([round(r)])));
  const ID = 'prometheusremotewrite/prom';
  await waitFor(() => (counters(gw!, ID)['otelcol_exporter_sent_metric_points'] ?? 0) === 9, 20_000, 'all 9 points sent');
  await waitFor(async () => (await query(`histogram_count(${NAME})`, ROUND_MS[1]!)).size >= 3, 30_000, 'Prometheus has the native histograms');

  for (let r = 0; r < 2; r++) {
    const at = ROUND_MS[r]!;
    const cnt = await query(`histogram_count(${NAME})`, at);
    const sum = await query(`histogram_sum(${NAME})`, at);
    for (const s of shapes(r)) {
      const p = point(s, r);
      const key = series(s.route);
      assert.equal(cnt.get(key), p.count, `round ${r} ${s.route}: histogram_count`);
      assert.equal(sum.get(key), p.sum, `round ${r} ${s.route}: histogram_sum`);
      for (const q of s.quantiles) {
        const got = (await query(`histogram_quantile(${q}, ${NAME}{route="${s.route}"})`, at)).get(series(s.route));
        const want = boundaryQuantile(s, q);
        assert.ok(got !== undefined && Math.abs(got - want) <= want * 1e-12, `round ${r} ${s.route}: histogram_quantile(${q}) = ${got}, want ${want}`);
      }
    }
    // Negative and zero buckets (bounds between buckets, so no interpolation): the negative observations all lie in
    // [-1, -0.7), the zero bucket within (-0.5, 0.5), the positive ones above 2.
    const mixed = shapes(r)[2]!;
    const total = point(mixed, r).count;
    const negatives = (mixed.neg?.[1] ?? []).reduce((a, b) => a + b, 0);
    const fraction = async (lo: string, hi: string) => (await query(`histogram_fraction(${lo}, ${hi}, ${NAME}{route="mixed"})`, at)).get(series('mixed'));
    const fNeg = await fraction('-Inf', '-0.5');
    assert.ok(fNeg !== undefined && Math.abs(fNeg - negatives / total) < 1e-12, `round ${r}: histogram_fraction(-Inf, -0.5) = ${fNeg}`);
    const fZero = await fraction('-0.5', '0.5');
    assert.ok(fZero !== undefined && Math.abs(fZero - mixed.zeroCount! / total) < 1e-12, `round ${r}: histogram_fraction(-0.5, 0.5) = ${fZero}`);
  }
  // Round 3: the mixed series got a stale point; the others keep their round-3 values.
  const after3 = await query(`histogram_count(${NAME})`, ROUND_MS[2]! + 1000);
  assert.equal(after3.has(series('mixed')), false, 'the stale marker ends the mixed series');
  assert.equal(after3.get(series('scale0')), point(shapes(2)[0]!, 2).count);
  // Nothing was dropped on the way.
  const st = counters(gw!, ID);
  assert.equal(st['otelbridge_exporter_prw_failed_samples'] ?? 0, 0, JSON.stringify(st));
  assert.equal(st['otelcol_exporter_send_failed_metric_points'] ?? 0, 0, JSON.stringify(st));
});
