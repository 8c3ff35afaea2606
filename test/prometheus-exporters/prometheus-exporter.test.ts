/**
 * `prometheus` exporter, end to end in-process: testpush receiver -> exporter -> HTTP GET /metrics, asserting what a
 * scraper sees (text 0.0.4 and OpenMetrics bodies, headers, status codes).
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { pushInto, testRegistry } from '../helpers/components.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';
import pino from 'pino';
import { createParser, EntryType } from '../../src/codec/promtext/index.ts';
import { MetricsServer } from '../../src/exporters/prometheus/server.ts';
import { SeriesStore } from '../../src/exporters/prometheus/store.ts';
import { counter, exemplar, gauge, get, histogram, md, pushConfig, resource, SEC, seriesLines, summary, T, waitFor } from './helpers.ts';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

async function start(options = ''): Promise<number> {
  const port = await freePort();
  gw = await startGateway(pushConfig(`  prometheus:\n    endpoint: 127.0.0.1:${port}\n${options}`, ['prometheus']), { registry: testRegistry() });
  return port;
}

const everyType = () =>
  md(
    resource([
      gauge('temperature', [[21.5, { a: { room: 'kitchen' } }]], 'Room temperature', 'Cel'),
      counter('http.requests', [[1234n, { a: { method: 'GET' } }], [5n, { a: { method: 'POST' } }]], { desc: 'Requests served' }),
      histogram('latency', [0.1, 1], [1, 2, 3], 1.5, { a: { route: '/x' } }),
      summary('rpc.duration', [[0.5, 2], [0.9, 4]], 3, 9),
    ]),
  );

test('text 0.0.4: one HELP/TYPE per family, families sorted, histogram and summary series, _total and units', async () => {
  const port = await start();
  await pushInto('testpush', everyType());
  const r = await get(port);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(
    r.body,
    [
      '# HELP http_requests_total Requests served',
      '# TYPE http_requests_total counter',
      'http_requests_total{instance="pod-1",job="api",method="GET"} 1234',
      'http_requests_total{instance="pod-1",job="api",method="POST"} 5',
      '# HELP latency_seconds latency help',
      '# TYPE latency_seconds histogram',
      'latency_seconds_bucket{instance="pod-1",job="api",le="0.1",route="/x"} 1',
      'latency_seconds_bucket{instance="pod-1",job="api",le="1",route="/x"} 3',
      'latency_seconds_bucket{instance="pod-1",job="api",le="+Inf",route="/x"} 6',
      'latency_seconds_sum{instance="pod-1",job="api",route="/x"} 1.5',
      'latency_seconds_count{instance="pod-1",job="api",route="/x"} 6',
      '# HELP rpc_duration rpc.duration help',
      '# TYPE rpc_duration summary',
      'rpc_duration{instance="pod-1",job="api",quantile="0.5"} 2',
      'rpc_duration{instance="pod-1",job="api",quantile="0.9"} 4',
      'rpc_duration_sum{instance="pod-1",job="api"} 9',
      'rpc_duration_count{instance="pod-1",job="api"} 3',
      '# HELP target_info Target metadata',
      '# TYPE target_info gauge',
      'target_info{host_name="h1",instance="pod-1",job="api"} 1',
      '# HELP temperature_celsius Room temperature',
      '# TYPE temperature_celsius gauge',
      'temperature_celsius{instance="pod-1",job="api",room="kitchen"} 21.5',
      '',
    ].join('\n'),
  );
});

test('latest value wins; delta sums are accumulated to cumulative counters', async () => {
  const port = await start();
  const delta = (v: number, from: bigint, to: bigint) => md(resource([counter('jobs.done', [[v, { start: T + from * SEC, t: T + to * SEC }]], { delta: true }), gauge('queue', [[v]])]));
  await pushInto('testpush', delta(3, 0n, 10n));
  await pushInto('testpush', delta(4, 10n, 20n));
  await pushInto('testpush', delta(5, 20n, 30n));
  const lines = seriesLines((await get(port)).body);
  assert.ok(lines.includes('jobs_done_total{instance="pod-1",job="api"} 12'), lines.join('\n'));
  assert.ok(lines.includes('queue{instance="pod-1",job="api"} 5'));
});

test('send_timestamps writes each sample time (ms in text, seconds in OpenMetrics); off by default', async () => {
  let port = await start();
  await pushInto('testpush', md(resource([gauge('g', [[1, { t: T + 1_500_000_000n }]])])));
  assert.ok(seriesLines((await get(port)).body).includes('g{instance="pod-1",job="api"} 1'));
  await gw!.stop();
  port = await start('    send_timestamps: true\n    enable_open_metrics: true\n');
  await pushInto('testpush', md(resource([gauge('g', [[1, { t: T + 1_500_000_000n }]])])));
  assert.ok(seriesLines((await get(port)).body).includes('g{instance="pod-1",job="api"} 1 1700000001500'));
  const om = await get(port, '/metrics', { accept: 'application/openmetrics-text;version=1.0.0' });
  assert.ok(seriesLines(om.body).includes('g{instance="pod-1",job="api"} 1.0 1700000001.5'), om.body);
});

test('namespace, const_labels, add_metric_suffixes: false, resource_to_telemetry_conversion', async () => {
  const port = await start('    namespace: edge\n    const_labels: {region: eu, job: ignored}\n    add_metric_suffixes: false\n    resource_to_telemetry_conversion: {enabled: true}\n');
  await pushInto('testpush', md(resource([counter('http.requests', [[7n]], { unit: 's' })])));
  const lines = seriesLines((await get(port)).body);
  // job from service.name wins over the const label of the same name.
  assert.ok(lines.includes('edge_http_requests{host_name="h1",instance="pod-1",job="api",region="eu",service_instance_id="pod-1",service_name="api"} 7'), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('edge_target_info{')), lines.join('\n'));
});

test('scope labels by default (spec); without_scope_info: true leaves them out', async () => {
  const scoped = () => md(resource([gauge('temperature', [[20, { a: { room: 'hall' } }]])], undefined, 'io.example.meter'));
  let port = await start();
  await pushInto('testpush', scoped());
  assert.ok(seriesLines((await get(port)).body).includes('temperature{instance="pod-1",job="api",otel_scope_name="io.example.meter",room="hall"} 20'));
  await gw!.stop();
  port = await start('    without_scope_info: true\n');
  await pushInto('testpush', scoped());
  assert.ok(seriesLines((await get(port)).body).includes('temperature{instance="pod-1",job="api",room="hall"} 20'));
});

test('OpenMetrics with exemplars when the scraper asks for it; text otherwise; strict OpenMetrics parse passes', async () => {
  const port = await start('    enable_open_metrics: true\n');
  await pushInto(
    'testpush',
    md(
      resource([
        counter('http.requests', [[10n, { ex: [exemplar(1, 0xaa)] }]], { desc: 'Requests "served"' }),
        histogram('latency', [0.1, 1], [1, 2, 3], 1.5, { ex: [exemplar(0.5, 0xbb)] }),
        histogram('nosum', [1], [1, 1], undefined),
        summary('rpc', [[0.5, 2]], 3, 9),
        gauge('temperature', [[21, {}]], 'Temp', 'Cel'),
      ]),
    ),
  );
  const om = await get(port, '/metrics', { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' });
  assert.equal(om.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  assert.ok(om.body.endsWith('# EOF\n'));
  const lines = om.body.split('\n');
  assert.ok(lines.includes('# HELP http_requests Requests \\"served\\"'), om.body);
  assert.ok(lines.includes('# TYPE http_requests counter'));
  assert.ok(lines.includes('http_requests_total{instance="pod-1",job="api"} 10.0 # {span_id="0707070707070707",trace_id="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} 1.0 1699999999'), om.body);
  assert.ok(lines.includes('latency_seconds_bucket{instance="pod-1",job="api",le="1"} 3 # {span_id="0707070707070707",trace_id="bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"} 0.5 1699999999'));
  assert.ok(lines.includes('# UNIT temperature_celsius celsius'));
  assert.ok(lines.includes('# TYPE target info'));
  // A histogram without sum has no _count in OpenMetrics (both or neither).
  assert.ok(!om.body.includes('nosum_seconds_count'));
  const p = createParser('openmetrics', om.body, { validate: true });
  let entries = 0;
  while (p.next() !== EntryType.EOF) entries++;
  assert.ok(entries > 20);

  const text = await get(port, '/metrics', { accept: 'text/plain;version=0.0.4' });
  assert.equal(text.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.ok(!text.body.includes('trace_id'));
  assert.ok(text.body.includes('nosum_seconds_count{instance="pod-1",job="api"} 2'));
});

test('enable_open_metrics: false serves text even to an OpenMetrics scraper', async () => {
  const port = await start();
  await pushInto('testpush', md(resource([gauge('g', [[1]])])));
  const r = await get(port, '/metrics', { accept: 'application/openmetrics-text;version=1.0.0' });
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.ok(!r.body.includes('# EOF'));
});

test('gzip when accepted; identity otherwise', async () => {
  const port = await start();
  await pushInto('testpush', everyType());
  const plain = await get(port);
  const zipped = await get(port, '/metrics', { 'accept-encoding': 'gzip, deflate' });
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(zipped.body, plain.body);
});

test('match[] serves only matching points (federate semantics); bad selector is 400; other paths 404', async () => {
  const port = await start();
  await pushInto('testpush', everyType());
  const q = (sel: string[]) => get(port, '/metrics?' + sel.map((s) => 'match[]=' + encodeURIComponent(s)).join('&'));
  let lines = seriesLines((await q(['http_requests_total{method="POST"}'])).body);
  assert.deepEqual(lines, ['http_requests_total{instance="pod-1",job="api",method="POST"} 5']);
  lines = seriesLines((await q(['{__name__=~"temp.*"}', 'latency_seconds_count'])).body);
  assert.equal(lines.length, 6, lines.join('\n')); // temperature + the whole latency histogram point
  const bad = await q(['{job=~"("}']);
  assert.equal(bad.status, 400);
  assert.match(bad.body, /bad match\[\] selector/);
  assert.equal((await get(port, '/')).status, 404);
});

test('metric_expiration: series not updated disappear, their target_info with them', async () => {
  const port = await start('    metric_expiration: 300ms\n');
  await pushInto('testpush', md(resource([gauge('old', [[1]])], { 'service.name': 'gone', 'host.name': 'h0' })));
  await new Promise((r) => setTimeout(r, 200));
  await pushInto('testpush', md(resource([gauge('fresh', [[2]])])));
  let body = (await get(port)).body;
  assert.ok(body.includes('old{job="gone"} 1') && body.includes('target_info{host_name="h0",job="gone"} 1'), body);
  await waitFor(async () => !(await get(port)).body.includes('job="gone"'), 2000, 'expiry of the old resource');
  body = (await get(port)).body;
  assert.ok(!body.includes('# TYPE old '), body);
  // The fresh resource stays as long as it is updated.
  await pushInto('testpush', md(resource([gauge('fresh', [[3]])])));
  assert.ok((await get(port)).body.includes('fresh{instance="pod-1",job="api"} 3'));
});

test('a point with the no-recorded-value flag removes its series at once', async () => {
  const port = await start();
  await pushInto('testpush', md(resource([gauge('g', [[1, { a: { k: 'a' } }], [2, { a: { k: 'b' } }]])])));
  await pushInto('testpush', md(resource([gauge('g', [[0, { a: { k: 'a' }, stale: true }]])])));
  assert.deepEqual(seriesLines((await get(port)).body).filter((l) => l.startsWith('g{')), ['g{instance="pod-1",job="api",k="b"} 2']);
});

test('a name already served with another type is refused and counted', async () => {
  const port = await start();
  await pushInto('testpush', md(resource([gauge('dup', [[1]])])));
  await pushInto('testpush', md(resource([summary('dup', [[0.5, 1]], 1, 1)])));
  const lines = seriesLines((await get(port)).body).filter((l) => l.startsWith('dup'));
  assert.deepEqual(lines, ['dup{instance="pod-1",job="api"} 1']);
  const snap = gw!.gw.status() as unknown;
  assert.match(JSON.stringify(snap), /type_conflict/);
});

test('scrapes beyond max_concurrent_scrapes get 503 with Retry-After', async () => {
  const store = new SeriesStore(60_000, false);
  let release: () => void = () => undefined;
  let held = 0;
  const port = await freePort();
  const server = new MetricsServer(store, {
    endpoint: `127.0.0.1:${port}`,
    tls: undefined,
    openMetrics: false,
    timestamps: false,
    maxConcurrent: 1,
    renderTimeoutMs: 10_000,
    logger: pino({ level: 'silent' }),
    who: 'test',
    // The first scrape is held inside its render slot until released.
    beforeRender: () => (held++ === 0 ? new Promise<void>((r) => (release = r)) : undefined),
    onScrape: () => undefined,
  });
  await server.listen();
  try {
    const first = get(port);
    await waitFor(() => server.activeScrapes === 1, 5000, 'first scrape rendering');
    const second = await get(port);
    assert.equal(second.status, 503);
    assert.equal(second.headers['retry-after'], '1');
    assert.match(second.body, /max_concurrent_scrapes=1/);
    release();
    assert.equal((await first).status, 200);
    assert.equal((await get(port)).status, 200, 'served again once the slot is free');
  } finally {
    await server.close();
  }
});

test('a render running past render_timeout is abandoned with 503', async () => {
  const port = await start('    render_timeout: 1ms\n');
  const big = [];
  for (let f = 0; f < 100; f++) big.push(gauge(`m_${f}`, Array.from({ length: 1000 }, (_, i): [number, { a: Record<string, string> }] => [i + f, { a: { i: String(i), pad: 'x'.repeat(40) } }])));
  await pushInto('testpush', md(resource(big)));
  const slow = await get(port);
  assert.equal(slow.status, 503);
  assert.match(slow.body, /render_timeout/);
});

test('config: endpoint is required and const_labels names are checked', async () => {
  const { prometheusExporterSchema } = await import('../../src/exporters/prometheus/config.ts');
  assert.equal(prometheusExporterSchema.safeParse({}).success, false);
  assert.equal(prometheusExporterSchema.safeParse({ endpoint: '0.0.0.0:9464', const_labels: { 'bad-name': 'x' } }).success, false);
  const ok = prometheusExporterSchema.parse({ endpoint: '0.0.0.0:9464' });
  assert.equal(ok.metric_expiration, 300_000);
  assert.equal(ok.add_metric_suffixes, true);
  assert.equal(ok.enable_open_metrics, false);
});
