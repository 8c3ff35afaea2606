/** Hot reload (good and bad configs) and the ops endpoints, over real HTTP to an in-process gateway. */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { gaugeBatch, pushInto, recorders, testRegistry } from '../helpers/components.ts';
import { startGateway, telemetryYaml, type TestGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';

let running: TestGateway | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function config(opsPort: number, exporter: string, extra = ''): string {
  return `extensions:
  health_check:
    endpoint: 127.0.0.1:${opsPort}
receivers:
  testpush/in: {}
exporters:
  ${exporter}: {}
  debug:
    verbosity: basic
${extra}
service:
  extensions: [health_check]
  pipelines:
    metrics:
      receivers: [testpush/in]
      exporters: [${exporter}]
${telemetryYaml()}`;
}

test('reload with a good config swaps the pipelines; with a bad config the running one keeps serving', async () => {
  const ops = await freePort();
  running = await startGateway(config(ops, 'testrecord/old'), { registry: testRegistry() });
  await pushInto('testpush/in', gaugeBatch(['before']));
  assert.deepEqual(recorders.get('testrecord/old')!.names(), ['before']);

  running.writeConfig(config(ops, 'testrecord/new'));
  assert.equal(await running.gw.reload('test'), true);
  await pushInto('testpush/in', gaugeBatch(['after']));
  assert.deepEqual(recorders.get('testrecord/new')!.names(), ['after']);
  assert.deepEqual(recorders.get('testrecord/old')!.names(), ['before'], 'old exporter got nothing after reload');

  running.writeConfig(config(ops, 'testrecord/new').replace('verbosity: basic', 'verbosity: loud'));
  assert.equal(await running.gw.reload('test'), false);
  const err = running.logs.find((l) => l['msg'] === 'config reload rejected: invalid config, keeping the running one');
  assert.ok(err, 'rejection logged');
  assert.match(String(err['err']), /exporters\.debug\.verbosity: invalid value "loud"/);
  await pushInto('testpush/in', gaugeBatch(['still']));
  assert.deepEqual(recorders.get('testrecord/new')!.names(), ['after', 'still']);
  const r = await fetch(`http://127.0.0.1:${ops}/readyz`);
  assert.equal(r.status, 200);
  const status = (await (await fetch(`http://127.0.0.1:${ops}/api/v1/status`)).json()) as { reloads: { ok: number; failed: number } };
  assert.deepEqual([status.reloads.ok, status.reloads.failed], [1, 1]);
});

test('a changed config file is picked up without a signal', async () => {
  const ops = await freePort();
  running = await startGateway(config(ops, 'testrecord/w1'), { registry: testRegistry(), watchFiles: true });
  running.writeConfig(config(ops, 'testrecord/w2'));
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && running.gw.config?.exporters.has('testrecord/w2') !== true) await new Promise((r) => setTimeout(r, 50));
  assert.ok(running.gw.config?.exporters.has('testrecord/w2'), 'reloaded after the file changed');
});

test('ops endpoints: /healthz, /readyz, status JSON, status page HTML, Collector health JSON, redacted /debug/config', async () => {
  const ops = await freePort();
  running = await startGateway(
    config(ops, 'testrecord/x').replace('exporters:\n', 'exporters:\n  testrecord/secretive:\n    mutate: false\n'),
    { registry: testRegistry() },
  );
  const base = `http://127.0.0.1:${ops}`;
  let r = await fetch(`${base}/healthz`);
  assert.equal(r.status, 200);
  r = await fetch(`${base}/readyz`);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), 'ready\n');
  r = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await r.text(), /<title>otel-bridge status<\/title>/);
  r = await fetch(`${base}/`, { headers: { accept: 'application/json' } });
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as { status: string }).status, 'Server available');
  const s = (await (await fetch(`${base}/api/v1/status`)).json()) as {
    state: string;
    pipelines: { id: string }[];
    components: { id: string; state: string; kind: string }[];
  };
  assert.equal(s.state, 'running');
  assert.deepEqual(s.pipelines.map((p) => p.id), ['metrics']);
  assert.deepEqual(
    s.components.map((c) => `${c.kind}:${c.id}:${c.state}`),
    ['extension:health_check:running', 'exporter:testrecord/x:running', 'receiver:testpush/in:running'],
  );
  r = await fetch(`${base}/no-such-page`);
  assert.equal(r.status, 404);
});

test('/debug/config hides secrets and header values', async () => {
  const { redactConfig } = await import('../../src/service/redact.ts');
  const out = redactConfig({
    exporters: { otlphttp: { endpoint: 'https://x', headers: { 'X-Api-Key': 'abc', Tenant: 't1' }, auth: { authenticator: 'basicauth' } } },
    extensions: { basicauth: { client_auth: { username: 'u', password: 'hunter2' } }, bearertokenauth: { token: 's3cr3t', filename: '/etc/tok' } },
  });
  const text = JSON.stringify(out);
  assert.doesNotMatch(text, /hunter2|s3cr3t|abc|t1/);
  assert.match(text, /"username":"u"/);
  assert.match(text, /"filename":"\/etc\/tok"/);
});

test('readiness is 503 while draining', async () => {
  const ops = await freePort();
  running = await startGateway(
    config(ops, 'testrecord/slow').replace('testrecord/slow: {}', 'testrecord/slow: {delay_ms: 400}').replace('receivers:', 'processors:\n  batch: {timeout: 300ms}\nreceivers:').replace('receivers: [testpush/in]', 'receivers: [testpush/in]\n      processors: [batch]'),
    { registry: testRegistry() },
  );
  const pushing = pushInto('testpush/in', gaugeBatch(['m']));
  await new Promise((r) => setTimeout(r, 20));
  const stopping = running.gw.stop();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(running.gw.ready(), false);
  const r = await fetch(`http://127.0.0.1:${ops}/readyz`);
  assert.equal(r.status, 503);
  assert.match(await r.text(), /not ready: draining/);
  await pushing;
  await stopping;
  running = undefined;
});
