/**
 * Configs of the OTLP components as a user writes them: Collector-style YAML validates (including `grpc:` with no
 * value), the example pipelines validate, and mistakes get messages that say what to fix. Plus CORS and
 * include_metadata on a running receiver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinRegistry } from '../../src/components.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { loadAndValidate } from '../../src/config/validate.ts';
import { encodeExportMetricsRequest } from '../../src/codec/otlp/index.ts';
import { freePorts } from '../helpers/ports.ts';
import { startGateway, telemetryYaml } from '../helpers/gateway.ts';
import { everything } from '../otlp-codec/everything.ts';
import { captured, otlpPost, testRegistry } from './helpers.ts';

function validate(yaml: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'otlp-cfg-'));
  const f = join(dir, 'c.yaml');
  writeFileSync(f, yaml);
  try {
    loadAndValidate([f], builtinRegistry(), {});
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
}

const PIPE = `service:\n  pipelines:\n    metrics:\n      receivers: [otlp]\n      exporters: [EXP]\n`;

test('example pipelines validate', () => {
  for (const f of ['pipelines/otlp-to-otlp.yaml', 'pipelines/otlp-central.yaml']) {
    const cfg = loadAndValidate([f], builtinRegistry(), {});
    assert.equal(cfg.service.pipelines.size, 1, f);
  }
});

test('Collector-style YAML: bare `grpc:` / `http:` enable the protocol with defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'otlp-cfg-'));
  const f = join(dir, 'c.yaml');
  writeFileSync(f, `receivers:\n  otlp:\n    protocols:\n      grpc:\n      http:\nexporters:\n  otlp:\n    endpoint: central:4317\n${PIPE.replace('EXP', 'otlp')}`);
  const cfg = loadAndValidate([f], builtinRegistry(), {});
  const r = cfg.receivers.get('otlp')!.config as { protocols: { grpc: { endpoint: string; max_recv_msg_size_mib: number }; http: { endpoint: string; max_request_body_size: number; metrics_url_path: string } } };
  assert.equal(r.protocols.grpc.endpoint, '0.0.0.0:4317');
  assert.equal(r.protocols.grpc.max_recv_msg_size_mib, 4);
  assert.equal(r.protocols.http.endpoint, '0.0.0.0:4318');
  assert.equal(r.protocols.http.max_request_body_size, 20 * 1024 * 1024);
  assert.equal(r.protocols.http.metrics_url_path, '/v1/metrics');
  const e = cfg.exporters.get('otlp')!.config as { compression: string; timeout: number; sending_queue: { queue_size: number } };
  assert.equal(e.compression, 'gzip');
  assert.equal(e.timeout, 5000);
  assert.equal(e.sending_queue.queue_size, 1000);
});

test('mistakes are reported with the path and what to do', () => {
  const cases: Array<[string, RegExp]> = [
    [`receivers:\n  otlp:\n    protocols: {}\nexporters:\n  debug:\n${PIPE.replace('EXP', 'debug')}`, /receivers\.otlp\.protocols: enable at least one protocol/],
    [`receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 4317\nexporters:\n  debug:\n${PIPE.replace('EXP', 'debug')}`, /receivers\.otlp\.protocols\.grpc\.endpoint/],
    [`receivers:\n  otlp:\n    protocols:\n      http:\n        max_request_body_sise: 10\nexporters:\n  debug:\n${PIPE.replace('EXP', 'debug')}`, /max_request_body_sise/],
    [`receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  otlp:\n    tls:\n      insecure: true\n${PIPE.replace('EXP', 'otlp')}`, /exporters\.otlp\.endpoint/],
    [`receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  otlphttp:\n    compression: gzip\n${PIPE.replace('EXP', 'otlphttp')}`, /set "endpoint" \(base URL, \/v1\/metrics is appended\) or "metrics_endpoint"/],
    [`receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  otlphttp:\n    endpoint: central:4318\n${PIPE.replace('EXP', 'otlphttp')}`, /expected an http:\/\/ or https:\/\/ URL/],
    [`receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  otlp:\n    endpoint: c:4317\n    compression: zstd\n${PIPE.replace('EXP', 'otlp')}`, /exporters\.otlp\.compression/],
    [`extensions:\n  bearertokenauth:\n    scheme: Bearer\nreceivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  debug:\n${PIPE.replace('EXP', 'debug')}  extensions: [bearertokenauth]\n`, /set "token" or "filename"/],
    [`extensions:\n  health_check:\n    endpoint: 0.0.0.0:4317\nreceivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  debug:\n${PIPE.replace('EXP', 'debug')}  extensions: [health_check]\n`, /port 4317 .* is already used by extensions\.health_check/],
  ];
  for (const [yaml, re] of cases) {
    const issues = validate(yaml);
    assert.ok(issues.some((i) => re.test(i)), `expected ${re} in:\n${issues.join('\n')}`);
  }
});

test('CORS preflight and headers for allowed origins only; include_metadata hands request headers to the pipeline', async () => {
  const [h] = await freePorts(1);
  const gw = await startGateway(
    `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${h}
        include_metadata: true
        cors:
          allowed_origins: ["https://*.example.com", "http://localhost:3000"]
          allowed_headers: [X-Tenant]
          max_age: 600
exporters:
  capture:
    name: cors
service:
${telemetryYaml()}  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [capture]
`,
    { registry: testRegistry() },
  );
  try {
    const url = `http://127.0.0.1:${h}/v1/metrics`;
    const pre = await otlpPost(url, '', { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-tenant' }, { method: 'OPTIONS' });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.match(String(pre.headers['access-control-allow-headers']), /x-tenant/);
    assert.equal(pre.headers['access-control-max-age'], '600');
    const denied = await otlpPost(url, '', { origin: 'https://evil.com', 'access-control-request-method': 'POST' }, { method: 'OPTIONS' });
    assert.equal(denied.status, 204);
    assert.equal(denied.headers['access-control-allow-origin'], undefined);
    const post = await otlpPost(url, encodeExportMetricsRequest(everything()), { 'content-type': 'application/x-protobuf', origin: 'http://localhost:3000', 'x-tenant': 'acme' });
    assert.equal(post.status, 200);
    assert.equal(post.headers['access-control-allow-origin'], 'http://localhost:3000');
    const ctx = captured('cors').at(-1)!.ctx;
    assert.deepEqual(ctx.metadata?.get('x-tenant'), ['acme']);
    assert.equal(ctx.receiver, 'otlp');
  } finally {
    await gw.stop();
  }
});
