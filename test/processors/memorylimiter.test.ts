/**
 * `memory_limiter`: refusing above the soft limit and recovering below it (fake RSS through the documented test
 * hook), GC on hard/soft limits with throttling, percentage limits, config validation, the cgroup limit parser, one
 * real RSS check, and the 429 an OTLP/HTTP client gets.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineError } from '../../src/component/errors.ts';
import { cgroupMemoryLimit, computeLimits, memoryLimiterHooks, memoryLimiterSchema } from '../../src/processors/memorylimiter/processor.ts';
import { freePort } from '../helpers/ports.ts';
import { batch, pipeline, type Run } from './helpers.ts';

const MIB = 1024 * 1024;
let run: Run | undefined;
afterEach(async () => {
  await run?.stop();
  run = undefined;
  memoryLimiterHooks.readRss = undefined;
  memoryLimiterHooks.heapFree = undefined;
  memoryLimiterHooks.totalMemory = undefined;
  memoryLimiterHooks.gc = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const one = () => batch({ metrics: [{ name: 'm', points: [{ value: 1 }, { value: 2 }] }] });

async function refused(r: Run): Promise<PipelineError | undefined> {
  try {
    await r.push(one());
    return undefined;
  } catch (err) {
    return err as PipelineError;
  }
}

test('refuses above the soft limit with backpressure, accepts again below it', async () => {
  let rss = 50 * MIB;
  memoryLimiterHooks.readRss = () => rss;
  memoryLimiterHooks.gc = null;
  run = await pipeline(`  memory_limiter: {check_interval: 20ms, limit_mib: 100, spike_limit_mib: 20}\n`, ['memory_limiter']);
  assert.equal(await refused(run), undefined);
  rss = 85 * MIB; // above soft (80), below hard (100)
  await sleep(80);
  const err = await refused(run);
  assert.ok(err instanceof PipelineError);
  assert.equal(err.errorClass, 'backpressure');
  assert.equal(err.code, 'OB_MEMORY_LIMIT');
  assert.match(err.message, /memory usage 85 MiB is above the soft limit 80 MiB \(limit 100 MiB\)/);
  assert.equal(run.counters('memory_limiter')['otelcol_processor_refused_metric_points'], 2);
  assert.deepEqual(
    { ...run.details('memory_limiter'), checkIntervalMs: undefined },
    { rssMiB: 85, usedMiB: 85, limitMiB: 100, spikeLimitMiB: 20, softLimitMiB: 80, totalMemoryMiB: run.details('memory_limiter')['totalMemoryMiB'], refusing: true, refusedPoints: 2, gcRuns: 0, gcExposed: false, checkIntervalMs: undefined },
  );
  rss = 79 * MIB;
  await sleep(80);
  assert.equal(await refused(run), undefined);
  assert.equal(run.record().length, 2);
  assert.ok(run.gw.logs.some((l) => l['msg'] === 'memory usage is above the soft limit; refusing data'));
});

test('above the hard limit: gc runs every check (min interval 0); refusal lasts until below the soft limit', async () => {
  let rss = 120 * MIB;
  let gcs = 0;
  memoryLimiterHooks.readRss = () => rss;
  memoryLimiterHooks.gc = () => {
    gcs++;
    rss -= 10 * MIB; // each collection frees 10 MiB
  };
  run = await pipeline(`  memory_limiter: {check_interval: 20ms, limit_mib: 100}\n`, ['memory_limiter']);
  // First check at start: 120 > 100 -> gc -> 110: still refusing (soft = 80).
  assert.ok(await refused(run));
  await sleep(150);
  // Hard-limited checks ran gc until 100 or less; from then on soft-limited gc is throttled (10s): stuck at <= 100.
  const d = run.details('memory_limiter');
  assert.equal(d['refusing'], true);
  assert.equal(d['gcExposed'], true);
  assert.ok(gcs >= 2 && gcs <= 4, `gc ran ${gcs} times`);
  assert.ok(rss <= 100 * MIB && rss > 80 * MIB);
  rss = 40 * MIB;
  await sleep(60);
  assert.equal(await refused(run), undefined);
});

test('gc that brings memory below the soft limit ends refusal in the same check', async () => {
  let rss = 95 * MIB;
  memoryLimiterHooks.readRss = () => rss;
  memoryLimiterHooks.gc = () => (rss = 30 * MIB);
  run = await pipeline(`  memory_limiter: {check_interval: 1h, limit_mib: 100}\n`, ['memory_limiter']);
  assert.equal(await refused(run), undefined);
  assert.equal(run.details('memory_limiter')['gcRuns'], 1);
});

test('usage is RSS minus the free V8 heap: a high-water RSS with an emptied heap accepts again', async () => {
  const rss = 95 * MIB; // RSS stays at its high-water mark after a spike
  let free = 0;
  memoryLimiterHooks.readRss = () => rss;
  memoryLimiterHooks.heapFree = () => free;
  memoryLimiterHooks.gc = null;
  run = await pipeline(`  memory_limiter: {check_interval: 20ms, limit_mib: 100, spike_limit_mib: 20}\n`, ['memory_limiter']);
  assert.ok(await refused(run));
  free = 40 * MIB; // the spike's garbage was collected; V8 keeps the pages for the next allocations
  await sleep(80);
  assert.equal(await refused(run), undefined);
  const d = run.details('memory_limiter');
  assert.deepEqual([d['rssMiB'], d['usedMiB'], d['refusing']], [95, 55, false]);
});

test('percentage limits are taken of the total memory; default spike is 20% of the limit', async () => {
  memoryLimiterHooks.totalMemory = () => 1000 * MIB;
  memoryLimiterHooks.readRss = () => 10 * MIB;
  run = await pipeline(`  memory_limiter: {check_interval: 1s, limit_percentage: 50, spike_limit_percentage: 10}\n  memory_limiter/b: {limit_percentage: 50}\n`, ['memory_limiter', 'memory_limiter/b']);
  const a = run.details('memory_limiter');
  const b = run.details('memory_limiter/b');
  assert.deepEqual([a['totalMemoryMiB'], a['limitMiB'], a['spikeLimitMiB'], a['softLimitMiB']], [1000, 500, 100, 400]);
  assert.deepEqual([b['limitMiB'], b['spikeLimitMiB'], b['softLimitMiB']], [500, 100, 400]);
  assert.deepEqual(computeLimits(memoryLimiterSchema.parse({ limit_mib: 10, limit_percentage: 90 }), 1000 * MIB), { limit: 10 * MIB, spike: 2 * MIB, soft: 8 * MIB });
});

const bad: [unknown, string][] = [
  [{}, 'set limit_mib or limit_percentage'],
  [{ limit_mib: 100, spike_limit_mib: 100 }, 'spike_limit_mib (100) must be smaller than limit_mib (100)'],
  [{ limit_percentage: 50, spike_limit_percentage: 60 }, 'spike_limit_percentage (60) must be smaller than limit_percentage (50)'],
  [{ limit_percentage: 101 }, 'limit_percentage'],
  [{ limit_mib: 10, check_interval: '0s' }, 'check_interval must be greater than zero'],
  [{ limit_mib: 10, ballast_size_mib: 5 }, 'ballast_size_mib'],
];
for (const [cfg, msg] of bad) {
  test(`memory_limiter config error: ${msg}`, () => {
    const r = memoryLimiterSchema.safeParse(cfg);
    assert.equal(r.success, false);
    assert.ok(JSON.stringify(r.error!.issues).includes(msg), JSON.stringify(r.error!.issues));
  });
}

test('cgroup limit: v2 max = none, v2 number, v1 unlimited sentinel, absent files', () => {
  const files = (m: Record<string, string>) => (p: string) => {
    if (m[p] === undefined) throw new Error('ENOENT');
    return m[p];
  };
  assert.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': 'max\n' })), undefined);
  assert.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': '536870912\n' })), 536870912);
  assert.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' })), undefined);
  assert.equal(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '1073741824' })), 1073741824);
  assert.equal(cgroupMemoryLimit(files({})), undefined);
});

test('real RSS: a 1 MiB limit refuses, a huge one accepts; status shows the measured RSS', async () => {
  run = await pipeline(`  memory_limiter/tiny: {check_interval: 1h, limit_mib: 1}\n  memory_limiter/huge: {check_interval: 1h, limit_mib: 10000000}\n`, ['memory_limiter/huge', 'memory_limiter/tiny']);
  const err = await refused(run);
  assert.ok(err instanceof PipelineError && err.code === 'OB_MEMORY_LIMIT');
  const tiny = run.details('memory_limiter/tiny');
  const real = process.memoryUsage.rss() / MIB;
  assert.ok(Math.abs((tiny['rssMiB'] as number) - real) < real * 0.5, `status ${String(tiny['rssMiB'])} MiB vs real ${real} MiB`);
  assert.equal(run.details('memory_limiter/huge')['refusing'], false);
});

test('an OTLP/HTTP client gets 429 while the limiter refuses', async () => {
  memoryLimiterHooks.readRss = () => 500 * MIB;
  memoryLimiterHooks.gc = null;
  const port = await freePort();
  const { startGateway, telemetryYaml } = await import('../helpers/gateway.ts');
  const { testRegistry } = await import('../helpers/components.ts');
  const gw = await startGateway(
    `receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:${port}\nprocessors:\n  memory_limiter: {limit_mib: 100}\nexporters:\n  testrecord: {}\nservice:\n  pipelines:\n    metrics:\n      receivers: [otlp]\n      processors: [memory_limiter]\n      exporters: [testrecord]\n${telemetryYaml()}`,
    { registry: testRegistry() },
  );
  try {
    const body = { resourceMetrics: [{ resource: {}, scopeMetrics: [{ scope: {}, metrics: [{ name: 'm', gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: '1700000000000000000' }] } }] }] }] };
    const res = await fetch(`http://127.0.0.1:${port}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 429);
  } finally {
    await gw.stop();
  }
});
