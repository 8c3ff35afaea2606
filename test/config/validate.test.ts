/** Config loading and validation: every broken fixture is rejected with a message naming file, line, path and reason. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinRegistry } from '../../src/components.ts';
import { ConfigError, formatIssue } from '../../src/config/errors.ts';
import { loadAndValidate } from '../../src/config/validate.ts';
import { expandString } from '../../src/config/env.ts';
import { parseDuration } from '../../src/config/duration.ts';

const BAD = join(import.meta.dirname, '..', 'fixtures', 'config', 'bad');

for (const file of readdirSync(BAD).filter((f) => f.endsWith('.yaml')).sort()) {
  test(`rejects ${file}`, () => {
    const path = join(BAD, file);
    const text = readFileSync(path, 'utf8');
    const expect = /^# expect: (.*)$/m.exec(text)![1]!;
    const at = /^# at: (.*)$/m.exec(text)?.[1];
    let err: unknown;
    try {
      loadAndValidate([path], builtinRegistry(), {});
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    const messages = err.issues.map(formatIssue);
    const hit = err.issues.find((i) => formatIssue(i).includes(expect));
    assert.ok(hit, `no error contains ${JSON.stringify(expect)}; got:\n${messages.join('\n')}`);
    assert.equal(hit.file, path);
    assert.ok(hit.line !== undefined, 'error has a line number');
    if (at !== undefined) {
      const line = text.split('\n')[hit.line - 1]!;
      assert.ok(line.includes(at), `error points at line ${hit.line} (${JSON.stringify(line)}), expected the line with ${JSON.stringify(at)}`);
    }
  });
}

function tmp(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'otel-bridge-cfg-'));
  return Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}

test('several --config files merge in order: maps deeply, later scalars and lists win', () => {
  const files = tmp({
    'a.yaml': 'processors:\n  batch:\n    timeout: 1s\n    send_batch_size: 10\nexporters:\n  debug: {verbosity: basic}\nservice:\n  pipelines:\n    metrics:\n      receivers: [nope]\n      exporters: [debug]\n',
    'b.yaml': 'receivers:\n  otlp:\n    protocols: {http: {endpoint: "127.0.0.1:0"}}\nprocessors:\n  batch:\n    send_batch_size: 20\nservice:\n  pipelines:\n    metrics:\n      receivers: [otlp]\n      processors: [batch]\n',
  });
  const cfg = loadAndValidate(files, builtinRegistry(), {});
  assert.deepEqual(cfg.processors.get('batch')!.config, { send_batch_size: 20, send_batch_max_size: 0, timeout: 1000, metadata_keys: [], metadata_cardinality_limit: 1000 });
  const p = cfg.service.pipelines.get('metrics')!;
  assert.deepEqual(p.receivers, ['otlp']);
  assert.deepEqual(p.processors, ['batch']);
  assert.deepEqual(p.exporters, ['debug']);
});

test('env expansion: ${env:X}, ${X}, defaults, $$ escape, whole-scalar typing', () => {
  const env = { PORT: '4444', NAME: 'edge', EMPTY: '' };
  assert.equal(expandString('${env:PORT}', env, 'p'), 4444);
  assert.equal(expandString('0.0.0.0:${env:PORT}', env, 'p'), '0.0.0.0:4444');
  assert.equal(expandString('${NAME}-gw', env, 'p'), 'edge-gw');
  assert.equal(expandString('${env:MISSING:-fallback}', env, 'p'), 'fallback');
  assert.equal(expandString('${env:EMPTY:-fallback}', env, 'p'), 'fallback');
  assert.equal(expandString('cost $$5', env, 'p'), 'cost $5');
  assert.throws(() => expandString('${env:MISSING}', env, 'a.b'), /a\.b: environment variable MISSING is not set/);
  const files = tmp({
    'c.yaml': 'receivers:\n  otlp:\n    protocols: {http: {endpoint: "127.0.0.1:${env:PORT}"}}\nprocessors:\n  batch: {send_batch_size: "${env:SIZE:-7}"}\nexporters:\n  debug: {}\nservice:\n  pipelines:\n    metrics: {receivers: [otlp], processors: [batch], exporters: [debug]}\n',
  });
  const cfg = loadAndValidate(files, builtinRegistry(), env);
  assert.equal((cfg.processors.get('batch')!.config as { send_batch_size: number }).send_batch_size, 7);
});

test('durations parse like Go', () => {
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('10'), undefined);
  assert.equal(parseDuration('ten seconds'), undefined);
});

test('all errors are reported at once, not just the first', () => {
  const files = tmp({
    'd.yaml': 'receivers:\n  otlpp: {}\nprocessors:\n  batch: {timeout: nope}\nexporters:\n  debug: {verbosty: basic}\nservice:\n  pipelines:\n    metrics: {receivers: [otlpp], processors: [batch], exporters: [debug, missing]}\n',
  });
  try {
    loadAndValidate(files, builtinRegistry(), {});
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.issues.map(formatIssue).join('\n');
    assert.match(text, /unknown receiver type "otlpp"/);
    assert.match(text, /processors\.batch\.timeout: invalid duration "nope"/);
    assert.match(text, /exporters\.debug\.verbosty: unknown option "verbosty" \(did you mean "verbosity"\?\)/);
    assert.match(text, /exporter "missing" which is not defined/);
  }
});
