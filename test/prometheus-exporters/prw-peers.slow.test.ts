/**
 * The `prometheusremotewrite` exporter against real receivers: Prometheus 2.42 (`--web.enable-remote-write-receiver`)
 * and VictoriaMetrics. Two inputs feed the same exporters: OTLP-shaped batches (testpush: gauge, counter, histogram,
 * summary over two rounds) and a real scrape (the prometheus receiver scraping a static exposition with every type).
 * A third exporter writes to the recording test receiver, which is "what was sent"; after the gateway has stopped,
 * both peers' query APIs must return exactly those series with exactly those samples (values and timestamps).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { pushInto, testRegistry } from '../helpers/components.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';
import { isStaleNaN } from '../../src/translate/prometheus/index.ts';
import { counter, gauge, histogram, md, resource, summary, waitFor } from './helpers.ts';
import { labelKey, rawSamples, startPrometheus, startVictoriaMetrics, type Peer } from './peer-procs.ts';
import { RwSink } from './rw-sink.ts';

const EXPOSITION = `# HELP static_temperature_celsius Temperature.
# TYPE static_temperature_celsius gauge
static_temperature_celsius{room="lab"} 23.5
# HELP static_jobs_total Jobs done.
# TYPE static_jobs_total counter
static_jobs_total{queue="a"} 42
# HELP static_latency_seconds Latency.
# TYPE static_latency_seconds histogram
static_latency_seconds_bucket{le="0.5"} 2
static_latency_seconds_bucket{le="1"} 5
static_latency_seconds_bucket{le="+Inf"} 7
static_latency_seconds_sum 4.25
static_latency_seconds_count 7
# HELP static_rpc_seconds RPC time.
# TYPE static_rpc_seconds summary
static_rpc_seconds{quantile="0.5"} 0.2
static_rpc_seconds{quantile="0.99"} 0.9
static_rpc_seconds_sum 12
static_rpc_seconds_count 40
`;

let prom: Peer;
let vm: Peer;
let target: Server;
let sink: RwSink;
let gw: TestGateway | undefined;
const T0 = Math.floor(Date.now() / 1000) * 1000 - 120_000;

before(async () => {
  [prom, vm] = await Promise.all([startPrometheus('[]', ['--web.enable-remote-write-receiver']), startVictoriaMetrics()]);
  sink = new RwSink();
  await sink.start();
  const targetPort = await freePort();
  target = createServer((_req, res) => (res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }), res.end(EXPOSITION)));
  await new Promise<void>((r) => target.listen(targetPort, '127.0.0.1', r));
  const prw = (id: string, url: string) => `  prometheusremotewrite/${id}:\n    endpoint: ${url}\n    retry_on_failure: {initial_interval: 20ms, max_interval: 200ms}\n`;
  gw = await startGateway(
    `receivers:
  testpush: {}
  prometheus:
    config:
      scrape_configs:
        - job_name: static
          scrape_interval: 1s
          scrape_timeout: 1s
          static_configs: [{targets: ["127.0.0.1:${targetPort}"]}]
exporters:
${prw('prom', `${prom.url}/api/v1/write`)}${prw('vm', `${vm.url}/api/v1/write`)}${prw('sink', sink.url)}
service:
  pipelines:
    metrics/otlp:
      receivers: [testpush]
      exporters: [prometheusremotewrite/prom, prometheusremotewrite/vm, prometheusremotewrite/sink]
    metrics/scrape:
      receivers: [prometheus]
      exporters: [prometheusremotewrite/prom, prometheusremotewrite/vm, prometheusremotewrite/sink]
${telemetryYaml()}`,
    { registry: testRegistry() },
  );
});

after(async () => {
  await gw?.stop();
  await sink?.stop();
  await new Promise((r) => target?.close(r));
  await prom?.stop();
  await vm?.stop();
});

const ns = (ms: number) => BigInt(ms) * 1_000_000n;

function otlpRound(r: number) {
  const t = ns(T0 + r * 15_000);
  const start = ns(T0 - 60_000);
  return md(
    resource(
      [
        gauge('room.temperature', [[20 + r, { a: { room: 'kitchen' }, t }], [18.5 - r, { a: { room: 'hall' }, t }]], 'Room temperature', 'Cel'),
        counter('http.server.requests', [[100n + BigInt(r * 10), { a: { method: 'GET' }, t, start }]], { desc: 'Requests' }),
        histogram('http.server.duration', [0.1, 1], [1 + r, 2, 3], 1.5 + r, { a: { route: '/x' }, t, start }),
        summary('rpc.server.duration', [[0.5, 2 + r], [0.9, 4 + r]], 3 + r, 9 + r, { t, start }),
      ],
      { 'service.name': 'shop', 'service.namespace': 'prod', 'service.instance.id': 'pod-7', 'k8s.node.name': 'n1' },
    ),
  );
}

type Series = Map<string, Array<[number, number]>>;

function sent(): Series {
  const out: Series = new Map();
  for (const [k, samples] of sink.bySeries()) {
    const kept = samples.filter((s) => !isStaleNaN(s.value)).map((s): [number, number] => [s.timestamp, s.value]);
    if (kept.length > 0) out.set(k, kept);
  }
  return out;
}

async function stored(peer: Peer): Promise<Series> {
  const out: Series = new Map();
  for (const s of await rawSamples(peer, '{__name__=~".+"}', '1h')) out.set(labelKey(s.metric), s.values.map(([t, v]): [number, number] => [Math.round(t * 1000), Number(v)]));
  return out;
}

const sorted = (s: Series) => [...s.entries()].sort(([a], [b]) => (a < b ? -1 : 1));

test('Prometheus 2.42 and VictoriaMetrics store exactly the series and samples sent (OTLP and scrape input, every type)', async () => {
  await pushInto('testpush', otlpRound(0));
  await pushInto('testpush', otlpRound(1));
  await waitFor(() => [...sink.bySeries()].some(([k, v]) => k.startsWith('static_latency_seconds_count{') && v.length >= 3), 30_000, 'three scrapes');
  await gw!.stop(); // drains the exporters' queues; nothing more is sent after this
  gw = undefined;
  const want = sent();
  // The OTLP part, spelled out.
  const base = 'instance="pod-7",job="prod/shop"';
  assert.deepEqual(want.get(`room_temperature_celsius{${base},room="kitchen"}`), [[T0, 20], [T0 + 15_000, 21]]);
  assert.deepEqual(want.get(`http_server_requests_total{${base},method="GET"}`), [[T0, 100], [T0 + 15_000, 110]]);
  assert.deepEqual(want.get(`http_server_duration_seconds_bucket{${base},le="0.1",route="/x"}`), [[T0, 1], [T0 + 15_000, 2]]);
  assert.deepEqual(want.get(`http_server_duration_seconds_count{${base},route="/x"}`), [[T0, 6], [T0 + 15_000, 7]]);
  assert.deepEqual(want.get(`rpc_server_duration{${base},quantile="0.9"}`), [[T0, 4], [T0 + 15_000, 5]]);
  assert.deepEqual(want.get(`target_info{${base},k8s_node_name="n1"}`), [[T0, 1], [T0 + 15_000, 1]]);
  // The scrape part: every type came through with the exposition's values.
  const scraped = [...want.entries()].filter(([k]) => k.includes('job="static"'));
  for (const name of ['static_temperature_celsius', 'static_jobs_total', 'static_latency_seconds_bucket', 'static_latency_seconds_sum', 'static_rpc_seconds', 'static_rpc_seconds_count']) {
    assert.ok(scraped.some(([k]) => k.startsWith(name + '{')), `${name} scraped and sent`);
  }
  assert.ok(scraped.some(([k, v]) => k.startsWith('static_latency_seconds_bucket{') && k.includes('le="1"') && v.every(([, x]) => x === 5)));
  await fetch(`${vm.url}/internal/force_flush`);
  for (const peer of [prom, vm]) {
    const name = peer === prom ? 'Prometheus' : 'VictoriaMetrics';
    let got: Series = new Map();
    await waitFor(async () => (got = await stored(peer)).size >= want.size, 20_000, `${name} has every series`).catch(() => undefined);
    if (peer === prom) {
      assert.deepEqual(sorted(got), sorted(want), `${name}: series and samples differ from what was sent`);
      continue;
    }
    // VictoriaMetrics stores values as a decimal mantissa + exponent: floats with more than ~12 significant digits
    // (scrape_duration_seconds) come back rounded. Series, timestamps and every other value must match exactly.
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${name}: series differ`);
    for (const [k, samples] of want) {
      const g = got.get(k)!;
      assert.deepEqual(g.map(([t]) => t), samples.map(([t]) => t), `${name}: timestamps of ${k}`);
      samples.forEach(([, v], i) => assert.ok(Math.abs(g[i]![1] - v) <= Math.abs(v) * 1e-9, `${name}: ${k} sample ${i}: ${g[i]![1]} != ${v}`));
    }
  }
  assert.ok(want.size >= 25, `${want.size} series`);
});
