/**
 * Regression: `otel-bridge run` with a pipeline made only of components whose timers and sockets are unref'd
 * (prometheus receiver -> debug exporter, no health_check, no self-metrics server, no config watcher) used to exit
 * right after start. The gateway must keep running until a signal, then drain and exit 0.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { telemetryYaml } from '../helpers/gateway.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a gateway of only unref\'d components (prometheus -> debug) keeps running until SIGTERM, then exits 0', async () => {
  let scrapes = 0;
  const target = createServer((_req, res) => {
    scrapes++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('# TYPE keepalive_probe gauge\nkeepalive_probe 1\n');
  });
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  after(() => target.close());
  const { port } = target.address() as AddressInfo;

  const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-cli-keepalive-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    `receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: probe
          scrape_interval: 500ms
          static_configs:
            - targets: ['127.0.0.1:${port}']
exporters:
  debug: {verbosity: basic}
service:
  pipelines:
    metrics: {receivers: [prometheus], exporters: [debug]}
${telemetryYaml()}`,
  );

  // --no-watch: the config watcher is one more (unref'd) handle; without it only the gateway's own keep-alive remains.
  const child = spawn(process.execPath, [CLI, 'run', '--config', file, '--no-watch'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r((exitCode = code ?? (signal === null ? null : -1)))));
  after(() => {
    if (exitCode === undefined) child.kill('SIGKILL');
  });

  // Starting takes a few seconds on a loaded machine; the 3 s count from "started" (the old bug exited right then).
  const startedBy = Date.now() + 30_000;
  while (!out.includes('"msg":"otel-bridge started"') && exitCode === undefined && Date.now() < startedBy) await sleep(50);
  assert.match(out, /"msg":"otel-bridge started"/, `the gateway started; output:\n${out}`);
  await sleep(3000);
  assert.equal(exitCode, undefined, `the gateway exited (code ${exitCode}) while it should keep running; output:\n${out}`);
  assert.ok(scrapes >= 1, `the target was scraped (${scrapes} scrapes); output:\n${out}`);
  assert.match(out, /"msg":"Metrics"/, 'scraped data reached the debug exporter');

  child.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(10_000).then(() => 'no exit within 10 s')]);
  assert.equal(code, 0, `exit after SIGTERM; output:\n${out}`);
  assert.match(out, /otel-bridge stopped/);
});
