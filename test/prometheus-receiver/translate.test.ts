import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { unitToUcum } from '../../src/receivers/prometheus/translate.ts';
import { cfg, find, job, startReceiver, startTarget, type TargetServer, type TestReceiver } from './helpers.ts';

const OM = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const T0 = 1_700_000_000_000;
const open: Array<TargetServer | TestReceiver> = [];
after(async () => {
  for (const o of open) await (o as { stop?: () => Promise<void> }).stop?.();
  for (const o of open) await (o as { close?: () => Promise<void> }).close?.();
});

async function scrape(body: string, ct = 'text/plain; version=0.0.4', top: Record<string, unknown> = {}) {
  const t = await startTarget(body, ct);
  const r = await startReceiver({ ...cfg(job('j', [t.address])), ...top });
  open.push(t, r);
  await r.scrape('j', T0);
  return { t, r, rows: r.sink.last() };
}

test('counter: monotonic cumulative sum; start unset without _created', async () => {
  const { rows } = await scrape('# HELP req_total Requests.\n# TYPE req_total counter\nreq_total{m="get"} 3\n# TYPE old counter\nold 4\n');
  const c = find(rows, 'req_total')!;
  assert.deepEqual([c.type, c.monotonic, c.promType, c.start, c.value, c.description], ['sum', true, 'counter', 0n, 3, 'Requests.']);
  assert.equal(find(rows, 'old')!.type, 'sum');
});

test('OpenMetrics counter: _created gives the start time, family keeps the _total name', async () => {
  const { rows } = await scrape('# TYPE c counter\nc_total{a="1"} 5\nc_created{a="1"} 1600000000.25\n# EOF\n', OM);
  const c = rows.filter((x) => x.name.startsWith('c'));
  assert.equal(c.length, 1);
  assert.equal(c[0]!.name, 'c_total');
  assert.equal(c[0]!.start, 1_600_000_000_250_000_000n);
  assert.equal(c[0]!.promName, 'c_total');
});

test('histogram: buckets de-cumulated (sorted, +Inf last), count and sum, _created', async () => {
  const body =
    '# TYPE lat_seconds histogram\n# UNIT lat_seconds seconds\nlat_seconds_bucket{le="1"} 3\nlat_seconds_bucket{le="0.5"} 1\nlat_seconds_bucket{le="+Inf"} 7\nlat_seconds_bucket{le="5"} 6\nlat_seconds_count 7\nlat_seconds_sum 12.5\nlat_seconds_created 1600000000\n# EOF\n';
  const { rows } = await scrape(body, OM);
  const h = find(rows, 'lat_seconds')!;
  assert.deepEqual({ bounds: h.bounds, buckets: h.buckets, count: h.count, sum: h.sum, unit: h.unit }, { bounds: [0.5, 1, 5], buckets: [1, 2, 3, 1], count: 7, sum: 12.5, unit: 's' });
  assert.equal(h.start, 1_600_000_000_000_000_000n);
  assert.deepEqual(Object.keys(h.attrs), []);
});

test('histogram without _count is dropped; without _sum keeps sum unset; without +Inf uses _count', async () => {
  const { rows } = await scrape(
    '# TYPE a histogram\na_bucket{le="1"} 1\na_bucket{le="+Inf"} 2\na_sum 1\n# TYPE b histogram\nb_bucket{le="1"} 1\nb_count 4\n',
  );
  assert.equal(find(rows, 'a'), undefined);
  const b = find(rows, 'b')!;
  assert.equal(b.sum, undefined);
  assert.deepEqual(b.buckets, [1, 3]);
  assert.equal(find(rows, 'scrape_samples_scraped')!.value, 5, 'dropped families still count as scraped samples');
});

test('summary: quantiles ascending, sum default 0, dropped without _count', async () => {
  const { rows } = await scrape(
    '# TYPE s summary\ns{quantile="0.9"} 9\ns{quantile="0.5"} 5\ns_count 10\n# TYPE t summary\nt{quantile="0.5"} 1\nt_sum 3\n',
  );
  const s = find(rows, 's')!;
  assert.deepEqual([s.type, s.count, s.sum, s.quantiles], ['summary', 10, 0, [[0.5, 5], [0.9, 9]]]);
  assert.equal(find(rows, 't'), undefined);
});

test('unknown / untyped -> gauge; info and stateset -> non-monotonic sums; gauge histograms dropped', async () => {
  const om =
    '# TYPE u unknown\nu 1\n# TYPE build info\nbuild_info{version="1"} 1\n# TYPE st stateset\nst{st="a"} 1\nst{st="b"} 0\n# TYPE gh gaugehistogram\ngh_bucket{le="+Inf"} 1\ngh_gcount 1\ngh_gsum 1\n# EOF\n';
  const { rows } = await scrape(om, OM);
  assert.deepEqual([find(rows, 'u')!.type, find(rows, 'u')!.promType], ['gauge', 'unknown']);
  const info = find(rows, 'build_info')!;
  assert.deepEqual([info.type, info.monotonic, info.promType, info.attrs], ['sum', false, 'info', { version: '1' }]);
  const st = find(rows, 'st', { st: 'b' })!;
  assert.deepEqual([st.type, st.monotonic, st.promType, st.value], ['sum', false, 'stateset', 0]);
  assert.equal(rows.filter((x) => x.name.startsWith('gh')).length, 0);
  const text = await scrape('# TYPE x untyped\nx 1\n');
  assert.deepEqual([find(text.rows, 'x')!.type, find(text.rows, 'x')!.promType], ['gauge', 'unknown']);
});

