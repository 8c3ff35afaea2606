/**
 * The otel-bridge command as a user runs it (a real child process): validate, start, self-metrics checked by
 * promtool, SIGHUP reload with a bad file, SIGTERM drain, and exit codes.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePorts } from '../helpers/ports.ts';
import { promtool } from '../helpers/peers.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
}

for (const f of readdirSync(join(ROOT, 'pipelines')).filter((x) => x.endsWith('.yaml'))) {
  test(`pipelines/${f} validates`, () => {
    const r = cli(['validate', '--config', join('pipelines', f)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^OK: /);
  });
}

test('validate prints every error with file:line:col and exits 1', () => {
  const r = cli(['validate', '--config', 'test/fixtures/config/bad/02-unknown-option.yaml']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /test\/fixtures\/config\/bad\/02-unknown-option\.yaml:8:5: processors\.batch\.send_batch_sise: unknown option "send_batch_sise" \(did you mean "send_batch_size"\?\)/);
});

test('run with an invalid config exits non-zero naming the file, path and reason', () => {
  const r = cli(['run', '--config', 'test/fixtures/config/bad/11-bad-enum.yaml']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /11-bad-enum\.yaml:\d+:\d+: exporters\.debug\.verbosity: invalid value "verbose"/);
});

test('usage errors exit 2', () => {
  assert.equal(cli(['run']).status, 2);
  assert.equal(cli(['frobnicate', '--config', 'x']).status, 2);
});

interface Proc {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function startCli(config: string): Proc {
  const child = spawn(process.execPath, [CLI, 'run', '--config', config, '--no-watch'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ raw: line });
      }
    }
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  after(() => child.kill('SIGKILL'));
  return { child, lines, exited };
}

async function waitFor(cond: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await cond()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting');
}

test('a started gateway serves health and self-metrics (promtool-clean), survives a bad reload and drains on SIGTERM', async () => {
  const [ops, grpc, http, metrics] = await freePorts(4);
  const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-cli-'));
  const file = join(dir, 'config.yaml');
  const good = `extensions:
  health_check: {endpoint: "127.0.0.1:${ops}"}
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "127.0.0.1:${grpc}"}
      http: {endpoint: "127.0.0.1:${http}"}
processors:
  batch: {timeout: 30s}
exporters:
  debug: {verbosity: basic}
service:
  extensions: [health_check]
  pipelines:
    metrics: {receivers: [otlp], processors: [batch], exporters: [debug]}
  telemetry:
    metrics:
      readers:
        - pull: {exporter: {prometheus: {host: 127.0.0.1, port: ${metrics}}}}
`;
  writeFileSync(file, good);
  const p = startCli(file);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${ops}/readyz`, { signal: AbortSignal.timeout(5000) })).status === 200);
  assert.equal((await fetch(`http://127.0.0.1:${ops}/healthz`)).status, 200);

  // An OTLP/JSON request is held by the 30 s batch, so it is in flight when SIGTERM comes.
  const body = JSON.stringify({
    resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cli-test' } }] }, scopeMetrics: [{ scope: { name: 's' }, metrics: [{ name: 'drained_gauge', gauge: { dataPoints: [{ asDouble: 1.5, timeUnixNano: '1700000000000000000' }] } }] }] }],
  });
  const inflight = fetch(`http://127.0.0.1:${http}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(30_000) });
  inflight.catch(() => undefined); // awaited below; avoid an unhandled rejection if an earlier assertion fails

  const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  assert.match(text, /otelcol_process_memory_rss/);
  const check = spawnSync(promtool(), ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}`);

  writeFileSync(file, good.replace('verbosity: basic', 'verbosity: chatty'));
  p.child.kill('SIGHUP');
  await waitFor(() => p.lines.some((l) => l['msg'] === 'config reload rejected: invalid config, keeping the running one'));
  assert.equal((await fetch(`http://127.0.0.1:${ops}/readyz`, { signal: AbortSignal.timeout(5000) })).status, 200, 'still serving the old config');

  await new Promise((r) => setTimeout(r, 200));
  p.child.kill('SIGTERM');
  const res = await inflight;
  assert.equal(res.status, 200, 'in-flight request completed during drain');
  const code = await Promise.race([p.exited, new Promise<string>((r) => setTimeout(() => r('no exit within 30 s'), 30_000))]);
  assert.equal(code, 0);
  const delivered = p.lines.find((l) => l['msg'] === 'Metrics' && l['data points'] === 1);
  assert.ok(delivered, 'the batched point reached the exporter before exit');
  assert.ok(p.lines.some((l) => l['msg'] === 'otel-bridge stopped'));
});
