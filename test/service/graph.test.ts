/** Pipeline graph: wiring, fan-out isolation, start/stop order, drain, backpressure mapping. */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { events, gaugeBatch, pushInto, recorders, testRegistry } from '../helpers/components.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import { PipelineError } from '../../src/component/errors.ts';

let running: TestGateway | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const yaml = (body: string) => `${body}\nservice:\n  pipelines:\nPIPES${telemetryYaml()}`;

test('one receiver feeds several pipelines, each pipeline fans out to every exporter', async () => {
  running = await startGateway(
    yaml(`receivers:\n  testpush/a: {}\nprocessors:\n  testmutate/x: {prefix: "x_"}\nexporters:\n  testrecord/one: {}\n  testrecord/two: {}\n  testrecord/three: {}`).replace(
      'PIPES',
      `    metrics/first:\n      receivers: [testpush/a]\n      exporters: [testrecord/one, testrecord/two]\n    metrics/second:\n      receivers: [testpush/a]\n      processors: [testmutate/x]\n      exporters: [testrecord/three]\n`,
    ),
    { registry: testRegistry() },
  );
  await pushInto('testpush/a', gaugeBatch(['m1', 'm2']));
  assert.deepEqual(recorders.get('testrecord/one')!.names(), ['m1', 'm2']);
  assert.deepEqual(recorders.get('testrecord/two')!.names(), ['m1', 'm2']);
  // The second pipeline's processor renamed its own copy; the first pipeline's data is untouched.
  assert.deepEqual(recorders.get('testrecord/three')!.names(), ['x_m1', 'x_m2']);
});

test('fan-out isolation: an exporter that mutates never changes what another exporter sees', async () => {
  running = await startGateway(
    yaml(`receivers:\n  testpush/a: {}\nexporters:\n  testrecord/mut1: {mutate: true, delay_ms: 5}\n  testrecord/mut2: {mutate: true}\n  testrecord/plain: {delay_ms: 20}`).replace(
      'PIPES',
      `    metrics:\n      receivers: [testpush/a]\n      exporters: [testrecord/mut1, testrecord/mut2, testrecord/plain]\n`,
    ),
    { registry: testRegistry() },
  );
  await pushInto('testpush/a', gaugeBatch(['orig']));
  assert.deepEqual(recorders.get('testrecord/mut1')!.names(), ['orig']);
  assert.deepEqual(recorders.get('testrecord/mut2')!.names(), ['orig']);
  // The slow read-only exporter recorded after both mutating ones changed their data: it still sees the original.
  assert.deepEqual(recorders.get('testrecord/plain')!.names(), ['orig']);
});

test('start order: extensions, exporters, processors, receivers; shutdown in reverse', async () => {
  events.length = 0;
  running = await startGateway(
    yaml(`receivers:\n  testpush/r: {}\nprocessors:\n  testmutate/p1: {}\n  testmutate/p2: {}\nexporters:\n  testrecord/e: {}`).replace(
      'PIPES',
      `    metrics:\n      receivers: [testpush/r]\n      processors: [testmutate/p1, testmutate/p2]\n      exporters: [testrecord/e]\n`,
    ),
    { registry: testRegistry() },
  );
  await running.stop();
  running = undefined;
  assert.deepEqual(events, [
    'start exporter testrecord/e',
    'start processor testmutate/p2 metrics',
    'start processor testmutate/p1 metrics',
    'start receiver testpush/r',
    'stop receiver testpush/r',
    'stop processor testmutate/p1 metrics',
    'stop processor testmutate/p2 metrics',
    'stop exporter testrecord/e',
  ]);
});

test('an exporter error reaches the receiver with its class (backpressure beats retryable)', async () => {
  running = await startGateway(
    yaml(`receivers:\n  testpush/a: {}\nexporters:\n  testrecord/full: {fail: backpressure}\n  testrecord/down: {fail: retryable}\n  testrecord/ok: {}`).replace(
      'PIPES',
      `    metrics:\n      receivers: [testpush/a]\n      exporters: [testrecord/full, testrecord/down, testrecord/ok]\n`,
    ),
    { registry: testRegistry() },
  );
  await assert.rejects(pushInto('testpush/a', gaugeBatch(['m'])), (err: unknown) => {
    assert.ok(err instanceof PipelineError);
    assert.equal(err.errorClass, 'backpressure');
    assert.equal(err.retryAfterSeconds, 3);
    return true;
  });
  assert.deepEqual(recorders.get('testrecord/ok')!.names(), ['m']);
});

test('batch processor: data pending in a batch is delivered on drain, and consume resolves only after delivery', async () => {
  running = await startGateway(
    yaml(`receivers:\n  testpush/a: {}\nprocessors:\n  batch:\n    timeout: 1h\n    send_batch_size: 1000\nexporters:\n  testrecord/e: {}`).replace(
      'PIPES',
      `    metrics:\n      receivers: [testpush/a]\n      processors: [batch]\n      exporters: [testrecord/e]\n`,
    ),
    { registry: testRegistry() },
  );
  let acked = false;
  const p = pushInto('testpush/a', gaugeBatch(['pending'])).then(() => (acked = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(acked, false, 'not acknowledged while only batched');
  assert.equal(recorders.get('testrecord/e')!.batches.length, 0);
  await running.stop();
  running = undefined;
  await p;
  assert.equal(acked, true);
  assert.deepEqual(recorders.get('testrecord/e')!.names(), ['pending']);
});

test('batch processor: send_batch_size triggers and send_batch_max_size splits', async () => {
  running = await startGateway(
    yaml(`receivers:\n  testpush/a: {}\nprocessors:\n  batch:\n    timeout: 1h\n    send_batch_size: 3\n    send_batch_max_size: 4\nexporters:\n  testrecord/e: {}`).replace(
      'PIPES',
      `    metrics:\n      receivers: [testpush/a]\n      processors: [batch]\n      exporters: [testrecord/e]\n`,
    ),
    { registry: testRegistry() },
  );
  await Promise.all([pushInto('testpush/a', gaugeBatch(['a', 'b'])), pushInto('testpush/a', gaugeBatch(['c', 'd', 'e', 'f', 'g']))]);
  const rec = recorders.get('testrecord/e')!;
  const sizes = rec.batches.map((b) => b.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)).length);
  assert.deepEqual(sizes, [4, 3]);
  assert.deepEqual(rec.names(), ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
});
