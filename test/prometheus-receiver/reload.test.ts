/**
 * Config reload through the hand-over hook (old receiver's handOver() + shutdown, new receiver with
 * settings.previous), with manual scrapes: a removed job's series go stale through the new receiver; an unchanged
 * job keeps its loop and cache (no stale markers, no scrape_series_added spike); a changed job starts fresh; and a
 * whole gateway reload with scheduled scrapes writes the stale markers of a removed job.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { recorders, testRegistry } from '../helpers/components.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import { cfg, find, job, rows, startReceiver, startTarget, waitFor, type TargetServer, type TestReceiver } from './helpers.ts';

const open: Array<TargetServer | TestReceiver | TestGateway> = [];
after(async () => {
  for (const o of open) await (o as { stop?: () => Promise<void> }).stop?.();
  for (const o of open) await (o as { close?: () => Promise<void> }).close?.();
});

const T0 = 1_700_000_000_000;
const REPORT = ['scrape_duration_seconds', 'scrape_samples_post_metric_relabeling', 'scrape_samples_scraped', 'scrape_series_added', 'up'];
const staleOf = (r: TestReceiver) => r.sink.rows().filter((x) => x.stale).map((x) => `${x.resource['service.name']}:${x.name}`).sort();

async function reload(old: TestReceiver, config: unknown): Promise<TestReceiver> {
  const previous = old.receiver.handOver();
  await old.stop();
  const r = await startReceiver(config, { previous });
  open.push(r);
  return r;
}

async function twoJobs() {
  const ta = await startTarget('a 1\n# TYPE ca counter\nca_total 3\n');
  const tb = await startTarget('b{x="1"} 1\nb{x="2"} 2\n');
  open.push(ta, tb);
  const r = await startReceiver(cfg(job('a', [ta.address]), job('b', [tb.address])));
  open.push(r);
  await r.scrape('a', T0);
  await r.scrape('b', T0);
  return { ta, tb, r };
}

test('reload with a job removed: its series get stale markers through the new receiver', async () => {
  const { ta, r: r1 } = await twoJobs();
  const r2 = await reload(r1, cfg(job('a', [ta.address])));
  await waitFor(() => r2.sink.batches.length >= 1, 2000, 'end-of-run batch of job b');
  assert.deepEqual(staleOf(r2), ['b:b', 'b:b', ...REPORT.map((n) => `b:${n}`)]);
  const m = r2.sink.rows().find((x) => x.stale)!;
  assert.equal(m.time, BigInt(T0 + 60_000) * 1_000_000n, 'at the next slot of the removed target');
  assert.deepEqual(r2.receiver.activeTargets().map((t) => t.scrapePool), ['a']);
});

test('reload with an unchanged job: same loop and cache, no stale markers, no series-added spike', async () => {
  const { ta, tb, r: r1 } = await twoJobs();
  const loopA = r1.receiver.loops('a')[0]!;
  const r2 = await reload(r1, cfg(job('a', [ta.address]), job('b', [tb.address])));
  assert.equal(r2.receiver.loops('a')[0], loopA, 'the loop carried over');
  assert.equal(r2.receiver.activeTargets().find((t) => t.scrapePool === 'a')!.health, 'up', 'target state carried over');
  await r2.scrape('a', T0 + 60_000);
  await r2.scrape('b', T0 + 60_000);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(staleOf(r2), []);
  const got = r2.sink.rows();
  assert.equal(find(got, 'scrape_series_added', {})?.value, 0);
  assert.ok(got.filter((x) => x.name === 'scrape_series_added').every((x) => x.value === 0), 'no spike in either job');
  // The counter keeps its start time from before the reload (cache kept).
  const before = r1.sink.rows().find((x) => x.name === 'ca_total' || x.name === 'ca')!;
  const after_ = got.find((x) => x.name === before.name)!;
  assert.equal(after_.start, before.start);
  // And a series that disappears after the reload is staled by the carried-over cache.
  ta.body = 'a 1\n';
  await r2.scrape('a', T0 + 120_000);
  assert.deepEqual(r2.sink.last().filter((x) => x.stale).map((x) => x.name), [before.name]);
});

test('reload with a changed job: fresh loop for its target, no stale markers for it', async () => {
  const { ta, tb, r: r1 } = await twoJobs();
  const loopB = r1.receiver.loops('b')[0]!;
  const r2 = await reload(r1, cfg(job('a', [ta.address]), job('b', [tb.address], { sample_limit: 1000 })));
  assert.notEqual(r2.receiver.loops('b')[0], loopB);
  await r2.scrape('b', T0 + 60_000);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(staleOf(r2), []);
  assert.equal(find(r2.sink.rows(), 'scrape_series_added', {})?.value, 2, 'new cache: its series are added again');
});

test('gateway reload (scheduled scrapes): a removed job goes stale, the kept one continues without stale markers', async () => {
  const ta = await startTarget('a 1\n');
  const tb = await startTarget('b 1\n');
  open.push(ta, tb);
  const yaml = (jobs: string[]) => `receivers:
  prometheus:
    config:
      scrape_configs:
${jobs.map((j) => `        - job_name: ${j}\n          scrape_interval: 100ms\n          static_configs:\n            - targets: ['${j === 'a' ? ta.address : tb.address}']`).join('\n')}
exporters:
  testrecord/reload: {}
service:
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [testrecord/reload]
${telemetryYaml()}`;
  const gw = await startGateway(yaml(['a', 'b']), { registry: testRegistry() });
  open.push(gw);
  const rec = () => recorders.get('testrecord/reload')!;
  await waitFor(() => rec().batches.length >= 4, 5000, 'scrapes of both jobs');
  gw.writeConfig(yaml(['a']));
  assert.equal(await gw.gw.reload('test'), true);
  const r = rec();
  const mark = r.batches.length;
  await waitFor(() => r.batches.slice(mark).some((b) => rows(b).some((x) => x.stale)), 3000, 'stale markers of job b');
  await waitFor(() => r.batches.slice(mark).filter((b) => rows(b).some((x) => x.name === 'a')).length >= 3, 3000, 'job a continues');
  const after_ = r.batches.slice(mark).flatMap(rows);
  const stale = after_.filter((x) => x.stale);
  assert.ok(stale.length > 0 && stale.every((x) => x.resource['service.name'] === 'b'), 'only job b goes stale');
  assert.ok(after_.filter((x) => x.name === 'scrape_series_added' && x.resource['service.name'] === 'a').every((x) => x.value === 0), 'no series-added spike for job a');
});
