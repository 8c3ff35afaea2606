import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SCRAPE_ACCEPT_HEADER } from '../../src/codec/promtext/index.ts';
import { cfg, find, job, startReceiver, startTarget, type TargetServer, type TestReceiver } from './helpers.ts';

const open: Array<TargetServer | TestReceiver> = [];
after(async () => {
  for (const o of open) await (o as { stop?: () => Promise<void>; close?: () => Promise<void> }).stop?.();
  for (const o of open) await (o as { close?: () => Promise<void> }).close?.();
});

async function setup(body: string, jobExtra: Record<string, unknown> = {}, ct?: string, top: Record<string, unknown> = {}) {
  const t = await startTarget(body, ct);
  const r = await startReceiver({ ...cfg(job('j', [t.address], jobExtra)), ...top });
  open.push(t, r);
  return { t, r };
}

function report(r: TestReceiver) {
  const rows = r.sink.last();
  const v = (n: string) => find(rows, n)?.value;
  return { up: v('up'), scraped: v('scrape_samples_scraped'), post: v('scrape_samples_post_metric_relabeling'), added: v('scrape_series_added'), duration: v('scrape_duration_seconds') };
}

test('request headers: Prometheus Accept, gzip, timeout seconds', async () => {
  const { t, r } = await setup('a 1\n', { scrape_timeout: '2500ms' });
  await r.scrape('j');
  const h = t.requests[0]!.headers;
  assert.equal(h['accept'], SCRAPE_ACCEPT_HEADER);
  assert.equal(h['accept-encoding'], 'gzip');
  assert.equal(h['x-prometheus-scrape-timeout-seconds'], '2.5');
  assert.match(String(h['user-agent']), /^otel-bridge\//);
  assert.equal(t.requests[0]!.url, '/metrics');
});

test('text format: values, labels, up and scrape_* series', async () => {
  const { r } = await setup('# TYPE a gauge\na{x="1"} 1.5\na{x="2",empty=""} -2\nb 3 \n');
  await r.scrape('j', 1_700_000_000_000);
  const rows = r.sink.last();
  assert.equal(find(rows, 'a', { x: '1' })!.value, 1.5);
  assert.deepEqual(find(rows, 'a', { x: '2' })!.attrs, { x: '2' });
  assert.equal(find(rows, 'b')!.promType, 'unknown');
  assert.equal(find(rows, 'a', { x: '1' })!.time, 1_700_000_000_000_000_000n);
  const rep = report(r);
  assert.deepEqual({ ...rep, duration: undefined }, { up: 1, scraped: 3, post: 3, added: 3, duration: undefined });
  assert.ok(rep.duration! > 0 && rep.duration! < 5);
  await r.scrape('j', 1_700_000_060_000);
  assert.equal(report(r).added, 0);
  const t = r.receiver.activeTargets()[0]!;
  assert.equal(t.health, 'up');
  assert.equal(t.lastError, '');
});

test('OpenMetrics negotiated from Content-Type; its syntax errors fail the scrape', async () => {
  const om = '# TYPE c counter\n# HELP c Requests.\nc_total 5\nc_created 1700000000.5\n# EOF\n';
  const { t, r } = await setup(om, {}, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  await r.scrape('j');
  const c = find(r.sink.last(), 'c_total')!;
  assert.equal(c.type, 'sum');
  assert.equal(c.monotonic, true);
  assert.equal(c.value, 5);
  assert.equal(c.start, 1_700_000_000_500_000_000n);
  assert.equal(c.description, 'Requests.');
  t.body = 'c_total 5\n'; // no # EOF
  await r.scrape('j');
  assert.equal(report(r).up, 0);
  assert.match(r.receiver.activeTargets()[0]!.lastError, /EOF/);
});

test('gzip-encoded body', async () => {
  const { t, r } = await setup('g 7\n');
  t.gzip = true;
  await r.scrape('j');
  assert.equal(find(r.sink.last(), 'g')!.value, 7);
  assert.equal(report(r).up, 1);
});

test('timeout fails with context deadline exceeded', async () => {
  const { t, r } = await setup('g 1\n', { scrape_interval: '1s', scrape_timeout: '150ms' });
  t.delayMs = 1000;
  await r.scrape('j');
  assert.equal(report(r).up, 0);
  assert.equal(r.receiver.activeTargets()[0]!.lastError, `Get "http://${t.address}/metrics": context deadline exceeded`);
  assert.equal(r.receiver.activeTargets()[0]!.health, 'down');
});

test('body_size_limit counts decompressed bytes, body >= limit fails', async () => {
  const { t, r } = await setup('x'.repeat(50) + ' 1\n', { body_size_limit: '53B' });
  await r.scrape('j');
  assert.equal(report(r).up, 0);
  assert.equal(r.receiver.activeTargets()[0]!.lastError, 'body size limit exceeded');
  t.body = 'x'.repeat(49) + ' 1\n';
  t.gzip = true;
  await r.scrape('j');
  assert.equal(report(r).up, 1);
});

test('sample_limit: scrape fails, counts still report every sample', async () => {
  const { r } = await setup('a 1\nb 2\nc 3\n', { sample_limit: 2 });
  await r.scrape('j');
  const rep = report(r);
  assert.equal(rep.up, 0);
  assert.equal(rep.scraped, 3);
  assert.equal(rep.post, 3);
  assert.equal(r.receiver.activeTargets()[0]!.lastError, 'sample limit exceeded');
  assert.equal(find(r.sink.last(), 'a'), undefined);
});

test('label limits', async () => {
  const { t, r } = await setup('a{x="1",y="2"} 1\n', { label_limit: 4 });
  await r.scrape('j');
  assert.equal(report(r).up, 0);
  assert.equal(r.receiver.activeTargets()[0]!.lastError, 'label_limit exceeded (metric: a, number of labels: 5, limit: 4)');
  t.body = 'a 1\n';
  await r.scrape('j');
  assert.equal(report(r).up, 1);
});

test('HTTP errors and refused connections', async () => {
  const { t, r } = await setup('a 1\n');
  t.status = 503;
  await r.scrape('j');
  assert.equal(r.receiver.activeTargets()[0]!.lastError, 'server returned HTTP status 503 Service Unavailable');
  await t.close();
  await r.scrape('j');
  assert.match(r.receiver.activeTargets()[0]!.lastError, /^Get "http:\/\/127\.0\.0\.1:\d+\/metrics": dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/);
  assert.equal(report(r).up, 0);
});

test('honor_labels false renames clashes to exported_*, true keeps scraped values', async () => {
  const body = 'a{job="other",instance="i",exported_job="e"} 1\nb 2\n';
  const off = await setup(body);
  await off.r.scrape('j');
  const a = find(off.r.sink.last(), 'a')!;
  assert.deepEqual(a.attrs, { exported_exported_job: 'other', exported_instance: 'i', exported_job: 'e' });
  assert.equal(a.resource['service.name'], 'j');
  const on = await setup(body, { honor_labels: true });
  await on.r.scrape('j');
  const rows = on.r.sink.last();
  assert.equal(find(rows, 'a')!.resource['service.name'], 'other');
  assert.equal(find(rows, 'a')!.resource['service.instance.id'], 'i');
  assert.equal(find(rows, 'b')!.resource['service.name'], 'j');
});

test('honor_timestamps', async () => {
  const body = 'a 1 1600000000000\n';
  const on = await setup(body);
  await on.r.scrape('j', 1_700_000_000_000);
  assert.equal(find(on.r.sink.last(), 'a')!.time, 1_600_000_000_000_000_000n);
  const off = await setup(body, { honor_timestamps: false });
  await off.r.scrape('j', 1_700_000_000_000);
  assert.equal(find(off.r.sink.last(), 'a')!.time, 1_700_000_000_000_000_000n);
});

test('metric_relabel_configs: dropped lines counted before, not after; rename', async () => {
  const { r } = await setup('go_x 1\ngo_y 2\nkeep 3\n', {
    metric_relabel_configs: [
      { source_labels: ['__name__'], regex: 'go_.*', action: 'drop' },
      { source_labels: ['__name__'], regex: 'keep', target_label: '__name__', replacement: 'kept' },
    ],
  });
  for (let i = 0; i < 2; i++) {
    await r.scrape('j');
    const rep = report(r);
    assert.equal(rep.scraped, 3);
    assert.equal(rep.post, 1);
    assert.equal(find(r.sink.last(), 'kept')!.value, 3);
    assert.equal(find(r.sink.last(), 'go_x'), undefined);
  }
});

test('duplicate label names fail the scrape; duplicate series keep the first sample', async () => {
  const { t, r } = await setup('a{x="1",x="2"} 1\n');
  await r.scrape('j');
  assert.equal(report(r).up, 0);
  // The parser rejects it already (Prometheus: the TSDB, 'label name "x" is not unique: invalid sample').
  assert.match(r.receiver.activeTargets()[0]!.lastError, /duplicate label name 'x'|label name "x" is not unique/);
  t.body = 'a{x="1"} 1\na{x="1"} 2\na{x="1",} 3\n';
  await r.scrape('j');
  assert.equal(report(r).up, 1);
  assert.equal(report(r).post, 3);
  const as = r.sink.last().filter((x) => x.name === 'a');
  assert.equal(as.length, 1);
  assert.equal(as[0]!.value, 1);
});

test('auth headers: basic_auth and bearer_token', async () => {
  const basic = await setup('a 1\n', { basic_auth: { username: 'u', password: 'p' } });
  await basic.r.scrape('j');
  assert.equal(basic.t.requests[0]!.headers['authorization'], 'Basic ' + Buffer.from('u:p').toString('base64'));
  const bearer = await setup('a 1\n', { bearer_token: 'tok' });
  await bearer.r.scrape('j');
  assert.equal(bearer.t.requests[0]!.headers['authorization'], 'Bearer tok');
});

test('external labels are added unless the series has the label', async () => {
  const { r } = await setup('a{dc="own"} 1\nb 1\n', {}, undefined, {});
  void r;
  const t = await startTarget('a{dc="own"} 1\nb 1\n');
  const rx = await startReceiver({ config: { global: { external_labels: { dc: 'eu', team: 'x' } }, scrape_configs: [job('j', [t.address])] } });
  open.push(t, rx);
  await rx.scrape('j');
  const rows = rx.sink.last();
  assert.deepEqual(find(rows, 'a')!.attrs, { dc: 'own', team: 'x' });
  assert.deepEqual(find(rows, 'b')!.attrs, { dc: 'eu', team: 'x' });
  assert.deepEqual(find(rows, 'up')!.attrs, { dc: 'eu', team: 'x' });
});

test('prom identity: family name and the full label set, reused across scrapes', async () => {
  const { r } = await setup('# TYPE h histogram\nh_bucket{le="1",a="b"} 1\nh_bucket{le="+Inf",a="b"} 2\nh_sum{a="b"} 3\nh_count{a="b"} 2\n');
  await r.scrape('j');
  const h1 = r.sink.batches.at(-1)!.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0]!.prom;
  await r.scrape('j');
  const h2 = r.sink.batches.at(-1)!.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.points[0]!.prom;
  assert.equal(h1, h2);
  assert.equal(h1!.name, 'h');
  assert.deepEqual(h1!.labels.map((l) => l.name), ['a', 'instance', 'job']);
});
