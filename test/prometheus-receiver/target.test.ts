import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRelabel } from '../../src/relabel/index.ts';
import { prometheusReceiverSchema, type ScrapeJob } from '../../src/receivers/prometheus/config.ts';
import { buildUrl, populateLabels, Target } from '../../src/receivers/prometheus/scrape/target.ts';
import { toRecord } from '../../src/receivers/prometheus/labels.ts';

function jobOf(extra: Record<string, unknown> = {}): ScrapeJob {
  return prometheusReceiverSchema.parse({ config: { scrape_configs: [{ job_name: 'job', scrape_interval: '15s', ...extra }] } }).jobs[0]!;
}

function populate(labels: Record<string, string>, extra: Record<string, unknown> = {}) {
  const job = jobOf(extra);
  const relabel = job.relabelConfigs.length > 0 ? compileRelabel(job.relabelConfigs) : null;
  const r = populateLabels(new Map(Object.entries(labels)), job, relabel);
  return { labels: r.labels === null ? null : toRecord(r.labels), discovered: toRecord(r.discovered), error: r.error };
}

test('target labels: defaults, default port, instance', () => {
  const r = populate({ __address__: 'example.org', __meta_x: 'm' });
  assert.deepEqual(r.discovered, {
    __address__: 'example.org',
    __meta_x: 'm',
    __metrics_path__: '/metrics',
    __scheme__: 'http',
    __scrape_interval__: '15s',
    __scrape_timeout__: '10s',
    job: 'job',
  });
  assert.deepEqual(r.labels, {
    __address__: 'example.org:80',
    __metrics_path__: '/metrics',
    __scheme__: 'http',
    __scrape_interval__: '15s',
    __scrape_timeout__: '10s',
    instance: 'example.org:80',
    job: 'job',
  });
});

test('target labels: https default port, IPv6 kept, params', () => {
  assert.equal(populate({ __address__: 'h' }, { scheme: 'https' }).labels!['instance'], 'h:443');
  assert.equal(populate({ __address__: '[::1]:9' }).labels!['instance'], '[::1]:9');
  assert.equal(populate({ __address__: '::1' }).labels!['instance'], '::1');
  const p = populate({ __address__: 'h:1' }, { params: { module: ['a', 'b'], x: [] } });
  assert.equal(p.labels!['__param_module'], 'a');
});

test('target labels: relabel drop keeps discovered labels, instance override, interval from label', () => {
  const rules = {
    relabel_configs: [
      { source_labels: ['env'], regex: 'dev', action: 'drop' },
      { source_labels: ['__address__'], regex: '(.*):\\d+', target_label: 'instance' },
      { target_label: '__scrape_interval__', replacement: '30s' },
    ],
  };
  const d = populate({ __address__: 'a:1', env: 'dev' }, rules);
  assert.equal(d.labels, null);
  assert.equal(d.discovered['env'], 'dev');
  const k = populate({ __address__: 'a:1', env: 'prod' }, rules);
  assert.equal(k.labels!['instance'], 'a');
  assert.equal(k.labels!['__scrape_interval__'], '30s');
  const t = new Target(jobOf(rules), populateLabels(new Map([['__address__', 'a:1']]), jobOf(rules), compileRelabel(jobOf(rules).relabelConfigs)).labels!, []);
  assert.equal(t.intervalMs, 30_000);
  assert.equal(t.timeoutMs, 10_000);
  assert.deepEqual(toRecord(t.labels), { instance: 'a', job: 'job' });
});

test('target errors as Prometheus words them', () => {
  assert.equal(populate({}, {}).error, 'no address');
  assert.equal(populate({ __address__: 'a:1', __scrape_interval__: 'x' }).error, 'error parsing scrape interval: not a valid duration string: "x"');
  assert.equal(populate({ __address__: 'a:1', __scrape_timeout__: '1m' }).error, 'scrape timeout cannot be greater than scrape interval ("1m" > "15s")');
  assert.equal(populate({ __address__: 'a:1', __scrape_interval__: '0' }).error, 'scrape interval cannot be 0');
  assert.equal(populate({ __address__: 'a/b' }).error, '"a/b:80" is not a valid hostname');
  assert.equal(populate({ __address__: 'a', __scheme__: 'ftp' }).error, 'invalid scheme: "http"');
});

test('scrape URL: params merged with __param_ labels, Go query escaping', () => {
  const labels = [
    { name: '__address__', value: 'h:9' },
    { name: '__metrics_path__', value: '/probe' },
    { name: '__param_target', value: 'http://x y' },
    { name: '__scheme__', value: 'http' },
  ];
  assert.equal(buildUrl(labels, { module: ['http_2xx'], target: ['ignored', 'second'] }), 'http://h:9/probe?module=http_2xx&target=http%3A%2F%2Fx+y&target=second');
  assert.equal(buildUrl([{ name: '__address__', value: 'h:9' }, { name: '__metrics_path__', value: 'm' }, { name: '__scheme__', value: 'https' }], {}), 'https://h:9/m');
});

test('offset is stable per target, within the interval, pinned to wall time', () => {
  const job = jobOf();
  const a = new Target(job, populateLabels(new Map([['__address__', 'a:1']]), job, null).labels!, []);
  const b = new Target(job, populateLabels(new Map([['__address__', 'b:1']]), job, null).labels!, []);
  const now = 1_700_000_000_123;
  const oa = a.offset(now);
  assert.ok(oa > 0 && oa <= 15_000);
  // The slot is the same absolute phase whenever it is computed.
  assert.equal((now + oa) % 15_000, (now + 5_000 + a.offset(now + 5_000)) % 15_000);
  assert.notEqual((now + oa) % 15_000, (now + b.offset(now)) % 15_000);
});
