import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { validateConfig } from '../../src/config/validate.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { builtinRegistry } from '../../src/components.ts';
import { prometheusReceiverSchema } from '../../src/receivers/prometheus/config.ts';
import { formatPromDuration, parseBase2Bytes, parsePromDuration } from '../../src/receivers/prometheus/units.ts';

/** Issues of a receiver config written as YAML (the `config:` block of the receiver), as "path: message". */
function issues(yaml: string): string[] {
  const raw = parseYaml(yaml) as Record<string, unknown>;
  const full = { receivers: { prometheus: raw }, exporters: { debug: {} }, service: { pipelines: { metrics: { receivers: ['prometheus'], exporters: ['debug'] } } } };
  try {
    validateConfig({ raw: full, sources: [] } as never, builtinRegistry());
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

function ok(yaml: string) {
  return prometheusReceiverSchema.parse(parseYaml(yaml));
}

const CASES: Array<{ name: string; yaml: string; want: string[] }> = [
  {
    name: 'unknown key names its YAML path and suggests the right one',
    yaml: `config:\n  scrape_configs:\n    - job_name: a\n      scrape_intervall: 10s\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].scrape_intervall: unknown option "scrape_intervall" (did you mean "scrape_interval"?)'],
  },
  {
    name: 'unknown key inside static_configs',
    yaml: `config:\n  scrape_configs:\n    - job_name: a\n      static_configs:\n        - targets: [x:1]\n          label: {a: b}\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].static_configs[0].label: unknown option "label" (did you mean "labels"?); valid options: targets, labels'],
  },
  {
    name: 'Go-style fractional durations are not Prometheus durations',
    yaml: `config:\n  global: {scrape_interval: 1.5s}\n  scrape_configs: [{job_name: a}]\n`,
    want: ['receivers.prometheus.config.global.scrape_interval: not a valid duration string: "1.5s"'],
  },
  {
    name: 'units out of order',
    yaml: `config:\n  scrape_configs: [{job_name: a, scrape_timeout: 10s1m}]\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].scrape_timeout: not a valid duration string: "10s1m"'],
  },
  {
    name: 'timeout above interval',
    yaml: `config:\n  scrape_configs: [{job_name: a, scrape_interval: 5s, scrape_timeout: 6s}]\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].scrape_timeout: scrape timeout greater than scrape interval for scrape config with job name "a"'],
  },
  {
    name: 'global timeout above global interval',
    yaml: `config:\n  global: {scrape_interval: 5s, scrape_timeout: 6s}\n  scrape_configs: [{job_name: a}]\n`,
    want: ['receivers.prometheus.config.global.scrape_timeout: global scrape timeout greater than scrape interval'],
  },
  {
    name: 'job_name required and unique',
    yaml: `config:\n  scrape_configs: [{job_name: a}, {job_name: a}, {scrape_interval: 1m}]\n`,
    want: [
      'receivers.prometheus.config.scrape_configs[2].job_name: job_name is empty',
      'receivers.prometheus.config.scrape_configs[1].job_name: found multiple scrape configs with job name "a"',
    ],
  },
  {
    name: 'no scrape configs',
    yaml: `config: {}\n`,
    want: ['receivers.prometheus.config.scrape_configs: no scrape_configs: add at least one job under config.scrape_configs'],
  },
  {
    name: 'URL in a static target',
    yaml: `config:\n  scrape_configs: [{job_name: a, static_configs: [{targets: ['http://x:1/metrics']}]}]\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].static_configs[0].targets[0]: "http://x:1/metrics" is not a valid hostname'],
  },
  {
    name: 'auth conflicts as HTTPClientConfig.Validate',
    yaml: `config:\n  scrape_configs: [{job_name: a, bearer_token: x, basic_auth: {username: u}}]\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].basic_auth: at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured'],
  },
  {
    name: 'authorization type basic',
    yaml: `config:\n  scrape_configs: [{job_name: a, authorization: {type: Basic, credentials: x}}]\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].authorization.type: authorization type cannot be set to "basic", use "basic_auth" instead'],
  },
  {
    name: 'tls cert without key',
    yaml: `config:\n  scrape_configs: [{job_name: a, tls_config: {cert_file: /c}}]\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].tls_config: exactly one of key or key_file must be configured when a client certificate is configured'],
  },
  {
    name: 'unsupported SD says so',
    yaml: `config:\n  scrape_configs: [{job_name: a, kubernetes_sd_configs: [{role: pod}]}]\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].kubernetes_sd_configs: kubernetes_sd_configs is not supported by otel-bridge (supported: static_configs, file_sd_configs, http_sd_configs, dns_sd_configs)'],
  },
  {
    name: 'file_sd pattern and dns port',
    yaml: `config:\n  scrape_configs: [{job_name: a, file_sd_configs: [{files: ['a/*/b.json']}], dns_sd_configs: [{names: [x], type: A}]}]\n`,
    want: [
      'receivers.prometheus.config.scrape_configs[0].file_sd_configs[0].files[0]: path name "a/*/b.json" is not valid for file discovery',
      'receivers.prometheus.config.scrape_configs[0].dns_sd_configs[0].port: a port is required in DNS-SD configs for all record types except SRV',
    ],
  },
  {
    name: 'body_size_limit needs a unit',
    yaml: `config:\n  scrape_configs: [{job_name: a, body_size_limit: 1000}]\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].body_size_limit: missing unit in 1000 (e.g. "10MB")'],
  },
  {
    name: 'bad relabel rule is reported at its path',
    yaml: `config:\n  scrape_configs: [{job_name: a, metric_relabel_configs: [{action: hashmod, target_label: x}]}]\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].metric_relabel_configs[0].modulus: relabel configuration for hashmod requires non-zero modulus'],
  },
  {
    name: 'invalid static label name',
    yaml: `config:\n  scrape_configs: [{job_name: a, static_configs: [{targets: [x:1], labels: {'a-b': c}}]}]\n`,
    want: ['receivers.prometheus.config.scrape_configs[0].static_configs[0].labels.a-b: "a-b" is not a valid label name'],
  },
];

for (const c of CASES) {
  test(`config error: ${c.name}`, () => {
    assert.deepEqual(issues(c.yaml).sort(), c.want.sort());
  });
}

test('defaults: global 1m/10s, per-job inheritance, timeout capped by a short interval', () => {
  const c = ok(`config:\n  global: {external_labels: {dc: eu}, sample_limit: 100}\n  scrape_configs:\n    - job_name: a\n    - job_name: b\n      scrape_interval: 5s\n      sample_limit: 7\n      body_size_limit: 10MB\n`);
  const [a, b] = c.jobs;
  assert.equal(a!.scrapeIntervalMs, 60_000);
  assert.equal(a!.scrapeTimeoutMs, 10_000);
  assert.equal(a!.metricsPath, '/metrics');
  assert.equal(a!.scheme, 'http');
  assert.equal(a!.honorTimestamps, true);
  assert.equal(a!.honorLabels, false);
  assert.equal(a!.sampleLimit, 100);
  assert.equal(b!.scrapeIntervalMs, 5_000);
  assert.equal(b!.scrapeTimeoutMs, 5_000);
  assert.equal(b!.sampleLimit, 7);
  assert.equal(b!.bodySizeLimit, 10 * 1024 * 1024);
  assert.deepEqual(c.global.externalLabels, { dc: 'eu' });
  assert.equal(c.maxConcurrentScrapes, 256);
  assert.equal(c.counterStartTime, 'created');
});

test('bearer_token folds into authorization as Prometheus does', () => {
  const c = ok(`config:\n  scrape_configs: [{job_name: a, bearer_token: s3cret}]\n`);
  assert.deepEqual(c.jobs[0]!.http.auth, { kind: 'authorization', type: 'Bearer', credentials: 's3cret', credentialsFile: undefined });
});

test('prometheus durations and byte sizes', () => {
  assert.equal(parsePromDuration('1m30s'), 90_000);
  assert.equal(parsePromDuration('1d'), 86_400_000);
  assert.equal(parsePromDuration('250ms'), 250);
  assert.equal(parsePromDuration('0'), 0);
  assert.equal(typeof parsePromDuration('1h1d'), 'string');
  assert.equal(formatPromDuration(90_000), '1m30s');
  assert.equal(formatPromDuration(7 * 86_400_000), '1w');
  assert.equal(formatPromDuration(8 * 86_400_000), '8d');
  assert.equal(formatPromDuration(1500), '1s500ms');
  assert.equal(parseBase2Bytes('1KB'), 1024);
  assert.equal(parseBase2Bytes('1GiB512MiB'), 1.5 * 1024 ** 3);
  assert.equal(parseBase2Bytes('0'), 0);
  assert.equal(typeof parseBase2Bytes('12'), 'string');
});
