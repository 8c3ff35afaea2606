import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cfg, find, job, startReceiver, startTarget, waitFor, type TargetServer, type TestReceiver } from './helpers.ts';

const open: Array<TargetServer | TestReceiver> = [];
after(async () => {
  for (const o of open) await (o as { stop?: () => Promise<void> }).stop?.();
  for (const o of open) await (o as { close?: () => Promise<void> }).close?.();
});

async function setup(body: string, jobExtra: Record<string, unknown> = {}) {
  const t = await startTarget(body);
  const r = await startReceiver(cfg(job('j', [t.address], jobExtra)));
  open.push(t, r);
  return { t, r };
}

const T0 = 1_700_000_000_000;
const stale = (r: TestReceiver) => r.sink.last().filter((x) => x.stale).map((x) => `${x.name}${JSON.stringify(x.attrs)}`).sort();

test('a series that disappears gets one stale marker at the next scrape time', async () => {
  const { t, r } = await setup('a{x="1"} 1\na{x="2"} 2\n# TYPE c counter\nc_total 5\n');
  await r.scrape('j', T0);
  t.body = 'a{x="1"} 1\n';
  await r.scrape('j', T0 + 15_000);
  assert.deepEqual(stale(r), ['a{"x":"2"}', 'c_total{}']);
  const m = r.sink.last().find((x) => x.stale)!;
  assert.equal(m.time, BigInt(T0 + 15_000) * 1_000_000n);
  assert.ok(Number.isNaN(m.value));
  await r.scrape('j', T0 + 30_000);
  assert.deepEqual(stale(r), [], 'only once');
  t.body = 'a{x="1"} 1\na{x="2"} 3\n';
  await r.scrape('j', T0 + 45_000);
  assert.equal(find(r.sink.last(), 'a', { x: '2' })!.value, 3, 'comes back as a normal point');
});

test('histogram and summary go stale as whole points with their last layout', async () => {
  const { t, r } = await setup(
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 2\ns_count 3\ng 1\n',
  );
  await r.scrape('j', T0);
  t.body = 'g 1\n';
  await r.scrape('j', T0 + 15_000);
  const h = find(r.sink.last(), 'h')!;
  assert.equal(h.stale, true);
  assert.deepEqual(h.bounds, [1]);
  assert.deepEqual(h.buckets, [0, 0]);
  assert.ok(Number.isNaN(h.sum));
  const s = find(r.sink.last(), 's')!;
  assert.equal(s.stale, true);
  assert.deepEqual(s.quantiles!.map((q) => q[0]), [0.5]);
});

test('a failed scrape: up=0 and every series stale; recovery scrapes normally', async () => {
  const { t, r } = await setup('a 1\nb 2\n');
  await r.scrape('j', T0);
  t.status = 500;
  await r.scrape('j', T0 + 15_000);
  assert.deepEqual(stale(r), ['a{}', 'b{}']);
  assert.equal(find(r.sink.last(), 'up')!.value, 0);
  assert.equal(find(r.sink.last(), 'scrape_samples_scraped')!.value, 0);
  await r.scrape('j', T0 + 30_000);
  assert.deepEqual(stale(r), [], 'already stale');
  t.status = 200;
  await r.scrape('j', T0 + 45_000);
  assert.equal(find(r.sink.last(), 'a')!.value, 1);
  assert.equal(find(r.sink.last(), 'up')!.value, 1);
});

test('parse error mid-body: series parsed before the error stay tracked (Prometheus rollback semantics)', async () => {
  const { t, r } = await setup('a 1\nb 2\nc 3\n');
  await r.scrape('j', T0);
  t.body = 'a 1\nthis is { not valid\nc 3\n';
  await r.scrape('j', T0 + 15_000);
  assert.equal(find(r.sink.last(), 'up')!.value, 0);
  assert.deepEqual(stale(r), ['b{}', 'c{}']);
  t.body = 'c 3\n';
  await r.scrape('j', T0 + 30_000);
  assert.deepEqual(stale(r), ['a{}']);
});

test('series with explicit timestamps are not tracked unless track_timestamps_staleness', async () => {
  const off = await setup('a 1 1699999999000\nb 2\n');
  await off.r.scrape('j', T0);
  off.t.body = '';
  await off.r.scrape('j', T0 + 15_000);
  assert.deepEqual(stale(off.r), ['b{}']);
  const on = await setup('a 1 1699999999000\nb 2\n', { track_timestamps_staleness: true });
  await on.r.scrape('j', T0);
  on.t.body = '';
  await on.r.scrape('j', T0 + 15_000);
  assert.deepEqual(stale(on.r), ['a{}', 'b{}']);
  assert.equal(find(on.r.sink.last(), 'up')!.value, 1, 'an empty body is a successful empty scrape');
});

