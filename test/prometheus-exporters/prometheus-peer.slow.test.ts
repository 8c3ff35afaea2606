/**
 * The `prometheus` exporter against real peers: Prometheus 2.42 scrapes two exporters (one negotiating OpenMetrics,
 * one text 0.0.4) and its query API returns the values we pushed for every metric type; `promtool check metrics` is
 * clean on the text exposition. (promtool 2.42 parses only text 0.0.4, so the OpenMetrics output is checked by
 * Prometheus scraping it with OpenMetrics negotiation, plus our strict OpenMetrics parser in the fast tests.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pushInto, testRegistry } from '../helpers/components.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { promtool } from '../helpers/peers.ts';
import { freePorts } from '../helpers/ports.ts';
import { counter, exemplar, gauge, get, histogram, md, pushConfig, resource, summary, waitFor } from './helpers.ts';
import { instant, startPrometheus, type Peer } from './peer-procs.ts';

let gw: TestGateway;
let prom: Peer;
let omPort = 0;
let textPort = 0;

const batch = () =>
  md(
    resource([
      gauge('room.temperature', [[21.5, { a: { room: 'kitchen' } }], [19.25, { a: { room: 'hall' } }]], 'Room temperature', 'Cel'),
      counter('http.server.requests', [[1234n, { a: { method: 'GET' }, ex: [exemplar(1, 0xaa)] }], [5n, { a: { method: 'POST' } }]], { desc: 'Requests served' }),
      histogram('http.server.duration', [0.1, 1], [1, 2, 3], 1.5, { a: { route: '/x' }, ex: [exemplar(0.5, 0xbb)] }),
      summary('rpc.server.duration', [[0.5, 2], [0.9, 4]], 3, 9),
    ]),
  );

before(async () => {
  const ports = await freePorts(2);
  omPort = ports[0]!;
  textPort = ports[1]!;
  gw = await startGateway(
    pushConfig(`  prometheus/om:\n    endpoint: 127.0.0.1:${omPort}\n    enable_open_metrics: true\n  prometheus/text:\n    endpoint: 127.0.0.1:${textPort}\n`, ['prometheus/om', 'prometheus/text']),
    { registry: testRegistry() },
  );
  await pushInto('testpush', batch());
  prom = await startPrometheus(`
  - {job_name: om, static_configs: [{targets: ["127.0.0.1:${omPort}"]}]}
  - {job_name: text, static_configs: [{targets: ["127.0.0.1:${textPort}"]}]}`, ['--enable-feature=exemplar-storage']);
});

after(async () => {
  await prom?.stop();
  await gw?.stop();
});

test('Prometheus 2.42 scrapes both endpoints (OpenMetrics and text) and returns every value', async () => {
  await waitFor(async () => (await instant(prom, 'up == 1')).size === 2 && (await instant(prom, 'rpc_server_duration_count')).size === 2, 30_000, 'two healthy targets with data');
  for (const job of ['om', 'text']) {
    const q = async (expr: string) => [...(await instant(prom, expr)).entries()].sort();
    const sel = `{job="${job}"}`;
    const target = `instance="127.0.0.1:${job === 'om' ? omPort : textPort}",job="${job}"`;
    const base = `exported_instance="pod-1",exported_job="api",${target}`;
    assert.deepEqual(await q(`room_temperature_celsius${sel}`), [
      [`room_temperature_celsius{${base},room="hall"}`, 19.25],
      [`room_temperature_celsius{${base},room="kitchen"}`, 21.5],
    ]);
    assert.deepEqual(await q(`http_server_requests_total${sel}`), [
      [`http_server_requests_total{${base},method="GET"}`, 1234],
      [`http_server_requests_total{${base},method="POST"}`, 5],
    ]);
    assert.deepEqual(await q(`http_server_duration_seconds_bucket${sel}`), [
      [`http_server_duration_seconds_bucket{${base},le="+Inf",route="/x"}`, 6],
      [`http_server_duration_seconds_bucket{${base},le="0.1",route="/x"}`, 1],
      [`http_server_duration_seconds_bucket{${base},le="1",route="/x"}`, 3],
    ]);
    assert.deepEqual(await q(`http_server_duration_seconds_sum${sel}`), [[`http_server_duration_seconds_sum{${base},route="/x"}`, 1.5]]);
    assert.deepEqual(await q(`http_server_duration_seconds_count${sel}`), [[`http_server_duration_seconds_count{${base},route="/x"}`, 6]]);
    assert.deepEqual(await q(`rpc_server_duration${sel}`), [
      [`rpc_server_duration{${base},quantile="0.5"}`, 2],
      [`rpc_server_duration{${base},quantile="0.9"}`, 4],
    ]);
    assert.deepEqual(await q(`rpc_server_duration_sum${sel}`), [[`rpc_server_duration_sum{${base}}`, 9]]);
    assert.deepEqual(await q(`target_info${sel}`), [[`target_info{exported_instance="pod-1",exported_job="api",host_name="h1",${target}}`, 1]]);
  }
  // Prometheus read the OpenMetrics exemplars.
  const ex = (await (await fetch(`${prom.url}/api/v1/query_exemplars?query=${encodeURIComponent('http_server_requests_total{job="om"}')}&start=0&end=${Date.now() / 1000 + 60}`)).json()) as { data: Array<{ exemplars: Array<{ labels: Record<string, string> }> }> };
  assert.ok(ex.data.some((s) => s.exemplars.some((e) => e.labels['trace_id'] === 'aa'.repeat(16))), JSON.stringify(ex));
});

test('promtool check metrics is clean on the text exposition', async () => {
  const body = (await get(textPort)).body;
  const r = spawnSync(promtool(), ['check', 'metrics'], { input: body, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}\n---\n${body}`);
});