test('target_info labels become resource attributes, unaltered; the series itself is not a metric', async () => {
  const { rows } = await scrape('target_info{k8s_pod_name="p",deployment_environment="prod"} 1\na 1\n');
  assert.equal(find(rows, 'target_info'), undefined);
  const a = find(rows, 'a')!;
  assert.equal(a.resource['k8s_pod_name'], 'p');
  assert.equal(a.resource['deployment_environment'], 'prod');
  assert.equal(a.resource['service.name'], 'j');
  assert.match(a.resource['service.instance.id']!, /^127\.0\.0\.1:\d+$/);
  assert.equal(a.resource['server.address'], '127.0.0.1');
  assert.equal(a.resource['url.scheme'], 'http');
});

test('otel_scope_* labels become the instrumentation scope', async () => {
  const { r, rows } = await scrape('a{otel_scope_name="lib",otel_scope_version="1.2",otel_scope_team="x",k="v"} 1\nb 2\n');
  const a = find(rows, 'a')!;
  assert.equal(a.scope, 'lib');
  assert.deepEqual(a.attrs, { k: 'v' });
  assert.equal(find(rows, 'b')!.scope, 'otel-bridge/receiver/prometheus');
  const sm = r.sink.batches[0]!.resourceMetrics[0]!.scopeMetrics.find((s) => s.scope.name === 'lib')!;
  assert.equal(sm.scope.version, '1.2');
  assert.deepEqual(sm.scope.attributes, [{ key: 'team', value: 'x' }]);
});

test('exemplars: trace and span ids from valid hex, other labels filtered attributes', async () => {
  const om = '# TYPE c counter\nc_total 1 # {trace_id="0123456789abcdef0123456789abcdef",span_id="0123456789abcdef",user="u"} 0.5 1600000000.5\n# EOF\n';
  const { r } = await scrape(om, OM);
  const p = r.sink.batches[0]!.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0] as { exemplars: Array<{ traceId: Uint8Array; spanId: Uint8Array; filteredAttributes: unknown; value: number; timeUnixNano: bigint }> };
  const e = p.exemplars[0]!;
  assert.equal(Buffer.from(e.traceId).toString('hex'), '0123456789abcdef0123456789abcdef');
  assert.equal(Buffer.from(e.spanId).toString('hex'), '0123456789abcdef');
  assert.deepEqual(e.filteredAttributes, [{ key: 'user', value: 'u' }]);
  assert.equal(e.value, 0.5);
  assert.equal(e.timeUnixNano, 1_600_000_000_500_000_000n);
});

test('counter_start_time first_seen: start at first sight, moved on a reset', async () => {
  const t = await startTarget('# TYPE c counter\nc_total 10\n');
  const r = await startReceiver({ ...cfg(job('j', [t.address])), counter_start_time: 'first_seen' });
  open.push(t, r);
  await r.scrape('j', T0);
  assert.equal(find(r.sink.last(), 'c_total')!.start, BigInt(T0) * 1_000_000n);
  t.body = '# TYPE c counter\nc_total 12\n';
  await r.scrape('j', T0 + 15_000);
  assert.equal(find(r.sink.last(), 'c_total')!.start, BigInt(T0) * 1_000_000n);
  t.body = '# TYPE c counter\nc_total 1\n';
  await r.scrape('j', T0 + 30_000);
  assert.equal(find(r.sink.last(), 'c_total')!.start, BigInt(T0 + 30_000 - 1) * 1_000_000n);
});

test('attributes are copied per point when a consumer mutates data, shared otherwise', async () => {
  const t = await startTarget('a{x="1"} 1\n');
  const shared = await startReceiver(cfg(job('j', [t.address])));
  const copied = await startReceiver(cfg(job('j', [t.address])), { mutates: true });
  open.push(t, shared, copied);
  const attrsOf = (x: TestReceiver) => (x.sink.batches.at(-1)!.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0]!.attributes);
  await shared.scrape('j');
  const s1 = attrsOf(shared);
  await shared.scrape('j');
  assert.equal(attrsOf(shared), s1);
  await copied.scrape('j');
  const c1 = attrsOf(copied);
  await copied.scrape('j');
  assert.notEqual(attrsOf(copied), c1);
  assert.deepEqual(attrsOf(copied), c1);
});

test('UNIT words to UCUM', () => {
  assert.equal(unitToUcum('seconds'), 's');
  assert.equal(unitToUcum('bytes'), 'By');
  assert.equal(unitToUcum('celsius'), 'Cel');
  assert.equal(unitToUcum('meters_per_second'), 'm/s');
  assert.equal(unitToUcum('widgets'), 'widgets');
  assert.equal(unitToUcum(''), '');
});