test('a removed target gets stale markers for its series and its report series', async () => {
  const t = await startTarget('a 1\n');
  const r = await startReceiver(cfg(job('j', [t.address])));
  open.push(t, r);
  await r.scrape('j', T0);
  r.receiver.removeTargets('j', []);
  // Simulate discovery dropping the target: the pool syncs with no groups.
  (r.receiver as unknown as { jobs: Map<string, { pool: { sync(g: unknown[]): void } }> }).jobs.get('j')!.pool.sync([]);
  await waitFor(() => r.sink.batches.length === 2, 2000, 'end-of-run batch');
  assert.deepEqual(stale(r), ['a{}', 'scrape_duration_seconds{}', 'scrape_samples_post_metric_relabeling{}', 'scrape_samples_scraped{}', 'scrape_series_added{}', 'up{}']);
  assert.equal(r.sink.last()[0]!.time, BigInt(T0 + 60_000) * 1_000_000n);
  assert.equal(r.receiver.activeTargets().length, 0);
});

test('target_limit: every scrape of the pool fails with the limit error', async () => {
  const t1 = await startTarget('a 1\n');
  const t2 = await startTarget('a 1\n');
  const r = await startReceiver(cfg(job('j', [t1.address, t2.address], { target_limit: 1 })));
  open.push(t1, t2, r);
  await r.scrape('j', T0);
  const ts = r.receiver.activeTargets();
  assert.equal(ts.length, 2);
  for (const x of ts) assert.equal(x.lastError, 'target_limit exceeded (number of targets: 2, limit: 1)');
  assert.equal(t1.requests.length + t2.requests.length, 0);
});

test('series that move, vanish, come back and repeat between scrapes keep their own values (positional cache)', async () => {
  const { t, r } = await setup('a{x="1"} 1\na{x="2"} 2\na{x="3"} 3\n', {
    metric_relabel_configs: [{ source_labels: ['x'], regex: 'drop', action: 'drop' }],
  });
  const values = () =>
    r.sink
      .last()
      .filter((x) => x.name === 'a' && !x.stale)
      .map((x) => `${x.attrs['x']}=${x.value}`)
      .sort();
  const added = () => find(r.sink.last(), 'scrape_series_added')!.value;
  await r.scrape('j', T0);
  assert.deepEqual(values(), ['1=1', '2=2', '3=3']);
  assert.equal(added(), 3);
  // Reversed, one dropped line put in front, a duplicate (first sample wins): every line lands on another position.
  t.body = 'a{x="drop"} 9\na{x="3"} 30\na{x="2"} 20\na{x="1"} 10\na{x="3"} 31\n';
  await r.scrape('j', T0 + 15_000);
  assert.deepEqual(values(), ['1=10', '2=20', '3=30']);
  assert.equal(added(), 0, 'nothing new: the moved lines are the cached series');
  assert.deepEqual(stale(r), []);
  // x=2 vanishes (stale, then dropped from the cache); a new series takes its position.
  t.body = 'a{x="drop"} 9\na{x="3"} 32\na{x="4"} 4\na{x="1"} 11\n';
  await r.scrape('j', T0 + 30_000);
  assert.deepEqual(values(), ['1=11', '3=32', '4=4']);
  assert.deepEqual(stale(r), ['a{"x":"2"}']);
  assert.equal(added(), 1);
  t.body = 'a{x="drop"} 9\na{x="3"} 33\na{x="4"} 5\na{x="1"} 12\n';
  await r.scrape('j', T0 + 45_000);
  // x=2 comes back: a new series again, since the cache forgot it.
  t.body = 'a{x="drop"} 9\na{x="3"} 34\na{x="2"} 21\na{x="1"} 13\n';
  await r.scrape('j', T0 + 60_000);
  assert.deepEqual(values(), ['1=13', '2=21', '3=34']);
  assert.deepEqual(stale(r), ['a{"x":"4"}']);
  assert.equal(added(), 1, 'x=2 counted as added again once the cache forgot it');
  // The target shrinks to one line and grows back.
  t.body = 'a{x="1"} 14\n';
  await r.scrape('j', T0 + 75_000);
  assert.deepEqual(values(), ['1=14']);
  t.body = 'a{x="1"} 15\na{x="2"} 22\na{x="5"} 5\n';
  await r.scrape('j', T0 + 90_000);
  assert.deepEqual(values(), ['1=15', '2=22', '5=5']);
});

test('series the cache forgot after failed scrapes are new again, wherever they sit in the exposition', async () => {
  // Prometheus flushes the cache after a failed scrape only when it grew past 2x the last good size + 1000; the
  // entries it drops then may still be the positional guesses for lines of a longer earlier body.
  const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}{i="${i}"} ${i}\n`).join('');
  const { t, r } = await setup(lines('a', 5000));
  const added = () => find(r.sink.last(), 'scrape_series_added')!.value;
  await r.scrape('j', T0);
  assert.equal(added(), 5000);
  t.body = lines('b', 3000) + 'bad{ 1\n'; // fails: cache 8000 series, not flushed
  await r.scrape('j', T0 + 15_000);
  t.body = lines('c', 3001) + 'bad{ 1\n'; // fails: 11001 > 2 x 5000 + 1000, flushed: only c stays
  await r.scrape('j', T0 + 30_000);
  t.body = lines('a', 5000);
  await r.scrape('j', T0 + 45_000);
  assert.equal(added(), 5000, 'every a series was forgotten, also those at positions 3001-4999');
  assert.equal(r.sink.last().filter((x) => x.name === 'a' && !x.stale).length, 5000);
  t.body = lines('a', 5000);
  await r.scrape('j', T0 + 60_000);
  assert.equal(added(), 0);
});
