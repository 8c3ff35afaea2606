/**
 * The reload hand-over hook (Component.handOver -> CreateSettings.previous), with the `testpush` receiver:
 * a good reload passes state to the same id and type only; a first start and a changed type get nothing; a reload
 * whose new generation fails to start gives the state back to the restored old config.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { handovers, testRegistry } from '../helpers/components.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';

let running: TestGateway | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  handovers.length = 0;
});

function config(receivers: string, extra = ''): string {
  return `receivers:
${receivers}
exporters:
  testrecord/h: {}
service:
  pipelines:
    metrics:
      receivers: [${[...receivers.matchAll(/^ {2}([\w/]+):/gm)].map((m) => m[1]).join(', ')}]
      exporters: [testrecord/h]${extra}
${telemetryYaml()}`;
}

const seen = (id: string) => handovers.filter((h) => h.id === id).map((h) => h.previous);

test('reload hands state to the component with the same id and type; not on first start', async () => {
  running = await startGateway(config('  testpush/a: {handover: true}\n  testpush/b: {handover: true}'), { registry: testRegistry() });
  assert.deepEqual(seen('testpush/a'), [undefined], 'first start: no previous');

  running.writeConfig(config('  testpush/a: {handover: true}\n  testpush/c: {handover: true}'));
  assert.equal(await running.gw.reload('test'), true);
  assert.deepEqual(seen('testpush/a'), [undefined, { generation: 1 }]);
  assert.deepEqual(seen('testpush/c'), [undefined], 'a new id gets nothing (b was removed)');

  running.writeConfig(config('  testpush/a: {handover: true}\n  testpush/c: {handover: true}'));
  assert.equal(await running.gw.reload('test'), true);
  assert.deepEqual(seen('testpush/a'), [undefined, { generation: 1 }, { generation: 2 }]);
  assert.deepEqual(seen('testpush/c'), [undefined, { generation: 1 }]);
});

test('a reload that fails to start gives the state back to the restored config', async () => {
  // A port taken by someone else: the otlp receiver of the new config fails to start.
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    running = await startGateway(config('  testpush/a: {handover: true}'), { registry: testRegistry() });
    running.writeConfig(config(`  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:${port}\n  testpush/a: {handover: true}`));
    assert.equal(await running.gw.reload('test'), false);
    assert.equal(running.gw.state, 'running');
    // Old (gen 0), failed new one (got gen 1, never started), restored old config (gets gen 1 back).
    assert.deepEqual(seen('testpush/a'), [undefined, { generation: 1 }, { generation: 1 }]);

    // The restored generation hands over in turn.
    running.writeConfig(config('  testpush/a: {handover: true}'));
    assert.equal(await running.gw.reload('test'), true);
    assert.deepEqual(seen('testpush/a').at(-1), { generation: 2 });
  } finally {
    blocker.close();
  }
});
