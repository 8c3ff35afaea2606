import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import express from 'express';
import { startReceiver, startTarget, waitFor, type TargetServer, type TestReceiver } from './helpers.ts';

const open: Array<TargetServer | TestReceiver> = [];
const servers: Server[] = [];
const dirs: string[] = [];
after(async () => {
  for (const o of open) await (o as { stop?: () => Promise<void> }).stop?.();
  for (const o of open) await (o as { close?: () => Promise<void> }).close?.();
  for (const s of servers) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(r: TestReceiver): Promise<string> {
  const app = express();
  app.use(r.ops.router);
  const s = await new Promise<Server>((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  servers.push(s);
  const a = s.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

async function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('GET /api/v1/targets: Prometheus shape, state and scrapePool filters', async () => {
  const t = await startTarget('a 1\n');
  const r = await startReceiver({
    config: {
      scrape_configs: [
        { job_name: 'web', scrape_interval: '15s', static_configs: [{ targets: [t.address, 'gone:1'] }], relabel_configs: [{ source_labels: ['__address__'], regex: 'gone.*', action: 'drop' }] },
        { job_name: 'other', static_configs: [{ targets: ['x:1'] }] },
      ],
    },
  });
  open.push(t, r);
  await r.scrape('web', Date.now());
  const base = await serve(r);
  const all = await call(base, 'GET', '/api/v1/targets');
  assert.equal(all.status, 200);
  assert.equal(all.json['status'], 'success');
  const data = all.json['data'] as { activeTargets: Array<Record<string, unknown>>; droppedTargets: Array<Record<string, unknown>> };
  assert.deepEqual(data.activeTargets.map((x) => x['scrapePool']), ['other', 'web']);
  const web = data.activeTargets[1]!;
  assert.deepEqual(Object.keys(web).sort(), ['discoveredLabels', 'globalUrl', 'health', 'labels', 'lastError', 'lastScrape', 'lastScrapeDuration', 'scrapeInterval', 'scrapePool', 'scrapeTimeout', 'scrapeUrl']);
  assert.equal(web['scrapeUrl'], `http://${t.address}/metrics`);
  assert.equal(web['health'], 'up');
  assert.equal(web['scrapeInterval'], '15s');
  assert.equal(web['scrapeTimeout'], '10s');
  assert.deepEqual(web['labels'], { instance: t.address, job: 'web' });
  assert.match(String(web['lastScrape']), /^\d{4}-\d\d-\d\dT/);
  const other = data.activeTargets[0]!;
  assert.equal(other['health'], 'unknown');
  assert.equal(other['lastScrape'], '0001-01-01T00:00:00Z');
  assert.deepEqual(data.droppedTargets.map((d) => (d['discoveredLabels'] as Record<string, string>)['__address__']), ['gone:1']);
  const active = (await call(base, 'GET', '/api/v1/targets?state=active')).json['data'] as typeof data;
  assert.deepEqual(active.droppedTargets, []);
  assert.equal(active.activeTargets.length, 2);
  const dropped = (await call(base, 'GET', '/api/v1/targets?state=dropped')).json['data'] as typeof data;
  assert.deepEqual(dropped.activeTargets, []);
  const pool = (await call(base, 'GET', '/api/v1/targets?scrapePool=web')).json['data'] as typeof data;
  assert.deepEqual(pool.activeTargets.map((x) => x['scrapePool']), ['web']);
});

test('POST/DELETE /api/v1/scrape_targets: auth, validation, add, remove, persistence across restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promapi-'));
  dirs.push(dir);
  const t = await startTarget('a 1\n');
  open.push(t);
  const config = { config: { scrape_configs: [{ job_name: 'node', static_configs: [] }] }, api: { token: 's3cret', directory: dir } };
  const r1 = await startReceiver(config);
  const base = await serve(r1);
  assert.equal((await call(base, 'POST', '/api/v1/scrape_targets', { job: 'node', targets: [t.address] })).status, 401);
  assert.equal((await call(base, 'POST', '/api/v1/scrape_targets', { job: 'node', targets: [t.address] }, 'wrong')).status, 401);
  assert.equal((await call(base, 'POST', '/api/v1/scrape_targets', { job: 'nope', targets: [t.address] }, 's3cret')).status, 404);
  const bad = await call(base, 'POST', '/api/v1/scrape_targets', { job: 'node', targets: ['http://x/metrics'] }, 's3cret');
  assert.equal(bad.status, 400);
  assert.equal(bad.json['errorType'], 'bad_data');
  const add = await call(base, 'POST', '/api/v1/scrape_targets', { job: 'node', targets: [t.address, 'other:9'], labels: { env: 'lab' } }, 's3cret');
  assert.equal(add.status, 201);
  await waitFor(() => r1.receiver.activeTargets().length === 2, 2000, 'targets added');
  assert.deepEqual(r1.receiver.activeTargets().find((x) => x.scrapeUrl.includes(t.address))!.labels, { env: 'lab', instance: t.address, job: 'node' });
  const del = await call(base, 'DELETE', '/api/v1/scrape_targets', { job: 'node', targets: ['other:9'] }, 's3cret');
  assert.equal(del.status, 200);
  assert.deepEqual((del.json['data'] as Record<string, unknown>)['removed'], ['other:9']);
  assert.equal((await call(base, 'DELETE', '/api/v1/scrape_targets', { job: 'node', targets: ['other:9'] }, 's3cret')).status, 404);
  await waitFor(() => r1.receiver.activeTargets().length === 1, 2000, 'target removed');
  const list = await call(base, 'GET', '/api/v1/scrape_targets?job=node', undefined, 's3cret');
  assert.deepEqual(list.json['data'], { prometheus: { node: [{ target: t.address, labels: { env: 'lab' } }] } });
  const file = JSON.parse(readFileSync(join(dir, 'scrape_targets.prometheus.json'), 'utf8')) as unknown;
  assert.deepEqual(file, { version: 1, jobs: { node: [{ target: t.address, labels: { env: 'lab' } }] } });
  await r1.stop();

  const r2 = await startReceiver(config);
  open.push(r2);
  assert.deepEqual(r2.receiver.activeTargets().map((x) => x.labels), [{ env: 'lab', instance: t.address, job: 'node' }]);
  await r2.scrape('node');
  assert.equal(r2.receiver.activeTargets()[0]!.health, 'up');
});

test('scrape_targets API without a configured token answers 403', async () => {
  const r = await startReceiver({ config: { scrape_configs: [{ job_name: 'node' }] } });
  open.push(r);
  const base = await serve(r);
  const res = await call(base, 'POST', '/api/v1/scrape_targets', { job: 'node', targets: ['a:1'] }, 'x');
  assert.equal(res.status, 403);
  assert.match(String(res.json['error']), /api\.token/);
});
